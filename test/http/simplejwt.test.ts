import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { formBody, multipartBody } from '../support/multipart.js'
import { makeServer, register, whoAmI, type Registered, type TestServer } from '../support/server.js'
import { createReplay, exchangesOf, type Exchange } from '../support/transcripts.js'

const PREFIX = '/api/token'
const INVALID = { detail: 'Token is invalid or expired', code: 'token_not_valid' }
const BLACKLISTED = { detail: 'Token is blacklisted', code: 'token_not_valid' }
const WRONG_TYPE = { detail: 'Token has wrong type', code: 'token_not_valid' }
const NO_ACCOUNT = { detail: 'No active account found with the given credentials' }
const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]+$/
const REFRESH_SHAPE = /^tsrf_[\w-]{43}$/
/** The transcript's expired HS256 access token (simplejwt's, signed with its SECRET_KEY). */
const EXPIRED_SIMPLEJWT_ACCESS =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIiwiZXhwIjo5NDY2ODQ4MDAsImlhdCI6OTQ2Njg0NTAwLCJqdGkiOiIwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMCIsInVzZXJfaWQiOjF9.MzD4jFlAxIsm8PUXGqtNzNj0968EUrqbMWTN8gIIQgk'

type Payload = string | Buffer | object

const post = (server: TestServer, path: string, payload?: Payload, headers: Record<string, string> = {}) =>
  server.app.inject({ method: 'POST', url: path, headers, ...(payload === undefined ? {} : { payload }) })

/** Asserts a Simple JWT answer: status, JSON, exactly `body`, and the challenge on a 401. */
function expectReply(response: LightMyRequestResponse, status: number, body: unknown): void {
  expect(response.statusCode, response.body).toBe(status)
  expect(response.headers['content-type']).toMatch(/^application\/json/)
  expect(response.headers.allow).toBe('POST, OPTIONS')
  if (status === 401) expect(response.headers['www-authenticate']).toBe('Bearer realm="api"')
  else expect(response.headers['www-authenticate']).toBeUndefined()
  expect(response.json()).toEqual(body)
}

/** Asserts a 200 pair and returns it. */
function expectPair(response: LightMyRequestResponse): { access: string; refresh: string } {
  expect(response.statusCode, response.body).toBe(200)
  expect(response.headers['content-type']).toMatch(/^application\/json/)
  const body = response.json() as { access: string; refresh: string }
  expect(body).toEqual({ access: expect.stringMatching(JWT_SHAPE), refresh: expect.stringMatching(REFRESH_SHAPE) })
  return body
}

describe('the transcript of the real Simple JWT, replayed', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await makeServer({ PROFILES: 'simplejwt,canonical' })
  })
  afterAll(async () => {
    await server?.dispose()
  })

  // Exchanges on djoser's /auth/users/me/ (Bearer JWTs on djoser's face, and exchange 116, Simple
  // JWT's access token outliving its blacklisted refresh) need the djoser face, which cannot share
  // /auth with canonical: they are the djoser face's to replay. Tessera's revocation is immediate
  // (116 answers 401 here): see "blacklisting ends the session's access JWTs at once" below.
  const exchanges = exchangesOf('simplejwt').filter((exchange) => exchange.request.path.startsWith(`${PREFIX}/`))
  // Simple JWT only refuses a rotated-out refresh token; Tessera's reuse detection also revokes
  // its session, which would change every later exchange that uses the session's newer tokens.
  // The reuse is replayed last, where the session is already over, and tested on its own below.
  const isReuse = (exchange: Exchange) => exchange.name === 'refresh, the rotated-out refresh again (blacklisted)'
  const ordered = [...exchanges.filter((exchange) => !isReuse(exchange)), ...exchanges.filter(isReuse)]
  let replay: ReturnType<typeof createReplay>

  test('covers the recording', () => {
    expect(exchanges.filter(isReuse)).toHaveLength(1)
    expect(exchanges.length).toBeGreaterThanOrEqual(25)
    replay = createReplay(server)
  })

  for (const exchange of ordered) {
    test(`${exchange.request.method} ${exchange.request.path}: ${exchange.name}`, async () => {
      await replay.run(exchange)
    })
  }
})

