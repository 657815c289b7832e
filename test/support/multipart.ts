/** A multipart/form-data body built by hand, and the content type that names its boundary. */
export interface MultipartBody {
  payload: Buffer
  headers: { 'content-type': string }
}

/**
 * Encodes `fields` as multipart/form-data (RFC 7578) with a fixed boundary, as a browser or an
 * HTTP client library would send them: CRLF line ends, one part per field, a closing delimiter.
 */
export function multipartBody(fields: Record<string, string>, boundary = '----TesseraTestBoundary7MA4YWxkTrZu0gW'): MultipartBody {
  const parts = Object.entries(fields).map(
    ([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  )
  return {
    payload: Buffer.from(`${parts.join('')}--${boundary}--\r\n`, 'utf8'),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  }
}

/** Encodes `fields` as application/x-www-form-urlencoded. */
export function formBody(fields: Record<string, string>): { payload: string; headers: { 'content-type': string } } {
  return {
    payload: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  }
}
