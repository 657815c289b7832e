import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { makeServer, newAccount, type TestServer } from '../support/server.js'

const USER_KEYS = ['bio', 'email', 'image', 'token', 'username']
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/
const DAY = 86_400

let server: TestServer
beforeAll(async () => {
  server = await makeServer()
})
afterAll(async () => {
  await server?.dispose()
})

const registerConduit = (user: object, headers: Record<string, string> = {}) =>
  server.app.inject({ method: 'POST', url: '/api/users', payload: { user }, headers })
const loginConduit = (user: object, target: TestServer = server) =>
  target.app.inject({ method: 'POST', url: '/api/users/login', payload: { user } })
const currentUser = (authorization?: string) =>
  server.app.inject({ method: 'GET', url: '/api/user', headers: authorization === undefined ? {} : { authorization } })

/** The payload of a JWT, unverified: what a RealWorld client could read from it. */
function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>
}

/** Asserts `{"user": User}` with exactly the RealWorld fields, and returns the user. */
function expectConduitUser(response: LightMyRequestResponse, status: number): { email: string; token: string; username: string; bio: string | null; image: string | null } {
  expect(response.statusCode, response.body).toBe(status)
  expect(response.headers['content-type']).toMatch(/^application\/json/)
  const body = response.json()
  expect(Object.keys(body)).toEqual(['user'])
  expect(Object.keys(body.user).sort()).toEqual(USER_KEYS)
  expect(body.user.token).toMatch(JWT)
  return body.user
}

/** Asserts a Conduit error reply: `status` and exactly `{"errors": errors}`. */
function expectErrors(response: LightMyRequestResponse, status: number, errors: Record<string, unknown>): void {
  expect(response.statusCode, response.body).toBe(status)
  expect(response.headers['content-type']).toMatch(/^application\/json/)
  expect(response.json()).toEqual({ errors })
}

describe('POST /api/users', () => {
  test('answers 201 with the RealWorld user object and an access JWT with the 60-day lifetime', async () => {
    const account = newAccount('conduit')
    const user = expectConduitUser(await registerConduit(account), 201)

    expect(user).toEqual({ email: account.email, username: account.username, bio: null, image: null, token: expect.any(String) })
    const claims = claimsOf(user.token)
    expect(claims).toMatchObject({ sub: expect.any(String), sid: expect.any(String), iat: expect.any(Number), jti: expect.any(String) })
    expect(Number(claims.exp) - Number(claims.iat)).toBe(60 * DAY)
  })

  test('the token authenticates GET /api/user at once, as Token or Bearer', async () => {
    const account = newAccount('conduit')
    const { token } = expectConduitUser(await registerConduit(account), 201)
    for (const scheme of ['Token', 'Bearer', 'token']) {
      const me = expectConduitUser(await currentUser(`${scheme} ${token}`), 200)
      expect(me).toEqual({ email: account.email, username: account.username, bio: null, image: null, token })
    }
  })

  test('a taken e-mail (in any case) or username is 422 "has already been taken"', async () => {
    const account = newAccount('conduit')
    expectConduitUser(await registerConduit(account), 201)

    const sameEmail = { ...newAccount('conduit'), email: account.email.toUpperCase() }
    expectErrors(await registerConduit(sameEmail), 422, { email: ['has already been taken'] })
    const sameName = { ...newAccount('conduit'), username: account.username }
    expectErrors(await registerConduit(sameName), 422, { username: ['has already been taken'] })
    expectErrors(await registerConduit(account), 422, { email: ['has already been taken'], username: ['has already been taken'] })
  })

  test('username, email and password are all required, and blank is "can\'t be blank"', async () => {
    const blank = ["can't be blank"]
    expectErrors(await registerConduit({}), 422, { username: blank, email: blank, password: blank })
    const { password } = newAccount()
    expectErrors(await registerConduit({ email: 'nameless@example.com', password }), 422, { username: blank })
    expectErrors(await registerConduit({ username: ' ', email: ' ', password }), 422, { username: blank, email: blank })
  })

  test("the core's validators apply: a weak password and a bad e-mail are 422 naming the field", async () => {
    const response = await registerConduit({ ...newAccount('conduit'), email: 'not-an-email', password: 'password' })
    expect(response.statusCode, response.body).toBe(422)
    const { errors } = response.json()
    expect(Object.keys(errors).sort()).toEqual(['email', 'password'])
    expect(errors.password.length).toBeGreaterThan(0)
    for (const message of [...errors.email, ...errors.password]) expect(message).toEqual(expect.any(String))
  })

  test('privilege fields inside "user" are never applied', async () => {
    const account = newAccount('conduit')
    const { token } = expectConduitUser(
      await registerConduit({ ...account, isStaff: true, isSuperuser: true, is_staff: true, isActive: false }),
      201,
    )
    const canonical = await server.app.inject({ method: 'GET', url: '/auth/user', headers: { authorization: `Bearer ${token}` } })
    expect(canonical.statusCode, canonical.body).toBe(200)
    expect(canonical.json().user).toMatchObject({ isStaff: false, isSuperuser: false, isActive: true })
  })

  test('the session is named after the User-Agent, or "conduit" without one', async () => {
    const withAgent = expectConduitUser(await registerConduit(newAccount('conduit'), { 'user-agent': 'RealWorld/1.0' }), 201)
    // light-my-request sends its own User-Agent unless the test sets one; blank counts as none.
    const withoutAgent = expectConduitUser(await registerConduit(newAccount('conduit'), { 'user-agent': '' }), 201)
    for (const [user, device] of [[withAgent, 'RealWorld/1.0'], [withoutAgent, 'conduit']] as const) {
      const sessions = await server.app.inject({ method: 'GET', url: '/auth/sessions', headers: { authorization: `Bearer ${user.token}` } })
      expect(sessions.statusCode, sessions.body).toBe(200)
      expect(sessions.json().sessions).toEqual([expect.objectContaining({ id: claimsOf(user.token).sid, device, current: true })])
    }
  })
})