describe('the Simple JWT face', () => {
  let server: TestServer
  let alice: Registered
  beforeAll(async () => {
    server = await makeServer({ PROFILES: 'simplejwt,canonical' })
    alice = await register(server)
  })
  afterAll(async () => {
    await server?.dispose()
  })

  const obtain = (payload?: Payload, headers?: Record<string, string>) => post(server, `${PREFIX}/`, payload, headers)
  const refresh = (payload?: Payload, headers?: Record<string, string>) => post(server, `${PREFIX}/refresh/`, payload, headers)
  const verify = (payload?: Payload, headers?: Record<string, string>) => post(server, `${PREFIX}/verify/`, payload, headers)
  const blacklist = (payload?: Payload, headers?: Record<string, string>) => post(server, `${PREFIX}/blacklist/`, payload, headers)
  const login = async () => expectPair(await obtain({ username: alice.username, password: alice.password }))

  test('obtain gives a pair that works as a Bearer credential, with the e-mail as username too', async () => {
    const pair = await login()
    expect((await whoAmI(server, pair.access)).statusCode).toBe(200)
    const byEmail = expectPair(await obtain({ username: alice.email, password: alice.password }))
    expect(byEmail.refresh).not.toBe(pair.refresh)
    // Simple JWT's PasswordField is a CharField that trims, as its username field does.
    expectPair(await obtain({ username: ` ${alice.username} `, password: `  ${alice.password}\t` }))
  })

  test('obtain reads forms and multipart bodies', async () => {
    expectPair(await obtain(formBody({ username: alice.username, password: alice.password }).payload, formBody({}).headers))
    const multipart = multipartBody({ username: alice.username, password: alice.password })
    expectPair(await obtain(multipart.payload, multipart.headers))
    expectReply(await obtain(formBody({ username: alice.username, password: 'nope' }).payload, formBody({}).headers), 401, NO_ACCOUNT)
  })

  test('refresh rotates: a new pair, each token works, the paths work without their slash', async () => {
    const first = await login()
    const second = expectPair(await refresh({ refresh: first.refresh }))
    expect(second.refresh).not.toBe(first.refresh)
    expect((await whoAmI(server, second.access)).statusCode).toBe(200)
    expect(Object.keys((await refresh({ refresh: second.refresh })).json())).toEqual(['access', 'refresh'])
    expectPair(await post(server, PREFIX, { username: alice.username, password: alice.password }))
    const third = await login()
    expectPair(await post(server, `${PREFIX}/refresh`, { refresh: third.refresh }))
  })

  test('refresh reuse revokes the whole session: its newest access JWT and refresh token fail', async () => {
    const first = await login()
    const other = await login()
    const second = expectPair(await refresh({ refresh: first.refresh }))
    expectReply(await refresh({ refresh: first.refresh }), 401, BLACKLISTED)
    expect((await whoAmI(server, second.access)).statusCode).toBe(401)
    expectReply(await refresh({ refresh: second.refresh }), 401, BLACKLISTED)
    expectReply(await verify({ token: second.access }), 401, INVALID)
    expectReply(await verify({ token: second.refresh }), 400, { non_field_errors: ['Token is blacklisted'] })
    // The user's other sessions are not touched.
    expect((await whoAmI(server, other.access)).statusCode).toBe(200)
    expectPair(await refresh({ refresh: other.refresh }))
  })

  test("blacklisting ends the session's access JWTs at once (Simple JWT's outlive it: a deliberate difference)", async () => {
    const pair = await login()
    const other = await login()
    // Used thrice first: the first check reads the store, the next ones answer from the cache and
    // keep the cache entry on the token's claims, which the revocation must reach as well.
    for (let i = 0; i < 3; i++) expect((await whoAmI(server, pair.access)).statusCode).toBe(200)
    expectReply(await blacklist({ refresh: pair.refresh }), 200, {})
    expect((await whoAmI(server, pair.access)).statusCode).toBe(401)
    expectReply(await verify({ token: pair.access }), 401, INVALID)
    expectReply(await verify({ token: pair.refresh }), 400, { non_field_errors: ['Token is blacklisted'] })
    expectReply(await blacklist({ refresh: pair.refresh }), 401, BLACKLISTED)
    expectReply(await refresh({ refresh: pair.refresh }), 401, BLACKLISTED)
    expect((await whoAmI(server, other.access)).statusCode).toBe(200)
  })

  test('verify accepts a live access JWT and a live refresh token, and spends neither', async () => {
    const pair = await login()
    expectReply(await verify({ token: pair.access }), 200, {})
    expectReply(await verify({ token: pair.refresh }), 200, {})
    expectReply(await verify({ token: pair.refresh }), 200, {})
    expectPair(await refresh({ refresh: pair.refresh }))
    expectReply(await verify({ token: EXPIRED_SIMPLEJWT_ACCESS }), 401, INVALID)
    expectReply(await verify({ token: `tsr_${'a'.repeat(43)}` }), 401, INVALID)
  })

  test('an access JWT where a refresh token belongs has the wrong type; a tampered one is invalid', async () => {
    const pair = await login()
    expectReply(await refresh({ refresh: pair.access }), 401, WRONG_TYPE)
    expectReply(await blacklist({ refresh: pair.access }), 401, WRONG_TYPE)
    const tampered = `${pair.access.slice(0, -4)}AAAA`
    expectReply(await refresh({ refresh: tampered }), 401, INVALID)
    expectReply(await blacklist({ refresh: tampered }), 401, INVALID)
    expectReply(await verify({ token: tampered }), 401, INVALID)
  })

  test("required, blank and null fields get DRF's messages, per field", async () => {
    const required = { username: ['This field is required.'], password: ['This field is required.'] }
    expectReply(await obtain({}), 400, required)
    expectReply(await obtain(), 400, required)
    expectReply(await obtain('', { 'content-type': 'application/json' }), 400, required)
    expectReply(await obtain({ username: '   ', password: alice.password }), 400, { username: ['This field may not be blank.'] })
    expectReply(await obtain({ username: null, password: null }), 400, { username: ['This field may not be null.'], password: ['This field may not be null.'] })
    expectReply(await refresh({ refresh: null }), 400, { refresh: ['This field may not be null.'] })
    expectReply(await verify({ token: '' }), 400, { token: ['This field may not be blank.'] })
    expectReply(await blacklist({ refresh: '' }), 400, { refresh: ['This field may not be blank.'] })
    expectReply(await blacklist({}), 400, { refresh: ['This field is required.'] })
  })

  test('bodies that are not objects, and values of the wrong type', async () => {
    for (const send of [obtain, refresh, verify, blacklist]) {
      expectReply(await send(['a', 'b']), 400, { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] })
      expectReply(await send('"text"', { 'content-type': 'application/json' }), 400, { non_field_errors: ['Invalid data. Expected a dictionary, but got str.'] })
      expectReply(await send('42', { 'content-type': 'application/json' }), 400, { non_field_errors: ['Invalid data. Expected a dictionary, but got int.'] })
      expectReply(await send('true', { 'content-type': 'application/json' }), 400, { non_field_errors: ['Invalid data. Expected a dictionary, but got bool.'] })
      expectReply(await send('null', { 'content-type': 'application/json' }), 400, { non_field_errors: ['No data provided'] })
    }
    expectReply(await obtain({ username: true, password: { a: 1 } }), 400, { username: ['Not a valid string.'], password: ['Not a valid string.'] })
    expectReply(await refresh({ refresh: ['x'] }), 400, { refresh: ['Not a valid string.'] })
    // Numbers are strings to DRF's CharField: these are then just wrong.
    expectReply(await obtain({ username: 12345, password: 678 }), 401, NO_ACCOUNT)
    expectReply(await refresh({ refresh: 12345 }), 401, INVALID)
    expectReply(await verify({ token: 1.5 }), 401, INVALID)
    expectReply(await blacklist({ refresh: 0 }), 401, INVALID)
  })

  test('malformed JSON, other media types and huge strings are 4xx, never 5xx', async () => {
    const malformed = await obtain('{"username": "alice",', { 'content-type': 'application/json' })
    expect(malformed.statusCode).toBe(400)
    expect(malformed.json().detail).toMatch(/^JSON parse error - /)
    expect(Object.keys(malformed.json())).toEqual(['detail'])
    const plain = await refresh('refresh=x', { 'content-type': 'text/plain' })
    expectReply(plain, 415, { detail: 'Unsupported media type "text/plain" in request.' })
    const huge = 'x'.repeat(45_000)
    expectReply(await obtain({ username: huge, password: huge }), 401, NO_ACCOUNT)
    expectReply(await refresh({ refresh: huge }), 401, INVALID)
    expectReply(await verify({ token: huge }), 401, INVALID)
    expectReply(await blacklist({ refresh: `tsrf_${huge}` }), 401, INVALID)
    const tooBig = await obtain({ username: 'x'.repeat(200_000), password: 'y' })
    expect(tooBig.statusCode).toBe(413)
    expect(tooBig.json()).toEqual({ detail: expect.any(String) })
  })

  test('unknown fields are ignored, and never set privileges', async () => {
    const pair = expectPair(await obtain({ username: alice.username, password: alice.password, is_staff: true, is_superuser: true, is_active: false, extra: 'x' }))
    const me = await whoAmI(server, pair.access)
    expect(me.json().user).toMatchObject({ isStaff: false, isSuperuser: false, isActive: true })
    expectPair(await refresh({ refresh: pair.refresh, is_staff: true }))
  })

  test('other methods get 405 with Allow, OPTIONS describes the view', async () => {
    for (const path of ['/', '/refresh/', '/verify/', '/blacklist/']) {
      for (const method of ['GET', 'PUT', 'PATCH', 'DELETE'] as const) {
        const response = await server.app.inject({ method, url: `${PREFIX}${path}` })
        expectReply(response, 405, { detail: `Method "${method}" not allowed.` })
      }
      const options = await server.app.inject({ method: 'OPTIONS', url: `${PREFIX}${path}` })
      expect(options.statusCode).toBe(200)
      expect(options.headers.allow).toBe('POST, OPTIONS')
      expect(options.json()).toMatchObject({ name: expect.stringMatching(/^Token /) })
    }
  })

  test('an Authorization header is not read by these views', async () => {
    const pair = await login()
    expectPair(await refresh({ refresh: pair.refresh }, { authorization: 'Bearer not.a.jwt' }))
  })
})

