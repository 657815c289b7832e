import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { linkIn, startSmtpPeer, type SmtpPeer } from '../mail/smtp-peer.js'
import { bearer, expectProblem, login, makeServer, register, whoAmI, type TestServer } from '../support/server.js'

const PUBLIC_URL = 'https://auth.example.com'
const RESET_PAGE = `${PUBLIC_URL}/auth/password/reset/confirm?token=`
const NEW_PASSWORD = 'a brand new passphrase 77'
const ACCEPTED = { detail: 'If this e-mail address belongs to an account, a link to reset its password has been sent to it.' }

let peer: SmtpPeer
let server: TestServer
beforeAll(async () => {
  peer = await startSmtpPeer()
  server = await makeServer({ SMTP_URL: peer.url, PUBLIC_URL, MAIL_FROM: 'Tessera <no-reply@auth.example.com>' })
})
afterAll(async () => {
  await server?.dispose()
  await peer?.close()
})

const post = (url: string, payload: object, headers: Record<string, string> = {}) =>
  server.app.inject({ method: 'POST', url, payload, headers })

/** Requests a reset for `email` and returns the token from the mail that arrives. */
async function mailedToken(email: string): Promise<string> {
  const before = peer.received.length
  const response = await post('/auth/password/reset', { email })
  expect(response.statusCode, response.body).toBe(202)
  const mails = await peer.waitFor(before + 1)
  const mail = mails[before]!
  expect(mail.to).toEqual([email])
  return new URL(linkIn(mail, RESET_PAGE)).searchParams.get('token')!
}