describe('POST /api/users/login', () => {
  test('answers 200 with the user and a new token for a new session on every call', async () => {
    const account = newAccount('conduit')
    const registered = expectConduitUser(await registerConduit(account), 201)

    const first = expectConduitUser(await loginConduit({ email: account.email, password: account.password }), 200)
    const second = expectConduitUser(await loginConduit({ email: account.email.toUpperCase(), password: account.password }), 200)
    expect(first).toEqual({ email: account.email, username: account.username, bio: null, image: null, token: expect.any(String) })
    expect(new Set([registered.token, first.token, second.token]).size).toBe(3)
    expect(new Set([registered, first, second].map((user) => claimsOf(user.token).sid)).size).toBe(3)
    expectConduitUser(await currentUser(`Token ${second.token}`), 200)
  })

  test('a wrong password and an unknown e-mail both answer 401 {"errors": {"credentials": ["invalid"]}}', async () => {
    const account = newAccount('conduit')
    expectConduitUser(await registerConduit(account), 201)
    expectErrors(await loginConduit({ email: account.email, password: 'wrong password entirely' }), 401, { credentials: ['invalid'] })
    expectErrors(await loginConduit({ email: `nobody${account.email}`, password: account.password }), 401, { credentials: ['invalid'] })
  })

  test('email and password are required', async () => {
    expectErrors(await loginConduit({}), 422, { email: ["can't be blank"], password: ["can't be blank"] })
  })

  test('a throttled login is 429 {"errors": {"throttle": [...]}} with Retry-After', async () => {
    const throttled = await makeServer({ LOGIN_THROTTLE: '2/15m' }, { memory: true })
    try {
      const attempt = { email: 'victim@example.com', password: 'wrong password entirely' }
      for (let i = 0; i < 2; i++) expect((await loginConduit(attempt, throttled)).statusCode).toBe(401)
      const response = await loginConduit(attempt, throttled)
      expect(response.statusCode, response.body).toBe(429)
      expect(Number(response.headers['retry-after'])).toBeGreaterThan(0)
      expect(response.json()).toEqual({ errors: { throttle: [expect.stringMatching(/throttled/)] } })
    } finally {
      await throttled.dispose()
    }
  })
})