describe('Simple JWT login throttling', () => {
  let server: TestServer
  let bob: Registered
  beforeAll(async () => {
    server = await makeServer({ PROFILES: 'simplejwt,canonical', LOGIN_THROTTLE: '3/15m' })
    bob = await register(server)
  })
  afterAll(async () => {
    await server?.dispose()
  })

  test('failures past the limit get 429 with Retry-After, even with the right password', async () => {
    for (let i = 0; i < 3; i += 1) {
      expectReply(await post(server, `${PREFIX}/`, { username: bob.username, password: `wrong ${i}` }), 401, NO_ACCOUNT)
    }
    for (const password of ['wrong again', bob.password]) {
      const response = await post(server, `${PREFIX}/`, { username: bob.username, password })
      expect(response.statusCode, response.body).toBe(429)
      expect(response.headers['content-type']).toMatch(/^application\/json/)
      const body = response.json() as { detail: string }
      const seconds = /^Request was throttled\. Expected available in (\d+) seconds\.$/.exec(body.detail)
      expect(seconds, body.detail).not.toBeNull()
      expect(Object.keys(body)).toEqual(['detail'])
      expect(response.headers['retry-after']).toBe(seconds![1])
    }
    // The counter is shared with every login route of every face.
    const canonical = await server.app.inject({ method: 'POST', url: '/auth/jwt/create', payload: { username: bob.username, password: bob.password } })
    expect(canonical.statusCode).toBe(429)
  })
})

