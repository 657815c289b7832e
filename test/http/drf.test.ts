import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { formBody, multipartBody } from '../support/multipart.js'
import { makeServer, register, whoAmI, type Registered, type TestServer } from '../support/server.js'

const TOKEN_SHAPE = /^tsr_[A-Za-z0-9_-]{43}$/
const BAD_CREDENTIALS = { non_field_errors: ['Unable to log in with provided credentials.'] }
const REQUIRED = { username: ['This field is required.'], password: ['This field is required.'] }
const BLANK = { username: ['This field may not be blank.'], password: ['This field may not be blank.'] }

let server: TestServer
let alice: Registered
beforeAll(async () => {
  server = await makeServer()
  alice = await register(server)
})
afterAll(async () => {
  await server?.dispose()
})

const obtain = (request: { payload: string | Buffer | object; headers?: Record<string, string> }) =>
  server.app.inject({ method: 'POST', url: '/api-token-auth/', payload: request.payload, headers: request.headers ?? {} })

const regenerate = (method: 'GET' | 'POST', authorization?: string) =>
  server.app.inject({ method, url: '/api-token-auth/new/', headers: authorization === undefined ? {} : { authorization } })

/** Asserts a DRF 200 `{"token": "<key>"}` and nothing else, and returns the key. */
function expectToken(response: LightMyRequestResponse): string {
  expect(response.statusCode, response.body).toBe(200)
  expect(response.headers['content-type']).toMatch(/^application\/json/)
  const body = response.json()
  expect(body).toEqual({ token: expect.stringMatching(TOKEN_SHAPE) })
  return body.token as string
}

/** Asserts a DRF 400 with exactly `body`. */
function expectDrf400(response: LightMyRequestResponse, body: unknown): void {
  expect(response.statusCode, response.body).toBe(400)
  expect(response.headers['content-type']).toMatch(/^application\/json/)
  expect(response.json()).toEqual(body)
}

/** Asserts DRF's 401: `WWW-Authenticate: Token` and exactly `{"detail": detail}`. */
function expectDrf401(response: LightMyRequestResponse, detail: string): void {
  expect(response.statusCode, response.body).toBe(401)
  expect(response.headers['www-authenticate']).toBe('Token')
  expect(response.headers['content-type']).toMatch(/^application\/json/)
  expect(response.json()).toEqual({ detail })
}