describe('POST /auth/password/reset, then /auth/password/reset/confirm', () => {
  test('mails a link to the reset page; following it and confirming sets the password and ends every session', async () => {
    const user = await register(server)
    const other = await login(server, { email: user.email, password: user.password, device: 'tablet' })

    const before = peer.received.length
    const response = await post('/auth/password/reset', { email: user.email.toUpperCase() })
    expect(response.statusCode, response.body).toBe(202)
    expect(response.json()).toEqual(ACCEPTED)

    const mail = (await peer.waitFor(before + 1))[before]!
    expect(mail.to).toEqual([user.email])
    expect(mail.raw).toMatch(/^From: Tessera <no-reply@auth\.example\.com>\r?$/m)
    expect(mail.raw).toMatch(/^Subject: Reset your password on auth\.example\.com\r?$/m)
    const link = linkIn(mail, RESET_PAGE)
    const token = new URL(link).searchParams.get('token')!
    expect(token).toMatch(/^tsro_[A-Za-z0-9_-]{43}$/)

    const page = await server.app.inject({ method: 'GET', url: link.slice(PUBLIC_URL.length) })
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-type']).toMatch(/^text\/html/)
    expect(page.body).toContain('<form method="post"')

    const confirmed = await post('/auth/password/reset/confirm', { token, newPassword: NEW_PASSWORD })
    expect(confirmed.statusCode, confirmed.body).toBe(204)
    expect(confirmed.body).toBe('')

    expect((await whoAmI(server, user.token)).statusCode).toBe(401)
    expect((await whoAmI(server, other.token)).statusCode).toBe(401)
    expectProblem(await post('/auth/login', { email: user.email, password: user.password }), 400, 'invalid_credentials')
    const fresh = await login(server, { email: user.email, password: NEW_PASSWORD })
    const me = await whoAmI(server, fresh.token)
    expect(me.statusCode).toBe(200)
    expect(me.json().user.emailVerified).toBe(true)
  })

  test('an unknown e-mail gets the same 202 and the same body, and no mail is sent', async () => {
    const known = await register(server)
    const before = peer.received.length
    const unknown = await post('/auth/password/reset', { email: `nobody.${process.pid}@example.com` })
    const real = await post('/auth/password/reset', { email: known.email })
    expect(unknown.statusCode).toBe(202)
    expect(unknown.body).toBe(real.body)
    expect(unknown.headers['content-type']).toBe(real.headers['content-type'])

    await peer.waitFor(before + 1)
    // Give a stray mail for the unknown address time to arrive, were one sent.
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(peer.received.slice(before).map((m) => m.to)).toEqual([[known.email]])
  })

  test('a token works once: used again it is refused with invalid_one_time_token', async () => {
    const user = await register(server)
    const token = await mailedToken(user.email)
    expect((await post('/auth/password/reset/confirm', { token, newPassword: NEW_PASSWORD })).statusCode).toBe(204)
    const again = expectProblem(await post('/auth/password/reset/confirm', { token, newPassword: 'yet another passphrase 31' }), 400, 'invalid_one_time_token')
    expect(again.detail).toBe('This link is invalid or has expired.')
  })

  test('a token dies when the password changes through /auth/password/change', async () => {
    const user = await register(server)
    const token = await mailedToken(user.email)
    const changed = await post('/auth/password/change', { currentPassword: user.password, newPassword: NEW_PASSWORD }, bearer(user.token))
    expect(changed.statusCode, changed.body).toBe(204)
    expectProblem(await post('/auth/password/reset/confirm', { token, newPassword: 'yet another passphrase 31' }), 400, 'invalid_one_time_token')
  })

  test('a token acts for the user it was mailed to, whoever sends it', async () => {
    const ann = await register(server)
    const bob = await register(server)
    const token = await mailedToken(ann.email)
    const confirmed = await post('/auth/password/reset/confirm', { token, newPassword: NEW_PASSWORD }, bearer(bob.token))
    expect(confirmed.statusCode).toBe(204)
    expect((await whoAmI(server, bob.token)).statusCode).toBe(200)
    await login(server, { email: bob.email, password: bob.password })
    await login(server, { email: ann.email, password: NEW_PASSWORD })
  })

  test('a weak new password is refused with errors.newPassword, and the token still works after', async () => {
    const user = await register(server)
    const token = await mailedToken(user.email)
    const weak = expectProblem(await post('/auth/password/reset/confirm', { token, newPassword: '12345678' }), 400, 'validation_failed')
    expect(weak.errors?.newPassword).toContain('This password is entirely numeric.')
    expect((await post('/auth/password/reset/confirm', { token, newPassword: NEW_PASSWORD })).statusCode).toBe(204)
  })

  test('unknown, malformed and empty tokens are refused alike', async () => {
    for (const token of [`tsro_${'A'.repeat(43)}`, 'not-a-token', '', `tsr_${'A'.repeat(43)}`]) {
      expectProblem(await post('/auth/password/reset/confirm', { token, newPassword: NEW_PASSWORD }), 400, 'invalid_one_time_token')
    }
  })

  test('bad bodies are validation errors naming the field', async () => {
    expect(expectProblem(await post('/auth/password/reset', {}), 400, 'validation_failed').errors).toHaveProperty('email')
    expect(expectProblem(await post('/auth/password/reset', { email: 'no-at-sign' }), 400, 'validation_failed').errors).toHaveProperty('email')
    expect(expectProblem(await post('/auth/password/reset', { email: 'a@example.com', isStaff: true }), 400, 'validation_failed').errors).toHaveProperty('isStaff')
    expect(expectProblem(await post('/auth/password/reset/confirm', { token: 'x' }), 400, 'validation_failed').errors).toHaveProperty('newPassword')
  })

  test('the sixth request for one e-mail within an hour is throttled with 429 and Retry-After', async () => {
    const email = `throttled.${process.pid}@example.com`
    for (let i = 0; i < 5; i++) expect((await post('/auth/password/reset', { email })).statusCode).toBe(202)
    const refused = await post('/auth/password/reset', { email })
    expectProblem(refused, 429, 'throttled')
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)
  })
})

describe('RESET_URL', () => {
  test('a template with {token} is filled in, so a single-page app owns the page', async () => {
    const spa = await makeServer({ SMTP_URL: peer.url, PUBLIC_URL, RESET_URL: 'https://app.example.com/reset?token={token}' })
    try {
      const user = await register(spa)
      const before = peer.received.length
      expect((await spa.app.inject({ method: 'POST', url: '/auth/password/reset', payload: { email: user.email } })).statusCode).toBe(202)
      const mail = (await peer.waitFor(before + 1))[before]!
      const link = linkIn(mail, 'https://app.example.com/reset?token=')
      expect(link).toMatch(/^https:\/\/app\.example\.com\/reset\?token=tsro_[A-Za-z0-9_-]{43}$/)
      expect(mail.decoded).not.toContain(RESET_PAGE)
      const token = new URL(link).searchParams.get('token')!
      const confirmed = await spa.app.inject({ method: 'POST', url: '/auth/password/reset/confirm', payload: { token, newPassword: NEW_PASSWORD } })
      expect(confirmed.statusCode).toBe(204)
    } finally {
      await spa.dispose()
    }
  })

  test('a template with the token in its path stops the server from starting', async () => {
    await expect(makeServer({ RESET_URL: 'https://app.example.com/reset/{token}' }, { memory: true })).rejects.toThrow(/RESET_URL/)
  })
})
