import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { makeServer, register, type Registered, type TestServer } from '../support/server.js'
import { payloadOf } from './support.js'

let server: TestServer
let account: Registered

beforeAll(async () => {
  server = await makeServer({ REFRESH_GRACE: '2s' })
  account = await register(server)
})
afterAll(async () => server?.dispose())

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
  server.app.inject({ method: 'POST', url, payload: payload as object, headers })
const user = (access: string) => server.app.inject({ method: 'GET', url: '/auth/user', headers: { authorization: `Bearer ${access}` } })

async function createPair() {
  const response = await post('/auth/jwt/create', { email: account.email, password: account.password, device: 'spa' })
  expect(response.statusCode, response.body).toBe(200)
  return response.json() as { access: string; refresh: string; accessExpiresAt: string; refreshExpiresAt: string }
}

describe('POST /auth/jwt/create', () => {
  test('returns an access JWT with the claims of API.md and an opaque refresh token', async () => {
    const pair = await createPair()
    const [header] = pair.access.split('.')
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toMatchObject({ alg: 'EdDSA', typ: 'JWT' })
    const claims = payloadOf(pair.access)
    expect(claims).toMatchObject({ sub: String(account.userId), iss: 'http://127.0.0.1:8000', aud: 'tessera' })
    for (const claim of ['sid', 'iat', 'exp', 'jti']) expect(claims[claim]).toBeDefined()
    expect(Number(claims.exp) - Number(claims.iat)).toBe(15 * 60)
    expect(pair.refresh).toMatch(/^tsrf_[A-Za-z0-9_-]{43}$/)
    expect(new Date(pair.refreshExpiresAt).getTime()).toBeGreaterThan(new Date(pair.accessExpiresAt).getTime())
  })

  test('the access JWT authenticates as Bearer and as Token', async () => {
    const { access } = await createPair()
    expect((await user(access)).json().user.email).toBe(account.email)
    const asToken = await server.app.inject({ method: 'GET', url: '/auth/user', headers: { authorization: `Token ${access}` } })
    expect(asToken.statusCode).toBe(200)
  })

  test('wrong credentials get the same 400 invalid_credentials as /auth/login', async () => {
    const response = await post('/auth/jwt/create', { email: account.email, password: 'not the password at all' })
    expect(response.statusCode).toBe(400)
    expect(response.json().code).toBe('invalid_credentials')
  })

  test('the JWKS lists the signing key with its kid', async () => {
    const { access } = await createPair()
    const kid = JSON.parse(Buffer.from(access.split('.')[0]!, 'base64url').toString()).kid
    const jwks = (await server.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json()
    expect(jwks.keys).toContainEqual(expect.objectContaining({ kid, kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' }))
    expect(JSON.stringify(jwks)).not.toContain('"d"')
  })
})

describe('POST /auth/jwt/refresh', () => {
  test('rotates: a new pair, and the old refresh token is spent', async () => {
    const first = await createPair()
    const second = (await post('/auth/jwt/refresh', { refresh: first.refresh })).json()
    expect(second.refresh).not.toBe(first.refresh)
    expect((await user(second.access)).statusCode).toBe(200)
    const third = await post('/auth/jwt/refresh', { refresh: second.refresh })
    expect(third.statusCode).toBe(200)
  })

  test('a spent refresh token, past the grace window, revokes the session and answers 401 refresh_reused', async () => {
    const first = await createPair()
    const second = (await post('/auth/jwt/refresh', { refresh: first.refresh })).json()
    await new Promise((resolve) => setTimeout(resolve, 2100))
    const reused = await post('/auth/jwt/refresh', { refresh: first.refresh })
    expect(reused.statusCode).toBe(401)
    expect(reused.json().code).toBe('refresh_reused')
    expect(reused.headers['www-authenticate']).toBe('Bearer realm="tessera"')
    // Everything descended from the stolen token dies with the session.
    expect((await post('/auth/jwt/refresh', { refresh: second.refresh })).statusCode).toBe(401)
    expect((await user(second.access)).statusCode).toBe(401)
    expect((await user(first.access)).statusCode).toBe(401)
  })

  test('two concurrent refreshes of one token both succeed with the same answer (grace window)', async () => {
    const { refresh } = await createPair()
    const [a, b] = await Promise.all([post('/auth/jwt/refresh', { refresh }), post('/auth/jwt/refresh', { refresh })])
    expect([a.statusCode, b.statusCode]).toEqual([200, 200])
    expect(a.json()).toEqual(b.json())
    const late = await post('/auth/jwt/refresh', { refresh })
    expect(late.statusCode).toBe(200)
    expect(late.json()).toEqual(a.json())
  })

  test.each([
    ['forged', 'tsrf_' + 'A'.repeat(43)],
    ['malformed', 'not-a-token'],
    ['an access token', 'eyJhbGciOiJFZERTQSJ9.e30.sig'],
  ])('a %s refresh token answers 401 invalid_token', async (_name, refresh) => {
    const response = await post('/auth/jwt/refresh', { refresh })
    expect(response.statusCode).toBe(401)
    expect(response.json().code).toBe('invalid_token')
  })

  test.each([[{}], [{ refresh: 42 }], [{ refresh: 'x', extra: true }], [[]]])('bad body %j → 400', async (body) => {
    const response = await post('/auth/jwt/refresh', body)
    expect(response.statusCode).toBe(400)
    expect(response.json().code).toBe('validation_failed')
  })

  test('logout of the JWT session ends its refresh token and its access token at once', async () => {
    const { access, refresh } = await createPair()
    expect((await post('/auth/logout', undefined, { authorization: `Bearer ${access}` })).statusCode).toBe(204)
    expect((await user(access)).statusCode).toBe(401)
    expect((await post('/auth/jwt/refresh', { refresh })).statusCode).toBe(401)
  })
})

describe('POST /auth/jwt/verify', () => {
  test('200 {} for a live token, 401 once its session is revoked', async () => {
    const { access } = await createPair()
    const ok = await post('/auth/jwt/verify', { token: access })
    expect(ok.statusCode).toBe(200)
    expect(ok.json()).toEqual({})
    await post('/auth/logout-all', undefined, { authorization: `Bearer ${access}` })
    const revoked = await post('/auth/jwt/verify', { token: access })
    expect(revoked.statusCode).toBe(401)
    expect(revoked.json().code).toBe('invalid_token')
  })
})

describe('refresh reuse with the default settings (no grace window)', () => {
  let plain: TestServer
  let owner: Registered
  beforeAll(async () => {
    plain = await makeServer()
    owner = await register(plain)
  })
  afterAll(async () => plain?.dispose())

  const send = (url: string, payload: unknown) => plain.app.inject({ method: 'POST', url, payload: payload as object })
  const me = (access: string) => plain.app.inject({ method: 'GET', url: '/auth/user', headers: { authorization: `Bearer ${access}` } })

  // Issue 11 (c): a spent refresh presented at once, as a thief replaying it would, must end the session's newest tokens.
  test('a spent refresh token presented right away revokes the session: its newest access and refresh tokens die', async () => {
    const first = (await send('/auth/jwt/create', { email: owner.email, password: owner.password })).json()
    const second = (await send('/auth/jwt/refresh', { refresh: first.refresh })).json()
    const third = (await send('/auth/jwt/refresh', { refresh: second.refresh })).json()
    expect((await me(third.access)).statusCode).toBe(200)

    const reused = await send('/auth/jwt/refresh', { refresh: first.refresh })
    expect(reused.statusCode).toBe(401)
    expect(reused.json().code).toBe('refresh_reused')
    expect((await me(third.access)).statusCode).toBe(401)
    expect((await send('/auth/jwt/refresh', { refresh: third.refresh })).statusCode).toBe(401)
    expect((await send('/auth/jwt/verify', { token: third.access })).statusCode).toBe(401)
  })

  test('two concurrent refreshes of one token still share one answer', async () => {
    const { refresh } = (await send('/auth/jwt/create', { email: owner.email, password: owner.password })).json()
    const [a, b] = await Promise.all([send('/auth/jwt/refresh', { refresh }), send('/auth/jwt/refresh', { refresh })])
    expect([a.statusCode, b.statusCode]).toEqual([200, 200])
    expect(a.json()).toEqual(b.json())
  })
})
