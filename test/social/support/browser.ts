/**
 * A browser just capable enough for OAuth redirects: a cookie jar (host-only cookies, path
 * matching, Max-Age and Expires), redirects followed by hand so a test can stop at or tamper with
 * any hop, and HTML forms submitted as a person would. Requests go over real HTTP (fetch).
 */

interface StoredCookie {
  name: string
  value: string
  host: string
  path: string
  expiresAt: number | null
}

/** One hop of a walk through redirects. */
export interface Hop {
  url: URL
  response: Response
}

export class TestBrowser {
  readonly #cookies: StoredCookie[] = []

  constructor(readonly userAgent = 'Mozilla/5.0 (X11; Linux x86_64) TestBrowser/1.0') {}

  /** A GET as a navigation: cookies sent, cookies stored, no redirect followed. */
  get(url: URL | string): Promise<Response> {
    return this.#request(new URL(url), { method: 'GET' })
  }

  /** A form POST (application/x-www-form-urlencoded). */
  post(url: URL | string, form: Record<string, string>): Promise<Response> {
    return this.#request(new URL(url), {
      method: 'POST',
      body: new URLSearchParams(form).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
  }

  /** The value of cookie `name` this browser would send to `url`, or undefined. */
  cookieFor(url: URL | string, name: string): string | undefined {
    return this.#matching(new URL(url)).find((cookie) => cookie.name === name)?.value
  }

  /** Puts a cookie in the jar, as an attacker replaying a captured one would. */
  setCookie(url: URL | string, name: string, value: string, path = '/'): void {
    const host = new URL(url).host
    this.#forget(name, host, path)
    this.#cookies.push({ name, value, host, path, expiresAt: null })
  }

  /**
   * Follows redirects from `url` — submitting the provider's login form with `login` and its
   * consent form on the way — until a redirect points at a URL `stop` accepts (returned without
   * being requested, so the test decides what happens to it), or a page that is neither.
   */
  async walk(url: URL | string, stop: (next: URL) => boolean, login?: string): Promise<{ stoppedAt: URL | null; hops: Hop[] }> {
    const hops: Hop[] = []
    let next: URL | null = new URL(url)
    let response: Response
    for (let i = 0; i < 20 && next !== null; i++) {
      if (stop(next)) return { stoppedAt: next, hops }
      response = await this.get(next)
      hops.push({ url: next, response })
      const location = response.headers.get('location')
      if (response.status >= 300 && response.status < 400 && location) {
        next = new URL(location, next)
        continue
      }
      const form = response.status === 200 ? parseForm(await response.text()) : null
      if (!form) return { stoppedAt: null, hops }
      const fields = { ...form.fields, ...(form.fields.prompt === 'login' ? { login: login ?? '', password: 'any password' } : {}) }
      const submitted = await this.post(new URL(form.action, next), fields)
      hops.push({ url: new URL(form.action, next), response: submitted })
      const after = submitted.headers.get('location')
      next = after ? new URL(after, next) : null
    }
    return { stoppedAt: null, hops }
  }

  async #request(url: URL, init: { method: string; body?: string; headers?: Record<string, string> }): Promise<Response> {
    const cookies = this.#matching(url).map((cookie) => `${cookie.name}=${cookie.value}`).join('; ')
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...init.headers, 'user-agent': this.userAgent, accept: 'text/html,application/json', ...(cookies ? { cookie: cookies } : {}) },
    })
    for (const header of response.headers.getSetCookie()) this.#store(url, header)
    return response
  }

  #matching(url: URL): StoredCookie[] {
    const now = Date.now()
    return this.#cookies.filter(
      (cookie) => cookie.host === url.host && (cookie.expiresAt === null || cookie.expiresAt > now) && pathMatches(url.pathname, cookie.path),
    )
  }

  #store(url: URL, header: string): void {
    const [pair = '', ...attributes] = header.split(';').map((part) => part.trim())
    const separator = pair.indexOf('=')
    const name = pair.slice(0, separator)
    const value = pair.slice(separator + 1)
    let path = url.pathname.replace(/\/[^/]*$/, '') || '/'
    let expiresAt: number | null = null
    for (const attribute of attributes) {
      const [key = '', raw = ''] = attribute.split('=')
      const lower = key.toLowerCase()
      if (lower === 'path') path = raw || '/'
      else if (lower === 'max-age') expiresAt = Date.now() + Number(raw) * 1000
      else if (lower === 'expires' && expiresAt === null) expiresAt = Date.parse(raw)
    }
    this.#forget(name, url.host, path)
    if (expiresAt === null || expiresAt > Date.now()) this.#cookies.push({ name, value, host: url.host, path, expiresAt })
  }

  #forget(name: string, host: string, path: string): void {
    const index = this.#cookies.findIndex((cookie) => cookie.name === name && cookie.host === host && cookie.path === path)
    if (index >= 0) this.#cookies.splice(index, 1)
  }
}

/** RFC 6265 path matching. */
function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true
  return requestPath.startsWith(cookiePath) && (cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/')
}

/** The first POST form of a page: its action and hidden fields. */
function parseForm(html: string): { action: string; fields: Record<string, string> } | null {
  const form = /<form[^>]*\baction="([^"]+)"[^>]*\bmethod="post"[^>]*>([\s\S]*?)<\/form>/i.exec(html)
  if (!form) return null
  const fields: Record<string, string> = {}
  for (const input of form[2]!.matchAll(/<input[^>]*type="hidden"[^>]*>/gi)) {
    const name = /\bname="([^"]*)"/.exec(input[0])?.[1]
    const value = /\bvalue="([^"]*)"/.exec(input[0])?.[1]
    if (name !== undefined) fields[name] = decodeEntities(value ?? '')
  }
  return { action: decodeEntities(form[1]!), fields }
}

function decodeEntities(text: string): string {
  return text.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>')
}
