import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { makeServer, register, whoAmI, type Registered, type TestServer } from '../support/server.js'

/*
 * The admin page over HTTP (no browser): sign-in rules, CSRF, the staff rules as the page shows
 * them, and bad input. test/admin/admin-browser.test.ts drives the same pages in Chromium.
 */

const PASSWORD = 'correct horse battery staple 42'

/** A browser's cookies for the admin page, and the CSRF token its last page carried. */
class Browser {
  readonly cookies = new Map<string, string>()
  csrf = ''

  constructor(private readonly server: TestServer) {}

  async get(url: string): Promise<LightMyRequestResponse> {
    const response = await this.server.app.inject({ method: 'GET', url, cookies: Object.fromEntries(this.cookies) })
    this.keep(response)
    return response
  }

  /** Posts a form; the page's CSRF token is added unless `form` names `_csrf` itself. */
  async post(url: string, form: Record<string, string> = {}, options: { csrf?: boolean } = {}): Promise<LightMyRequestResponse> {
    const fields = options.csrf === false ? form : { _csrf: this.csrf, ...form }
    const response = await this.server.app.inject({
      method: 'POST',
      url,
      cookies: Object.fromEntries(this.cookies),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams(fields).toString(),
    })
    this.keep(response)
    return response
  }

  private keep(response: LightMyRequestResponse): void {
    for (const cookie of response.cookies as { name: string; value: string; expires?: Date }[]) {
      if (cookie.value === '' || (cookie.expires && cookie.expires.getTime() < Date.now())) this.cookies.delete(cookie.name)
      else this.cookies.set(cookie.name, cookie.value)
    }
    const token = /name="_csrf" value="([^"]+)"/.exec(response.body)
    if (token) this.csrf = token[1]!
  }

  async signIn(identifier: string, password: string): Promise<LightMyRequestResponse> {
    await this.get('/admin/sign-in')
    return this.post('/admin/sign-in', { identifier, password, next: '/admin/users' })
  }
}

/** The text of a page's flash messages. */
const flashes = (response: LightMyRequestResponse): string => [...response.body.matchAll(/<p class="flash [a-z]+"[^>]*>([^<]*)<\/p>/g)].map((m) => m[1]).join(' | ')