describe('GET /api/user', () => {
  test('hands back the very token the caller presented', async () => {
    const account = newAccount('conduit')
    expectConduitUser(await registerConduit(account), 201)
    const { token } = expectConduitUser(await loginConduit({ email: account.email, password: account.password }), 200)
    expect(expectConduitUser(await currentUser(`Token ${token}`), 200).token).toBe(token)
  })

  test('without a token: 401 {"errors": {"token": [...]}} and WWW-Authenticate: Token', async () => {
    const response = await currentUser()
    expectErrors(response, 401, { token: [expect.any(String)] })
    expect(response.headers['www-authenticate']).toBe('Token')
  })

  test('a malformed, forged or unknown token is 401 naming the token', async () => {
    const { token } = expectConduitUser(await registerConduit(newAccount('conduit')), 201)
    const [header, payload] = token.split('.')
    for (const authorization of ['Token', 'Token a b', `Token ${header}.${payload}.AAAA`, 'Token tsr_unknown', `Token ${token}x`]) {
      expectErrors(await currentUser(authorization), 401, { token: [expect.any(String)] })
    }
  })

  test('revoking the session the JWT names ends the token at once', async () => {
    const { token } = expectConduitUser(await registerConduit(newAccount('conduit')), 201)
    const logout = await server.app.inject({ method: 'POST', url: '/auth/logout', headers: { authorization: `Bearer ${token}` } })
    expect(logout.statusCode, logout.body).toBe(204)
    expectErrors(await currentUser(`Token ${token}`), 401, { token: [expect.any(String)] })
  })
})

describe('configuration', () => {
  test('CONDUIT_TOKEN_TTL sets the lifetime of the Conduit token', async () => {
    const shortLived = await makeServer({ CONDUIT_TOKEN_TTL: '2h' }, { memory: true })
    try {
      const response = await shortLived.app.inject({ method: 'POST', url: '/api/users', payload: { user: newAccount('conduit') } })
      const { token } = expectConduitUser(response, 201)
      const claims = claimsOf(token)
      expect(Number(claims.exp) - Number(claims.iat)).toBe(7200)
    } finally {
      await shortLived.dispose()
    }
  })

  test('without "conduit" in PROFILES the routes are not mounted', async () => {
    const withoutConduit = await makeServer({ PROFILES: 'canonical' }, { memory: true })
    try {
      const response = await withoutConduit.app.inject({ method: 'POST', url: '/api/users', payload: { user: newAccount() } })
      expect(response.statusCode, response.body).toBe(404)
    } finally {
      await withoutConduit.dispose()
    }
  })
})

// Issue 11 (a): every face accepts every credential the server issues, in either scheme.
describe('credentials from the other faces on /api/user', () => {
  test.each([
    ['a warm cache', {}],
    ['no cache (every check reads the store)', { TOKEN_CACHE_SIZE: '0' }],
  ])('an opaque token from /auth/register, /auth/login, /auth/token/rotate and /api-token-auth/ works as Token and Bearer, with %s', async (_name, env) => {
    const target = await makeServer(env, { memory: true })
    try {
      const account = newAccount('cross')
      const inject = (method: 'GET' | 'PUT' | 'POST', url: string, payload?: object, authorization?: string) =>
        target.app.inject({ method, url, ...(payload ? { payload } : {}), headers: authorization ? { authorization } : {} })
      const registered = (await inject('POST', '/auth/register', account)).json().token as string
      const loggedIn = (await inject('POST', '/auth/login', { email: account.email, password: account.password })).json().token as string
      const rotated = (await inject('POST', '/auth/token/rotate', undefined, `Bearer ${loggedIn}`)).json().token as string
      const drf = (await inject('POST', '/api-token-auth/', { username: account.username, password: account.password })).json().token as string
      for (const token of [registered, rotated, drf]) {
        for (const scheme of ['Token', 'Bearer', 'token', 'BEARER']) {
          const read = await inject('GET', '/api/user', undefined, `${scheme} ${token}`)
          expect(read.statusCode, `${scheme} ${token.slice(0, 8)}: ${read.body}`).toBe(200)
          expect(read.json().user).toMatchObject({ email: account.email, token })
          const written = await inject('PUT', '/api/user', { user: { bio: `via ${scheme}` } }, `${scheme} ${token}`)
          expect(written.statusCode, written.body).toBe(200)
          expect(written.json().user).toMatchObject({ bio: `via ${scheme}`, token })
        }
      }
      // The rotated-away token is dead on this face too.
      expect((await inject('GET', '/api/user', undefined, `Token ${loggedIn}`)).statusCode).toBe(401)
    } finally {
      await target.dispose()
    }
  })
})