describe('Simple JWT under SIMPLEJWT_PREFIX', () => {
  let server: TestServer
  let carol: Registered
  beforeAll(async () => {
    server = await makeServer({ PROFILES: 'simplejwt,canonical', SIMPLEJWT_PREFIX: '/api/v2/jwt' })
    carol = await register(server)
  })
  afterAll(async () => {
    await server?.dispose()
  })

  test('the views move to the prefix, and the default prefix is gone', async () => {
    const pair = expectPair(await post(server, '/api/v2/jwt/', { username: carol.username, password: carol.password }))
    const next = expectPair(await post(server, '/api/v2/jwt/refresh/', { refresh: pair.refresh }))
    expectReply(await post(server, '/api/v2/jwt/verify/', { token: next.access }), 200, {})
    expectReply(await post(server, '/api/v2/jwt/blacklist/', { refresh: next.refresh }), 200, {})
    expect((await post(server, '/api/token/', { username: carol.username, password: carol.password })).statusCode).toBe(404)
    expect((await post(server, '/api/token/refresh/', { refresh: next.refresh })).statusCode).toBe(404)
  })
})

describe('unknown paths under the prefix', () => {
  test('answer DRF 404 {"detail": "Not found."}, not the Conduit shape of /api/*', async () => {
    const target = await makeServer({ PROFILES: 'simplejwt,conduit' }, { memory: true })
    try {
      const response = await target.app.inject({ method: 'POST', url: '/api/token/nope/', payload: {} })
      expect(response.statusCode).toBe(404)
      expect(response.json()).toEqual({ detail: 'Not found.' })
      const conduit = await target.app.inject({ method: 'GET', url: '/api/nothing-here' })
      expect(conduit.json()).toHaveProperty('errors')
    } finally {
      await target.dispose()
    }
  })
})
