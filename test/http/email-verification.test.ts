import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { linkIn, startSmtpPeer, type SmtpPeer } from '../mail/smtp-peer.js'
import { bearer, expectProblem, expectUnauthorized, makeServer, register, whoAmI, type Registered, type TestServer } from '../support/server.js'

const PUBLIC_URL = 'https://auth.example.com'
const VERIFY_PAGE = `${PUBLIC_URL}/auth/email/verify?token=`

let peer: SmtpPeer
let server: TestServer
beforeAll(async () => {
  peer = await startSmtpPeer()
  server = await makeServer({ SMTP_URL: peer.url, PUBLIC_URL })
})
afterAll(async () => {
  await server?.dispose()
  await peer?.close()
})

const post = (url: string, payload?: object, headers: Record<string, string> = {}) =>
  server.app.inject({ method: 'POST', url, ...(payload ? { payload } : {}), headers })

/** Requests a verification mail for `user` and returns its link. */
async function mailedLink(user: Registered, prefix = VERIFY_PAGE, on: TestServer = server): Promise<string> {
  const before = peer.received.length
  const response = await on.app.inject({ method: 'POST', url: '/auth/email/verify/request', headers: bearer(user.token) })
  expect(response.statusCode, response.body).toBe(202)
  const mail = (await peer.waitFor(before + 1))[before]!
  expect(mail.to).toEqual([user.email])
  return linkIn(mail, prefix)
}

const tokenOf = (link: string) => new URL(link).searchParams.get('token')!
const emailVerified = async (user: Registered) => (await whoAmI(server, user.token)).json().user.emailVerified as boolean

describe('POST /auth/email/verify/request, then POST /auth/email/verify', () => {
  test('mails a link; confirming its token sets emailVerified', async () => {
    const user = await register(server)
    expect(await emailVerified(user)).toBe(false)
    const link = await mailedLink(user)
    expect(tokenOf(link)).toMatch(/^tsro_[A-Za-z0-9_-]{43}$/)

    const confirmed = await post('/auth/email/verify', { token: tokenOf(link) })
    expect(confirmed.statusCode, confirmed.body).toBe(204)
    expect(await emailVerified(user)).toBe(true)
  })

  test('answers 202 without a mail when the address is verified already', async () => {
    const user = await register(server)
    await post('/auth/email/verify', { token: tokenOf(await mailedLink(user)) })
    const before = peer.received.length
    const again = await post('/auth/email/verify/request', undefined, bearer(user.token))
    expect(again.statusCode).toBe(202)
    expect(again.json()).toEqual({ detail: 'Your e-mail address is already verified.' })
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(peer.received.length).toBe(before)
  })

  test('needs authentication to request a link', async () => {
    expectUnauthorized(await post('/auth/email/verify/request'), 'not_authenticated')
  })

  test('a token works once, and unknown tokens are refused alike', async () => {
    const user = await register(server)
    const token = tokenOf(await mailedLink(user))
    expect((await post('/auth/email/verify', { token })).statusCode).toBe(204)
    expectProblem(await post('/auth/email/verify', { token }), 400, 'invalid_one_time_token')
    expectProblem(await post('/auth/email/verify', { token: `tsro_${'A'.repeat(43)}` }), 400, 'invalid_one_time_token')
    expectProblem(await post('/auth/email/verify', {}), 400, 'validation_failed')
  })

  test('changing the e-mail clears emailVerified and kills links sent to the old address', async () => {
    const user = await register(server)
    const stale = tokenOf(await mailedLink(user))
    await post('/auth/email/verify', { token: tokenOf(await mailedLink(user)) })
    expect(await emailVerified(user)).toBe(true)

    const patched = await server.app.inject({
      method: 'PATCH',
      url: '/auth/user',
      headers: bearer(user.token),
      payload: { email: `moved.${user.email}` },
    })
    expect(patched.statusCode, patched.body).toBe(200)
    expect(patched.json().user.emailVerified).toBe(false)
    expectProblem(await post('/auth/email/verify', { token: stale }), 400, 'invalid_one_time_token')
    expect(await emailVerified(user)).toBe(false)
  })

  // Issue 11 (b): whoever changes the password may be shutting out someone who holds an old link.
  test('a password change kills a verification link mailed before it: 400 invalid_one_time_token', async () => {
    const user = await register(server)
    const token = tokenOf(await mailedLink(user))
    const changed = await post('/auth/password/change', { currentPassword: user.password, newPassword: 'a different horse battery 77' }, bearer(user.token))
    expect(changed.statusCode, changed.body).toBe(204)
    expectProblem(await post('/auth/email/verify', { token }), 400, 'invalid_one_time_token')
    expect(await emailVerified(user)).toBe(false)
    // A link asked for after the change works.
    expect((await post('/auth/email/verify', { token: tokenOf(await mailedLink(user)) })).statusCode).toBe(204)
  })

  test('a reset token is not a verification token', async () => {
    const user = await register(server)
    const before = peer.received.length
    await post('/auth/password/reset', { email: user.email })
    const resetToken = tokenOf(linkIn((await peer.waitFor(before + 1))[before]!, `${PUBLIC_URL}/auth/password/reset/confirm?token=`))
    expectProblem(await post('/auth/email/verify', { token: resetToken }), 400, 'invalid_one_time_token')
  })
})