describe('POST /api-token-auth/', () => {
  test('gives a token for a JSON body', async () => {
    const token = expectToken(await obtain({ payload: { username: alice.username, password: alice.password } }))
    expect((await whoAmI(server, token)).statusCode).toBe(200)
  })

  test('gives a token for an application/x-www-form-urlencoded body', async () => {
    const token = expectToken(await obtain(formBody({ username: alice.username, password: alice.password })))
    expect((await whoAmI(server, token)).statusCode).toBe(200)
  })

  test('gives a token for a hand-built multipart/form-data body', async () => {
    const token = expectToken(await obtain(multipartBody({ username: alice.username, password: alice.password })))
    expect((await whoAmI(server, token)).statusCode).toBe(200)
  })

  test('accepts the e-mail, in any case, in the username field', async () => {
    expectToken(await obtain({ payload: { username: alice.email, password: alice.password } }))
    expectToken(await obtain(formBody({ username: alice.email.toUpperCase(), password: alice.password })))
  })

  test('gives a new token for a new device session on every call, and both keep working', async () => {
    const user = await register(server)
    const first = expectToken(await obtain({ payload: { username: user.username, password: user.password } }))
    const second = expectToken(await obtain({ payload: { username: user.username, password: user.password } }))
    expect(second).not.toBe(first)
    expect((await whoAmI(server, first)).statusCode).toBe(200)
    expect((await whoAmI(server, second)).statusCode).toBe(200)
    // The registration's session and the two new ones.
    expect(await server.tessera.listSessions(user.userId)).toHaveLength(3)
  })

  test('names the new session after the User-Agent', async () => {
    const user = await register(server)
    expectToken(await obtain({ payload: { username: user.username, password: user.password }, headers: { 'user-agent': 'okhttp/4.12.0' } }))
    const devices = (await server.tessera.listSessions(user.userId)).map((s) => s.device)
    expect(devices).toContain('okhttp/4.12.0')
  })

  test('answers a wrong password with the exact non_field_errors body', async () => {
    expectDrf400(await obtain({ payload: { username: alice.username, password: 'not the password' } }), BAD_CREDENTIALS)
  })

  test('answers an unknown user with the same body', async () => {
    expectDrf400(await obtain({ payload: { username: 'nobody-here', password: alice.password } }), BAD_CREDENTIALS)
    expectDrf400(await obtain(formBody({ username: 'nobody@example.com', password: alice.password })), BAD_CREDENTIALS)
  })

  test('answers an inactive user with the same body', async () => {
    const user = await register(server)
    await server.tessera.setUserActive(user.userId, false)
    expectDrf400(await obtain({ payload: { username: user.username, password: user.password } }), BAD_CREDENTIALS)
  })

  test.each([
    ['JSON', () => ({ payload: {} })],
    ['a form', () => formBody({})],
    ['multipart', () => multipartBody({})],
  ])('names both missing fields with "This field is required." in %s', async (_kind, body) => {
    expectDrf400(await obtain(body()), REQUIRED)
  })

  test('names only the missing field when the other is present', async () => {
    expectDrf400(await obtain({ payload: { username: alice.username } }), { password: ['This field is required.'] })
    expectDrf400(await obtain(formBody({ password: 'x' })), { username: ['This field is required.'] })
  })

  test.each([
    ['JSON', () => ({ payload: { username: '', password: '' } })],
    ['a form', () => formBody({ username: '', password: '' })],
    ['multipart', () => multipartBody({ username: '', password: '' })],
  ])('names both blank fields with "This field may not be blank." in %s', async (_kind, body) => {
    expectDrf400(await obtain(body()), BLANK)
  })

  test('ignores fields it does not know, as DRF\'s serializer does', async () => {
    expectToken(await obtain({ payload: { username: alice.username, password: alice.password, remember_me: true } }))
    expectToken(await obtain(formBody({ username: alice.username, password: alice.password, csrfmiddlewaretoken: 'x' })))
  })

  test('refuses values that are not strings with DRF\'s field messages', async () => {
    expectDrf400(await obtain({ payload: { username: ['a'], password: true } }), { username: ['Not a valid string.'], password: ['Not a valid string.'] })
    expectDrf400(await obtain({ payload: { username: null, password: null } }), {
      username: ['This field may not be null.'],
      password: ['This field may not be null.'],
    })
  })

  test('does not trim the password, as DRF does not', async () => {
    expectDrf400(await obtain({ payload: { username: alice.username, password: ` ${alice.password} ` } }), BAD_CREDENTIALS)
  })

  test('a username of spaces is blank, as DRF trims it', async () => {
    expectDrf400(await obtain({ payload: { username: '   ', password: 'x' } }), { username: ['This field may not be blank.'] })
  })
})

