/**
 * The links that one-time mails carry. The token is always the link's `token` query parameter,
 * never in the path, where access logs and `Referer` headers keep it. A configured page (a
 * single-page app's) is a template: `token={token}` in its query is filled in, and a template
 * without the placeholder gets `token=<token>` added to its query.
 */

const PLACEHOLDER = '{token}'

/** A URL cut into what comes before its query, its query (without `?`, or null), and its fragment (with `#`). */
interface UrlParts {
  base: string
  query: string | null
  fragment: string
}

function splitUrl(url: string): UrlParts {
  const hashAt = url.indexOf('#')
  const beforeHash = hashAt === -1 ? url : url.slice(0, hashAt)
  const queryAt = beforeHash.indexOf('?')
  return {
    base: queryAt === -1 ? beforeHash : beforeHash.slice(0, queryAt),
    query: queryAt === -1 ? null : beforeHash.slice(queryAt + 1),
    fragment: hashAt === -1 ? '' : url.slice(hashAt),
  }
}

/** The decoded name of one `name=value` pair of a query. */
function parameterName(pair: string): string {
  const name = pair.split('=')[0] ?? ''
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '))
  } catch {
    return name
  }
}

/**
 * Checks a link template (`RESET_URL`, `VERIFY_URL`) once, at start: an absolute http(s) URL
 * whose `{token}`, if any, appears once, as `token={token}` in the query. Throws a `RangeError`
 * naming `name` otherwise.
 */
export function checkLinkTemplate(template: string, name: string): void {
  let url: URL
  try {
    url = new URL(template.replace(PLACEHOLDER, 'token'))
  } catch {
    throw new RangeError(`tessera: ${name} must be an absolute URL (got "${template}")`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new RangeError(`tessera: ${name} must be an http or https URL (got "${template}")`)
  }
  const { base, query, fragment } = splitUrl(template)
  const occurrences = template.split(PLACEHOLDER).length - 1
  if (base.includes(PLACEHOLDER) || fragment.includes(PLACEHOLDER) || occurrences > 1) {
    throw new RangeError(`tessera: ${name} may hold ${PLACEHOLDER} once, in its query, as token=${PLACEHOLDER} (got "${template}")`)
  }
  const tokenParameters = (query ?? '').split('&').filter((pair) => pair !== '' && parameterName(pair) === 'token')
  if (occurrences === 1 && !(tokenParameters.length === 1 && tokenParameters[0] === `token=${PLACEHOLDER}`)) {
    throw new RangeError(`tessera: ${name} must carry the token as token=${PLACEHOLDER} in its query (got "${template}")`)
  }
  if (occurrences === 0 && tokenParameters.length > 0) {
    throw new RangeError(`tessera: ${name} already has a token parameter; write token=${PLACEHOLDER} or leave it out (got "${template}")`)
  }
}

/**
 * The link for `token`: `template` with its `{token}` replaced, or with `token=<token>` added to
 * its query (before any fragment). The token is percent-encoded either way.
 */
export function oneTimeLink(template: string, token: string): string {
  const encoded = encodeURIComponent(token)
  const { base, query, fragment } = splitUrl(template)
  if (query !== null && query.includes(PLACEHOLDER)) return `${base}?${query.replace(PLACEHOLDER, encoded)}${fragment}`
  const separator = query === null || query === '' ? '' : query.endsWith('&') ? '' : '&'
  return `${base}?${query ?? ''}${separator}token=${encoded}${fragment}`
}

/** The default page of a link on Tessera itself: `publicUrl` (no trailing slash) + `path`. */
export function defaultLinkPage(publicUrl: string, path: string): string {
  return publicUrl.replace(/\/+$/, '') + path
}

/** Where the `site` of a mail is named from: the public URL's host, or the URL itself when it does not parse. */
export function siteName(publicUrl: string): string {
  try {
    return new URL(publicUrl).host
  } catch {
    return publicUrl
  }
}

/** Which link a one-time mail carries: Tessera's (`token=` in a query) or the Django packages' `{uid}/{token}`. */
export type LinkStyle = 'tessera' | 'django'

/**
 * The djoser/dj-rest-auth link: `template` with `{uid}` and `{token}` filled in (percent-encoded),
 * joined to `publicUrl` when it is relative, as djoser joins its setting to the site's domain.
 */
export function uidTokenLink(template: string, publicUrl: string, uid: string, token: string): string {
  const filled = template.replaceAll('{uid}', encodeURIComponent(uid)).replaceAll('{token}', encodeURIComponent(token))
  return /^[a-z][a-z0-9+.-]*:/i.test(filled) ? filled : `${publicUrl.replace(/\/+$/, '')}/${filled.replace(/^\/+/, '')}`
}