describe('GET /auth/email/verify?token=… (Tessera\'s own page)', () => {
  test('shows a button that posts the token, and verifies nothing by itself', async () => {
    const user = await register(server)
    const link = await mailedLink(user)
    const page = await server.app.inject({ method: 'GET', url: link.slice(PUBLIC_URL.length) })
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(page.headers['cache-control']).toBe('no-store')
    expect(page.headers['referrer-policy']).toBe('no-referrer')
    expect(page.body).toContain('<form method="post" action="/auth/email/verify/form">')
    expect(page.body).toContain(`<input type="hidden" name="token" value="${tokenOf(link)}">`)
    expect(page.body).toContain('<button type="submit">')
    // A mail scanner that fetches the link must not verify the address.
    expect(await emailVerified(user)).toBe(false)

    const done = await server.app.inject({
      method: 'POST',
      url: '/auth/email/verify/form',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ token: tokenOf(link) }).toString(),
    })
    expect(done.statusCode).toBe(200)
    expect(done.body).toContain('E-mail address confirmed')
    expect(await emailVerified(user)).toBe(true)

    const spent = await server.app.inject({ method: 'GET', url: link.slice(PUBLIC_URL.length) })
    expect(spent.statusCode).toBe(400)
    expect(spent.body).toContain('This link no longer works')
  })
})

describe('VERIFY_URL and REQUIRE_VERIFIED_EMAIL', () => {
  test('VERIFY_URL without a placeholder gets token= added to its query', async () => {
    const spa = await makeServer({ SMTP_URL: peer.url, PUBLIC_URL, VERIFY_URL: 'https://app.example.com/verify?from=mail' }, { memory: true })
    try {
      const user = await register(spa)
      const link = await mailedLink(user, 'https://app.example.com/verify?', spa)
      expect(link).toMatch(/^https:\/\/app\.example\.com\/verify\?from=mail&token=tsro_[A-Za-z0-9_-]{43}$/)
    } finally {
      await spa.dispose()
    }
  })

  test('REQUIRE_VERIFIED_EMAIL refuses a right password with 403 until the e-mail is verified', async () => {
    const strict = await makeServer({ SMTP_URL: peer.url, PUBLIC_URL, REQUIRE_VERIFIED_EMAIL: 'true' }, { memory: true })
    try {
      const user = await register(strict)
      const attempt = (password: string) =>
        strict.app.inject({ method: 'POST', url: '/auth/login', payload: { email: user.email, password } })
      expectProblem(await attempt('wrong password entirely'), 400, 'invalid_credentials')
      const refused = expectProblem(await attempt(user.password), 403, 'permission_denied')
      expect(refused.detail).toBe('E-mail address is not verified.')

      const token = tokenOf(await mailedLink(user, VERIFY_PAGE, strict))
      expect((await strict.app.inject({ method: 'POST', url: '/auth/email/verify', payload: { token } })).statusCode).toBe(204)
      expect((await attempt(user.password)).statusCode).toBe(200)
    } finally {
      await strict.dispose()
    }
  })
})