describe('authentication failures on /api-token-auth/new/', () => {
  test('no Authorization header: "Authentication credentials were not provided."', async () => {
    expectDrf401(await regenerate('GET'), 'Authentication credentials were not provided.')
  })

  test('another scheme (Basic) counts as no credentials', async () => {
    expectDrf401(await regenerate('GET', 'Basic YWxpY2U6c2VjcmV0'), 'Authentication credentials were not provided.')
  })

  test('"Token" alone: "Invalid token header. No credentials provided."', async () => {
    expectDrf401(await regenerate('GET', 'Token'), 'Invalid token header. No credentials provided.')
  })

  test('"Token a b": "Invalid token header. Token string should not contain spaces."', async () => {
    expectDrf401(await regenerate('GET', 'Token a b'), 'Invalid token header. Token string should not contain spaces.')
  })

  test('a non-ASCII token: DRF\'s "should not contain invalid characters" message', async () => {
    // Latin-1 bytes survive Node's header validation; DRF refuses any token that is not ASCII.
    expectDrf401(await regenerate('GET', 'Token t\u00e9st'), 'Invalid token header. Token string should not contain invalid characters.')
  })

  test('an unknown token: "Invalid token."', async () => {
    expectDrf401(await regenerate('GET', `Token tsr_${'A'.repeat(43)}`), 'Invalid token.')
    expectDrf401(await regenerate('POST', 'Token 0123456789abcdef0123456789abcdef01234567'), 'Invalid token.')
    expectDrf401(await regenerate('GET', 'Token whatever'), 'Invalid token.')
  })

  test('a token whose user is inactive: "User inactive or deleted."', async () => {
    const user = await register(server)
    // Written to the store directly, as another process or an import would: the session itself
    // stays live, so only the user's flag can refuse it (the core's deactivation also revokes).
    await server.tessera.store.updateUser(user.userId, { isActive: false })
    expectDrf401(await regenerate('GET', `Token ${user.token}`), 'User inactive or deleted.')
  })

  test('a user deactivated through the core has every token refused with 401 and the Token challenge', async () => {
    const user = await register(server)
    await server.tessera.setUserActive(user.userId, false)
    const response = await regenerate('GET', `Token ${user.token}`)
    expect(response.statusCode).toBe(401)
    expect(response.headers['www-authenticate']).toBe('Token')
    expect(['Invalid token.', 'User inactive or deleted.']).toContain(response.json().detail)
  })

  test('a revoked token: "Invalid token."', async () => {
    const user = await register(server)
    await server.app.inject({ method: 'POST', url: '/auth/logout', headers: { authorization: `Token ${user.token}` } })
    expectDrf401(await regenerate('POST', `Token ${user.token}`), 'Invalid token.')
  })
})

describe('GET and POST /api-token-auth/new/', () => {
  test.each(['GET', 'POST'] as const)('%s gives the calling session a new key; the old key dies, other devices do not', async (method) => {
    const user = await register(server)
    const other = expectToken(await obtain({ payload: { username: user.username, password: user.password } }))

    const fresh = expectToken(await regenerate(method, `Token ${user.token}`))
    expect(fresh).not.toBe(user.token)

    expectDrf401(await regenerate('GET', `Token ${user.token}`), 'Invalid token.')
    expect((await whoAmI(server, fresh)).statusCode).toBe(200)
    expect((await whoAmI(server, other)).statusCode).toBe(200)
    const sessions = await server.tessera.listSessions(user.userId)
    expect(sessions.map((s) => s.id).sort()).toContain(user.sessionId)
    expect(sessions).toHaveLength(2)
  })

  test.each([
    ['Bearer', (token: string) => `Bearer ${token}`],
    ['lower-case token', (token: string) => `token ${token}`],
    ['upper-case TOKEN', (token: string) => `TOKEN ${token}`],
  ])('accepts the %s keyword', async (_name, header) => {
    const user = await register(server)
    expectToken(await regenerate('GET', header(user.token)))
  })

  test('the new key can itself be regenerated', async () => {
    const user = await register(server)
    const second = expectToken(await regenerate('GET', `Token ${user.token}`))
    const third = expectToken(await regenerate('POST', `Token ${second}`))
    expectDrf401(await regenerate('GET', `Token ${second}`), 'Invalid token.')
    expect((await whoAmI(server, third)).statusCode).toBe(200)
  })
})

describe('the DRF face\'s other answers', () => {
  test('an unknown path under /api-token-auth/ is DRF\'s 404 {"detail": "Not found."}', async () => {
    const response = await server.app.inject({ method: 'GET', url: '/api-token-auth/x' })
    expect(response.statusCode).toBe(404)
    expect(response.json()).toEqual({ detail: 'Not found.' })
  })
})
