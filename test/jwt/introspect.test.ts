import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { makeServer, register, type Registered, type TestServer } from '../support/server.js'

const SECRET = 'introspection-secret-for-tests-0123456789'
let server: TestServer
let alice: Registered
let staffToken: string

beforeAll(async () => {
  server = await makeServer({ INTROSPECTION_SECRET: SECRET })
  alice = await register(server)
  const staff = await server.tessera.createUser({ email: 'staff@example.com', username: 'staff', password: 'correct horse battery staple 42' }, { isStaff: true })
  staffToken = (await server.tessera.createSession(staff, 'ops')).token
})
afterAll(async () => server?.dispose())

const introspect = (token: string, authorization?: string) =>
  server.app.inject({ method: 'POST', url: '/auth/introspect', payload: { token }, headers: authorization ? { authorization } : {} })

describe('POST /auth/introspect', () => {
  test('a staff caller learns an opaque token is active, with sub, sid, exp and username', async () => {
    const response = await introspect(alice.token, `Token ${staffToken}`)
    expect(response.statusCode).toBe(200)
    expect(response.json()).toMatchObject({ active: true, sub: String(alice.userId), sid: alice.sessionId, username: alice.username })
    expect(response.json().exp).toBeGreaterThan(Date.now() / 1000)
  })

  test('the introspection secret works as a Bearer credential, for JWTs too', async () => {
    const pair = (await server.app.inject({ method: 'POST', url: '/auth/jwt/create', payload: { email: alice.email, password: alice.password } })).json()
    const response = await introspect(pair.access, `Bearer ${SECRET}`)
    expect(response.json()).toMatchObject({ active: true, sub: String(alice.userId) })
    expect(response.json().exp).toBeLessThanOrEqual(Math.floor(new Date(pair.accessExpiresAt).getTime() / 1000))
  })

  test('a revoked or unknown token is { active: false } and nothing more', async () => {
    const session = await server.tessera.createSession(await server.tessera.getUser(alice.userId), 'doomed')
    await server.tessera.revokeSessionById(session.session.id)
    expect((await introspect(session.token, `Bearer ${SECRET}`)).json()).toEqual({ active: false })
    expect((await introspect('tsr_' + 'x'.repeat(43), `Bearer ${SECRET}`)).json()).toEqual({ active: false })
  })

  test('a non-staff caller gets 403, an anonymous one 401, a wrong secret 401', async () => {
    expect((await introspect(alice.token, `Token ${alice.token}`)).statusCode).toBe(403)
    const anonymous = await introspect(alice.token)
    expect(anonymous.statusCode).toBe(401)
    expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="tessera"')
    expect((await introspect(alice.token, `Bearer ${SECRET}x`)).statusCode).toBe(401)
  })
})

describe('malformed bodies on the JWT and introspection routes get a clear 400', () => {
  test.each([
    ['/auth/jwt/create', { email: 'a@example.com' }],
    ['/auth/jwt/create', { email: 5, password: 'x' }],
    ['/auth/jwt/create', { password: 'no identifier given' }],
    ['/auth/jwt/verify', {}],
    ['/auth/jwt/verify', { token: ['x'] }],
    ['/auth/jwt/verify', { token: 'x', extra: 1 }],
    ['/auth/introspect', {}],
    ['/auth/introspect', { token: null }],
  ])('POST %s %j → 400 validation_failed', async (url, payload) => {
    const response = await server.app.inject({ method: 'POST', url, payload, headers: { authorization: `Bearer ${SECRET}` } })
    expect(response.statusCode, response.body).toBe(400)
    expect(response.headers['content-type']).toContain('application/problem+json')
    expect(response.json().code).toBe('validation_failed')
  })

  test('malformed JSON on /auth/jwt/verify → 400, not 500', async () => {
    const response = await server.app.inject({ method: 'POST', url: '/auth/jwt/verify', payload: '{"token":', headers: { 'content-type': 'application/json' } })
    expect(response.statusCode).toBe(400)
  })
})
