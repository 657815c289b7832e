import { TesseraError, ThrottledError, ValidationError, type TesseraErrorCode } from '../core/errors.js'
import type { Face } from './types.js'

/** An error whose body a face fixes to the letter; `sendError` sends `body` as it is, in the face's status and headers. */
export class WireError extends TesseraError {
  constructor(
    code: TesseraErrorCode,
    message: string,
    readonly body: Record<string, unknown>,
  ) {
    super(code, message)
  }
}

/** A rendered error: status, media type and body in one face's shape. */
export interface RenderedError {
  status: number
  contentType: string
  body: unknown
}

/** Renders `error` as `face` speaks it; only the shape differs between faces, never the rule. */
export function renderBody(face: Face, error: TesseraError, status: number, title: string): RenderedError {
  switch (face) {
    case 'drf':
      return { status, contentType: 'application/json; charset=utf-8', body: drfBody(error) }
    case 'conduit':
      return conduitBody(error, status)
    default:
      return {
        status,
        contentType: 'application/problem+json; charset=utf-8',
        body: {
          type: `urn:tessera:error:${error.code}`,
          title,
          status,
          detail: error.message,
          code: error.code,
          ...(error instanceof ValidationError ? { errors: error.fields } : {}),
        },
      }
  }
}

/** DRF: field errors as a map, credentials under `non_field_errors`, the rest as `detail`. */
function drfBody(error: TesseraError): unknown {
  if (error instanceof WireError) return error.body
  if (error instanceof ValidationError) {
    const { body, ...fields } = error.fields
    return body ? { non_field_errors: body, ...fields } : fields
  }
  if (error.code === 'invalid_credentials') return { non_field_errors: [error.message] }
  return { detail: error.message }
}

/** RealWorld: everything under `errors`; validation is 422, wrong credentials 401. */
function conduitBody(error: TesseraError, status: number): RenderedError {
  const json = 'application/json; charset=utf-8'
  if (error instanceof ValidationError) return { status: 422, contentType: json, body: { errors: error.fields } }
  if (error.code === 'invalid_credentials') return { status: 401, contentType: json, body: { errors: { credentials: ['invalid'] } } }
  if (status === 401) return { status, contentType: json, body: { errors: { token: [error.message] } } }
  if (error instanceof ThrottledError) return { status, contentType: json, body: { errors: { throttle: [error.message] } } }
  return { status, contentType: json, body: { errors: { [error.code]: [error.message] } } }
}