describe('the admin page', () => {
  let server: TestServer
  let root: { id: number; email: string }
  let staff: Registered
  let member: Registered

  beforeAll(async () => {
    server = await makeServer({ LOGIN_THROTTLE: '5/15m' })
    const superuser = await server.tessera.createUser({ email: 'root@example.com', password: PASSWORD }, { isStaff: true, isSuperuser: true })
    root = { id: superuser.id, email: superuser.email }
    staff = await register(server)
    await server.tessera.updateUserAsStaff({ user: { ...superuser }, address: undefined }, staff.userId, { isStaff: true })
    member = await register(server)
  })
  afterAll(() => server.dispose())

  test('pages need a signed-in staff member: a visitor is sent to sign in, and back after', async () => {
    const visitor = new Browser(server)
    const response = await visitor.get('/admin/users?q=x')
    expect(response.statusCode).toBe(303)
    expect(response.headers.location).toBe('/admin/sign-in?next=%2Fadmin%2Fusers%3Fq%3Dx')
    const signIn = await visitor.get(response.headers.location as string)
    expect(signIn.statusCode).toBe(200)
    expect(signIn.body).toContain('value="/admin/users?q=x"')
  })

  test('sign-in sets an HttpOnly, SameSite=Lax session cookie scoped to /admin, and the page answers', async () => {
    const browser = new Browser(server)
    const response = await browser.signIn('root@example.com', PASSWORD)
    expect(response.statusCode).toBe(303)
    expect(response.headers.location).toBe('/admin/users')
    const session = (response.cookies as { name: string; httpOnly?: boolean; sameSite?: string; path?: string; secure?: boolean }[]).find((c) => c.name === 'tessera_admin')!
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/admin' })
    expect(session.secure).toBeFalsy()
    const users = await browser.get('/admin/users')
    expect(users.statusCode).toBe(200)
    expect(flashes(users)).toBe('Signed in as root@example.com.')
    expect(users.headers['cache-control']).toBe('no-store')
    expect(users.headers['x-frame-options']).toBe('DENY')
    expect(users.headers['content-security-policy']).toContain("default-src 'none'")
    expect(users.body).toContain(member.email)
    // The flash is shown once.
    expect(flashes(await browser.get('/admin/users'))).toBe('')
  })

  test('behind HTTPS (PUBLIC_URL https://…) every admin cookie is Secure', async () => {
    const secure = await makeServer({ PUBLIC_URL: 'https://auth.example.com' }, { memory: true })
    try {
      await secure.tessera.createUser({ email: 'root@example.com', password: PASSWORD }, { isStaff: true, isSuperuser: true })
      const browser = new Browser(secure)
      const page = await browser.get('/admin/sign-in')
      expect((page.cookies as { secure?: boolean }[]).every((c) => c.secure)).toBe(true)
      const response = await browser.post('/admin/sign-in', { identifier: 'root@example.com', password: PASSWORD })
      expect((response.cookies as { name: string; secure?: boolean }[]).find((c) => c.name === 'tessera_admin')?.secure).toBe(true)
    } finally {
      await secure.dispose()
    }
  })

  test('a user who is not staff is refused with the same words as a wrong password, and gets no session', async () => {
    const browser = new Browser(server)
    const refused = await browser.signIn(member.email, member.password)
    const wrong = await new Browser(server).signIn('root@example.com', 'not the password at all')
    for (const response of [refused, wrong]) {
      expect(response.statusCode).toBe(401)
      expect(response.body).toContain('for a staff account')
    }
    expect(refused.body).toContain(`value="${member.email}"`)
    expect(refused.body).not.toContain(member.password)
    expect(browser.cookies.has('tessera_admin')).toBe(false)
    expect((await server.tessera.listSessions(member.userId)).length).toBe(1)
  })

  test('sign-in is throttled like the API login', async () => {
    const browser = new Browser(server)
    const victim = await register(server)
    const statuses: number[] = []
    for (let i = 0; i < 6; i++) statuses.push((await browser.signIn(victim.email, `wrong password ${i}`)).statusCode)
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429])
    const throttled = await browser.signIn(victim.email, victim.password)
    expect(throttled.statusCode).toBe(429)
    expect(throttled.body).toContain('Too many failed sign-ins')
    // The API login shares the same budget.
    const api = await server.app.inject({ method: 'POST', url: '/auth/login', payload: { email: victim.email, password: victim.password } })
    expect(api.statusCode).toBe(429)
  })

  test('posts without a valid CSRF token are refused with 403, signed in or not, and change nothing', async () => {
    const browser = new Browser(server)
    await browser.get('/admin/sign-in')
    expect((await browser.post('/admin/sign-in', { identifier: 'root@example.com', password: PASSWORD }, { csrf: false })).statusCode).toBe(403)
    await browser.signIn('root@example.com', PASSWORD)
    for (const form of [{}, { _csrf: 'forged' }, { _csrf: '' }] as Record<string, string>[]) {
      const response = await browser.post(`/admin/users/${member.userId}/deactivate`, form, { csrf: false })
      expect(response.statusCode).toBe(403)
      expect(response.headers['content-type']).toMatch(/^text\/html/)
      expect(response.body).toContain('CSRF verification failed')
    }
    // A token from another browser does not fit this browser's secret.
    const other = new Browser(server)
    await other.get('/admin/sign-in')
    expect((await browser.post(`/admin/users/${member.userId}/deactivate`, { _csrf: other.csrf }, { csrf: false })).statusCode).toBe(403)
    expect((await server.tessera.getUser(member.userId)).isActive).toBe(true)
  })

  test('after sign-in, next is followed only within /admin', async () => {
    for (const [next, expected] of [
      ['/admin/users/1', '/admin/users/1'],
      ['https://evil.example/admin/', '/admin/users'],
      ['//evil.example/admin/users', '/admin/users'],
      ['/admin/\\evil.example', '/admin/users'],
      ['/elsewhere', '/admin/users'],
    ] as const) {
      const browser = new Browser(server)
      await browser.get('/admin/sign-in')
      const response = await browser.post('/admin/sign-in', { identifier: 'root@example.com', password: PASSWORD, next })
      expect(response.headers.location, next).toBe(expected)
    }
  })

  test('search, filters and keyset pagination', async () => {
    const browser = new Browser(server)
    await browser.signIn('root@example.com', PASSWORD)
    const found = await browser.get(`/admin/users?q=${encodeURIComponent(member.username.toUpperCase())}`)
    expect(found.body).toContain(member.email)
    expect(found.body).not.toContain('root@example.com</a>')
    const staffOnly = await browser.get('/admin/users?staff=true')
    expect(staffOnly.body).toContain('root@example.com')
    expect(staffOnly.body).not.toContain(member.email)
    for (let i = 0; i < 50; i++) await server.tessera.createUser({ email: `page${i}.${process.pid}@example.com`, password: PASSWORD })
    const first = await browser.get('/admin/users')
    const next = /href="([^"]+)" rel="next"/.exec(first.body)![1]!.replaceAll('&amp;', '&')
    expect(next).toMatch(/^\/admin\/users\?after=\d+$/)
    const second = await browser.get(next)
    expect(second.statusCode).toBe(200)
    expect(second.body).toContain('« First page')
    expect(second.body).not.toContain('rel="next"')
  })

  test('bad input gets a clear 4xx page, never a 500', async () => {
    const browser = new Browser(server)
    await browser.signIn('root@example.com', PASSWORD)
    expect((await browser.get('/admin/users/abc')).statusCode).toBe(404)
    expect((await browser.get('/admin/users/99999999')).statusCode).toBe(404)
    expect((await browser.get('/admin/users/999999999999999999999')).statusCode).toBe(404)
    expect((await browser.get(`/admin/users/${member.userId}/confirm?action=explode`)).statusCode).toBe(404)
    expect((await browser.get(`/admin/users/${member.userId}/confirm?action=revoke-session&session=nope`)).statusCode).toBe(404)
    expect((await browser.post(`/admin/users/${member.userId}/sessions/not-a-session/revoke`)).statusCode).toBe(404)
    expect((await browser.get('/admin/nowhere')).statusCode).toBe(404)
    const odd = await browser.get(`/admin/users?q=${encodeURIComponent('\u0000\u0007%_' + 'x'.repeat(5000))}&active=maybe&after=-1`)
    expect(odd.statusCode).toBe(200)
    const audit = await browser.get(`/admin/audit?user=${encodeURIComponent('\u0000nobody')}&kind=nope&before=x`)
    expect(audit.statusCode).toBe(404)
    expect(audit.body).toContain('No user is named')
    const big = await browser.post(`/admin/users/${member.userId}/profile`, { email: 'x'.repeat(20_000) })
    expect(big.statusCode).toBe(413)
    const plain = await server.app.inject({
      method: 'POST',
      url: `/admin/users/${member.userId}/activate`,
      cookies: Object.fromEntries(browser.cookies),
      headers: { 'content-type': 'text/plain' },
      payload: `_csrf=${browser.csrf}`,
    })
    expect(plain.statusCode).toBe(415)
    for (const response of [big, plain]) expect(response.headers['content-type']).toMatch(/^text\/html/)
    // A tampered flash cookie is ignored, not an error.
    browser.cookies.set('tessera_admin_flash', 'garbage')
    expect((await browser.get('/admin/users')).statusCode).toBe(200)
  })

  test('a profile edit that fails keeps what was typed and says why; one that works says so', async () => {
    const browser = new Browser(server)
    await browser.signIn('root@example.com', PASSWORD)
    await browser.get(`/admin/users/${member.userId}`)
    const taken = await browser.post(`/admin/users/${member.userId}/profile`, { email: 'ROOT@example.com', username: 'renamed-member' })
    expect(taken.statusCode).toBe(400)
    expect(taken.body).toContain('value="renamed-member"')
    expect(taken.body).toContain('aria-invalid="true"')
    expect(taken.body).toMatch(/already exists/)
    const saved = await browser.post(`/admin/users/${member.userId}/profile`, { email: member.email, username: `renamed${process.pid}` })
    expect(saved.statusCode).toBe(303)
    expect(flashes(await browser.get(saved.headers.location as string))).toContain('Saved the profile')
    expect((await server.tessera.getUser(member.userId)).username).toBe(`renamed${process.pid}`)
  })

  test("staff who are not superusers see no superuser box and cannot act on a superuser's account", async () => {
    const browser = new Browser(server)
    const signedIn = await browser.signIn(staff.username, staff.password)
    expect(signedIn.statusCode, signedIn.body).toBe(303)
    const page = await browser.get(`/admin/users/${root.id}`)
    expect(page.body).toContain('name="isStaff"')
    expect(page.body).not.toContain('name="isSuperuser"')
    const refused = await browser.post(`/admin/users/${root.id}/deactivate`)
    expect(refused.statusCode).toBe(303)
    expect(flashes(await browser.get(refused.headers.location as string))).toMatch(/Only a superuser/)
    expect((await server.tessera.getUser(root.id)).isActive).toBe(true)
    // Forging the superuser box changes nothing: the page does not pass it for non-superusers.
    await browser.post(`/admin/users/${member.userId}/privileges`, { isStaff: 'on', isSuperuser: 'on' })
    const promoted = await server.tessera.getUser(member.userId)
    expect(promoted).toMatchObject({ isStaff: true, isSuperuser: false })
    await server.tessera.updateUserAsStaff({ user: (await server.tessera.getUser(root.id)), address: undefined }, member.userId, { isStaff: false })
  })

  test('nobody deactivates themselves, and a staff member demoted meanwhile is signed out', async () => {
    const browser = new Browser(server)
    await browser.signIn('root@example.com', PASSWORD)
    const self = await browser.post(`/admin/users/${root.id}/deactivate`)
    expect(flashes(await browser.get(self.headers.location as string))).toMatch(/cannot deactivate or demote yourself/)

    const demoted = new Browser(server)
    const account = await register(server)
    const superuser = await server.tessera.getUser(root.id)
    await server.tessera.updateUserAsStaff({ user: superuser, address: undefined }, account.userId, { isStaff: true })
    expect((await demoted.signIn(account.email, account.password)).statusCode).toBe(303)
    expect((await demoted.get('/admin/users')).statusCode).toBe(200)
    await server.tessera.updateUserAsStaff({ user: superuser, address: undefined }, account.userId, { isStaff: false })
    const after = await demoted.get('/admin/users')
    expect(after.statusCode).toBe(303)
    expect(after.headers.location).toMatch(/^\/admin\/sign-in/)
    const post = await demoted.post(`/admin/users/${member.userId}/deactivate`)
    expect(post.headers.location).toBe('/admin/sign-in')
    expect((await server.tessera.getUser(member.userId)).isActive).toBe(true)
  })

  test('staff actions: reset mail, unusable password, revoke all, token', async () => {
    const browser = new Browser(server)
    await browser.signIn('root@example.com', PASSWORD)
    const target = await register(server)
    await browser.get(`/admin/users/${target.userId}`)
    const created = await browser.post(`/admin/users/${target.userId}/tokens`, { device: 'CI runner' })
    expect(created.statusCode).toBe(201)
    const token = /<output id="token"[^>]*>([^<]+)<\/output>/.exec(created.body)![1]!
    expect((await whoAmI(server, token)).statusCode).toBe(200)
    expect((await browser.post(`/admin/users/${target.userId}/tokens`, { device: '  ' })).statusCode).toBe(303)

    const reset = await browser.post(`/admin/users/${target.userId}/password-reset`)
    expect(flashes(await browser.get(reset.headers.location as string))).toContain(`Sent a password-reset mail to ${target.email}`)

    const all = await browser.post(`/admin/users/${target.userId}/sessions/revoke-all`)
    expect(flashes(await browser.get(all.headers.location as string))).toContain('Revoked 2 sessions')
    expect((await whoAmI(server, token)).statusCode).toBe(401)
    expect((await whoAmI(server, target.token)).statusCode).toBe(401)

    const unusable = await browser.post(`/admin/users/${target.userId}/unusable-password`)
    const page = await browser.get(unusable.headers.location as string)
    expect(flashes(page)).toContain('can no longer log in with a password')
    expect(page.body).toContain('unusable')
    const login = await server.app.inject({ method: 'POST', url: '/auth/login', payload: { email: target.email, password: target.password } })
    expect(login.statusCode).toBe(400)
  })
})
