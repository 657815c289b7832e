/**
 * Where the browser flow may send a person back to (`SOCIAL_REDIRECT_ALLOWLIST`): the `next` of
 * a sign-in must match an entry, so a link crafted by someone else cannot make Tessera hand a
 * sign-in code to a page they control. Entries, comma-separated:
 *
 * - an origin, `https://app.example.com` (or with just `/`): any path on that origin;
 * - a URL with a path, `https://app.example.com/auth/done` or an app's own scheme
 *   `com.example.app:/oauth`: exactly that scheme, host and path.
 *
 * The query of `next` is free (an app may carry its own state in it); no wildcards.
 */

/** Reads the allowlist; throws a RangeError naming the entry that is not an origin or a URL. */
export function parseRedirectAllowlist(value: string, variable = 'SOCIAL_REDIRECT_ALLOWLIST'): string[] {
  const entries = value.split(',').map((entry) => entry.trim()).filter(Boolean)
  for (const entry of entries) {
    const url = URL.canParse(entry) ? new URL(entry) : null
    const problem =
      url === null ? 'is not an absolute URL'
      : entry.includes('*') ? 'may not hold a wildcard'
      : url.username || url.password ? 'may not hold a user name or password'
      : url.search || url.hash || entry.endsWith('?') || entry.endsWith('#') ? 'may not hold a query or fragment'
      : url.protocol === 'javascript:' || url.protocol === 'data:' || url.protocol === 'file:' ? `may not use ${url.protocol}`
      : null
    if (problem) throw new RangeError(`tessera: ${variable} entry "${entry}" ${problem}`)
  }
  return entries
}

/** `next` as the absolute URL to redirect to, when it matches an entry of `allowlist`; null otherwise. */
export function allowedRedirect(next: string, allowlist: readonly string[]): URL | null {
  const target = URL.canParse(next) ? new URL(next) : null
  if (target === null || target.username || target.password) return null
  for (const entry of allowlist) {
    const allowed = new URL(entry)
    if (isOriginEntry(allowed)) {
      if (target.origin === allowed.origin) return target
    } else if (target.protocol === allowed.protocol && target.host === allowed.host && target.pathname === allowed.pathname) {
      return target
    }
  }
  return null
}

/** True for an http(s) entry without a path (or just "/"): it allows its whole origin. */
function isOriginEntry(url: URL): boolean {
  return (url.protocol === 'https:' || url.protocol === 'http:') && url.pathname === '/'
}
