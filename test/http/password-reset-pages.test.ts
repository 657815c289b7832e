import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { linkIn, startSmtpPeer, type SmtpPeer } from '../mail/smtp-peer.js'
import { login, makeServer, register, type TestServer } from '../support/server.js'

const PUBLIC_URL = 'https://auth.example.com'
const RESET_PAGE = `${PUBLIC_URL}/auth/password/reset/confirm?token=`
const NEW_PASSWORD = 'a brand new passphrase 77'

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

/** Registers a user, requests a reset, and returns the path of the mailed link and its token. */
async function mailedLink(): Promise<{ path: string; token: string; email: string }> {
  const user = await register(server)
  const before = peer.received.length
  await server.app.inject({ method: 'POST', url: '/auth/password/reset', payload: { email: user.email } })
  const link = linkIn((await peer.waitFor(before + 1))[before]!, RESET_PAGE)
  return { path: link.slice(PUBLIC_URL.length), token: new URL(link).searchParams.get('token')!, email: user.email }
}

const submit = (fields: Record<string, string>) =>
  server.app.inject({
    method: 'POST',
    url: '/auth/password/reset/confirm/form',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(fields).toString(),
  })

/** The headers every page with a token in its URL must carry. */
function expectPageHeaders(response: { headers: Record<string, unknown> }): void {
  expect(response.headers['content-type']).toBe('text/html; charset=utf-8')
  expect(response.headers['cache-control']).toBe('no-store')
  expect(response.headers['referrer-policy']).toBe('no-referrer')
  expect(response.headers['content-security-policy']).toContain("default-src 'none'")
}

describe('GET /auth/password/reset/confirm?token=… (Tessera\'s own reset page)', () => {
  test('serves an accessible form that posts the token and a new password, loading nothing from elsewhere', async () => {
    const { path, token } = await mailedLink()
    const page = await server.app.inject({ method: 'GET', url: path })
    expect(page.statusCode).toBe(200)
    expectPageHeaders(page)
    expect(page.body).toMatch(/^<!doctype html>/)
    expect(page.body).toContain('<html lang="en">')
    expect(page.body).toContain('<form method="post" action="/auth/password/reset/confirm/form">')
    expect(page.body).toContain(`<input type="hidden" name="token" value="${token}">`)
    expect(page.body).toContain('<label for="newPassword">New password</label>')
    expect(page.body).toMatch(/<input id="newPassword" name="newPassword" type="password" autocomplete="new-password" required/)
    expect(page.body).toContain('<label for="confirmPassword">')
    expect(page.body).toContain('<button type="submit">')
    expect(page.body).not.toMatch(/<script|<link|src=/)
  })

  test('says the link no longer works for an unknown, malformed or missing token', async () => {
    for (const url of ['/auth/password/reset/confirm?token=tsro_' + 'A'.repeat(43), '/auth/password/reset/confirm?token=%22%3E%3Cscript%3E', '/auth/password/reset/confirm']) {
      const page = await server.app.inject({ method: 'GET', url })
      expect(page.statusCode, url).toBe(400)
      expectPageHeaders(page)
      expect(page.body).toContain('This link no longer works')
      expect(page.body).not.toContain('<script>')
    }
  })

  test('does not spend the token: opening the link twice still shows the form', async () => {
    const { path } = await mailedLink()
    await server.app.inject({ method: 'GET', url: path })
    expect((await server.app.inject({ method: 'GET', url: path })).statusCode).toBe(200)
  })
})

describe('POST /auth/password/reset/confirm/form (the page\'s form)', () => {
  test('sets the password, says so in HTML, and spends the link', async () => {
    const { path, token, email } = await mailedLink()
    const done = await submit({ token, newPassword: NEW_PASSWORD, confirmPassword: NEW_PASSWORD })
    expect(done.statusCode, done.body).toBe(200)
    expectPageHeaders(done)
    expect(done.body).toContain('Password changed')
    await login(server, { email, password: NEW_PASSWORD })
    expect((await server.app.inject({ method: 'GET', url: path })).statusCode).toBe(400)
    const again = await submit({ token, newPassword: 'yet another passphrase 31', confirmPassword: 'yet another passphrase 31' })
    expect(again.statusCode).toBe(400)
    expect(again.body).toContain('This link no longer works')
  })

  test('shows the form again with the reason when the two fields differ or the password is weak', async () => {
    const { token, email } = await mailedLink()
    const mismatch = await submit({ token, newPassword: NEW_PASSWORD, confirmPassword: 'something else entirely' })
    expect(mismatch.statusCode).toBe(400)
    expect(mismatch.body).toContain('role="alert"')
    expect(mismatch.body).toContain('The two password fields didn&#39;t match.')
    expect(mismatch.body).toContain(`value="${token}"`)

    const weak = await submit({ token, newPassword: '12345678', confirmPassword: '12345678' })
    expect(weak.statusCode).toBe(400)
    expect(weak.body).toContain('This password is entirely numeric.')

    expect((await submit({ token, newPassword: NEW_PASSWORD, confirmPassword: NEW_PASSWORD })).statusCode).toBe(200)
    await login(server, { email, password: NEW_PASSWORD })
  })

  test('the JSON API does not read forms: only the page route does', async () => {
    const response = await server.app.inject({
      method: 'POST',
      url: '/auth/password/reset/confirm',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'token=x&newPassword=y',
    })
    expect(response.statusCode).toBe(415)
  })
})

describe('a PUBLIC_URL with a path', () => {
  test('the form posts back under that path', async () => {
    const prefixed = await makeServer({ SMTP_URL: peer.url, PUBLIC_URL: 'https://example.com/tessera' }, { memory: true })
    try {
      const user = await register(prefixed)
      const before = peer.received.length
      await prefixed.app.inject({ method: 'POST', url: '/auth/password/reset', payload: { email: user.email } })
      const link = linkIn((await peer.waitFor(before + 1))[before]!, 'https://example.com/tessera/auth/password/reset/confirm?token=')
      const page = await prefixed.app.inject({ method: 'GET', url: link.slice('https://example.com/tessera'.length) })
      expect(page.body).toContain('action="/tessera/auth/password/reset/confirm/form"')
    } finally {
      await prefixed.dispose()
    }
  })
})
