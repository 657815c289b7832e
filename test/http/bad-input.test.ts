import type { InjectOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { multipartBody } from '../support/multipart.js'
import { expectSafeReply } from '../support/safe-response.js'
import { bearer, makeServer, newAccount, register, type Registered, type TestServer } from '../support/server.js'

// Every reply in this file goes through `send`, which asserts it is JSON, under 500, and free of
// stack traces, whatever the test then checks.

interface Reply {
  status: number
  headers: Record<string, unknown>
  body: Record<string, unknown> & { code?: string; errors?: Record<string, string[]>; detail?: string }
}

let server: TestServer
let alice: Registered
beforeAll(async () => {
  server = await makeServer()
  alice = await register(server)
})
afterAll(async () => {
  await server?.dispose()
})

async function send(options: InjectOptions): Promise<Reply> {
  const response = await server.app.inject(options)
  const body = expectSafeReply(response.statusCode, response.headers['content-type'] as string | undefined, response.body)
  return { status: response.statusCode, headers: response.headers, body: (body ?? {}) as Reply['body'] }
}

const json = { 'content-type': 'application/json' }
/** A whole field, then a boundary that does not close the body: busboy has parsed a part before it fails. */
const TRUNCATED_MULTIPART = '--xyz\r\nContent-Disposition: form-data; name="username"\r\n\r\nbob\r\n--xyz'

const raw = (url: string, payload: string, headers: Record<string, string> = json, method: 'POST' | 'PATCH' = 'POST') =>
  send({ method, url, payload, headers })

function expectValidation(reply: Reply, ...fields: string[]): void {
  expect(reply.status, JSON.stringify(reply.body)).toBe(400)
  expect(reply.body.code).toBe('validation_failed')
  for (const field of fields) expect(reply.body.errors?.[field], `errors.${field}`).toEqual(expect.any(Array))
}

describe('malformed and mistyped bodies on the canonical face', () => {
  test.each(['/auth/register', '/auth/login'])('malformed JSON on %s is a 400 validation failure', async (url) => {
    for (const payload of ['{bad', '{"email": "a@b.c",}', '{"email": "a@b.c"', '\u0000', '{"a":1}{"b":2}']) {
      expectValidation(await raw(url, payload))
    }
  })

  test.each(['[]', '[{"email":"a@b.co"}]', '"a string"', 'null', '42', 'true'])('the JSON body %s, not an object, is a 400', async (payload) => {
    expectValidation(await raw('/auth/register', payload))
    expectValidation(await raw('/auth/login', payload))
    expectValidation(await raw('/auth/user', payload, { ...json, ...bearer(alice.token) }, 'PATCH'))
  })

  test('an empty body with a JSON content type is a 400', async () => {
    expectValidation(await raw('/auth/login', ''))
  })

  test('no body at all is a 400', async () => {
    expectValidation(await send({ method: 'POST', url: '/auth/register' }))
    expectValidation(await send({ method: 'POST', url: '/auth/login' }))
  })

  test('wrong types are refused, naming each field, not coerced', async () => {
    expectValidation(await send({ method: 'POST', url: '/auth/login', payload: { email: 12345, password: { $ne: null } } }), 'email', 'password')
    expectValidation(await send({ method: 'POST', url: '/auth/register', payload: { email: ['a@b.co'], password: 12345678 } }), 'email', 'password')
    expectValidation(await send({ method: 'POST', url: '/auth/register', payload: { ...newAccount(), username: true, device: [] } }), 'username', 'device')
    expectValidation(await send({ method: 'POST', url: '/auth/login', payload: { email: null, password: null } }), 'email', 'password')
  })

  test('missing fields are named with "This field is required."', async () => {
    const reply = await send({ method: 'POST', url: '/auth/register', payload: {} })
    expectValidation(reply, 'email', 'password')
    expect(reply.body.errors?.email).toEqual(['This field is required.'])
    expect(reply.body.errors?.password).toEqual(['This field is required.'])
  })

  test('blank fields are refused, naming each field', async () => {
    expectValidation(await send({ method: 'POST', url: '/auth/register', payload: { email: '', password: '' } }), 'email', 'password')
    expectValidation(await send({ method: 'POST', url: '/auth/register', payload: { email: '   ', password: 'correct horse battery staple 42' } }), 'email')
    expect((await send({ method: 'POST', url: '/auth/login', payload: { email: '', password: '' } })).status).toBe(400)
  })

  test('over-long fields are refused with 400, not stored or hashed', async () => {
    expectValidation(await send({ method: 'POST', url: '/auth/register', payload: { email: `${'a'.repeat(300)}@example.com`, password: 'correct horse battery staple 42' } }), 'email')
    expectValidation(await send({ method: 'POST', url: '/auth/register', payload: { ...newAccount(), password: 'p'.repeat(5000) } }), 'password')
    expectValidation(await send({ method: 'POST', url: '/auth/login', payload: { email: alice.email, password: 'p'.repeat(5000) } }), 'password')
  })

  test('unknown fields are refused with a 400 naming the field', async () => {
    const registerReply = await send({ method: 'POST', url: '/auth/register', payload: { ...newAccount(), favouriteColour: 'blue' } })
    expectValidation(registerReply, 'favouriteColour')
    const loginReply = await send({ method: 'POST', url: '/auth/login', payload: { email: alice.email, password: alice.password, remember: true } })
    expectValidation(loginReply, 'remember')
  })
})

describe('body size and media type', () => {
  const big = JSON.stringify({ email: 'big@example.com', password: 'x'.repeat(200 * 1024) })

  test.each(['/auth/register', '/auth/login'])('a 200 KB body on %s is a 413 payload_too_large', async (url) => {
    const reply = await raw(url, big)
    expect(reply.status).toBe(413)
    expect(reply.body.code).toBe('payload_too_large')
  })

  test('a 200 KB body on the DRF face is a 413 in DRF\'s shape', async () => {
    const reply = await raw('/api-token-auth/', big)
    expect(reply.status).toBe(413)
    expect(reply.body).toEqual({ detail: expect.any(String) })
  })

  test.each([
    ['text/plain', 'email=a@b.co&password=x'],
    ['application/xml', '<login><email>a@b.co</email></login>'],
    ['application/x-www-form-urlencoded', 'email=a%40b.co&password=x'],
  ])('a %s body on the canonical face is a 415 unsupported_media_type', async (contentType, payload) => {
    const reply = await raw('/auth/login', payload, { 'content-type': contentType })
    expect(reply.status, JSON.stringify(reply.body)).toBe(415)
    expect(reply.body.code).toBe('unsupported_media_type')
  })

  test('a multipart body on the canonical face is a 415', async () => {
    const reply = await send({ method: 'POST', url: '/auth/register', ...multipartBody(newAccount()) })
    expect(reply.status).toBe(415)
    expect(reply.body.code).toBe('unsupported_media_type')
  })

  test('a text/plain body on the DRF face is a 415 with a detail, as DRF answers a media type it has no parser for', async () => {
    const reply = await raw('/api-token-auth/', 'username=a&password=b', { 'content-type': 'text/plain' })
    expect(reply.status, JSON.stringify(reply.body)).toBe(415)
    expect(reply.body).toEqual({ detail: expect.any(String) })
  })

  test.each([
    ['a boundary that never appears', 'multipart/form-data; boundary=xyz', 'garbage'],
    ['no boundary at all', 'multipart/form-data', 'garbage'],
    ['a part that never ends', 'multipart/form-data; boundary=xyz', '--xyz\r\nContent-Disposition: form-data; name="username"\r\n\r\nabc'],
    ['a last boundary without its closing --', 'multipart/form-data; boundary=xyz', TRUNCATED_MULTIPART],
  ])('a malformed multipart body (%s) on the DRF face is a 400, not a 500', async (_what, contentType, payload) => {
    const reply = await raw('/api-token-auth/', payload, { 'content-type': contentType })
    expect(reply.status, JSON.stringify(reply.body)).toBe(400)
  })

  test('a multipart file part on the DRF face is refused without a 500', async () => {
    const payload = '--xyz\r\nContent-Disposition: form-data; name="username"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--xyz--\r\n'
    const reply = await raw('/api-token-auth/', payload, { 'content-type': 'multipart/form-data; boundary=xyz' })
    expect(reply.status).toBeGreaterThanOrEqual(400)
  })

  test('malformed JSON on the DRF face is a 400 in DRF\'s shape', async () => {
    const reply = await raw('/api-token-auth/', '{"username": ')
    expect(reply.status).toBe(400)
    expect(reply.body.code).toBeUndefined()
  })
})

describe('SQL-looking input', () => {
  const sqlish = ["' OR '1'='1", "admin'--", '"; DROP TABLE users; --', "1; DELETE FROM sessions WHERE '1'='1", '%', '_']

  test('SQL-looking identifiers log in nobody and break nothing', async () => {
    for (const value of sqlish) {
      const byEmail = await send({ method: 'POST', url: '/auth/login', payload: { email: value, password: value } })
      expect(byEmail.status).toBe(400)
      expect(byEmail.body.code).toBe('invalid_credentials')
      const byUsername = await send({ method: 'POST', url: '/auth/login', payload: { username: value, password: alice.password } })
      expect(byUsername.body.code).toBe('invalid_credentials')
      const drf = await send({ method: 'POST', url: '/api-token-auth/', payload: { username: value, password: value } })
      expect(drf.body).toEqual({ non_field_errors: ['Unable to log in with provided credentials.'] })
    }
  })

  test('SQL-looking registrations are validated like any other and the database still works afterwards', async () => {
    expectValidation(await send({ method: 'POST', url: '/auth/register', payload: { email: "x'); DROP TABLE users;--", password: 'correct horse battery staple 42' } }), 'email')
    expectValidation(await send({ method: 'POST', url: '/auth/register', payload: { ...newAccount(), username: "Robert'); DROP TABLE users;--" } }), 'username')

    // Quotes are legal in an e-mail's local part and anywhere in a password: stored as given.
    const email = `o'brien+${process.pid}'--@example.com`
    const password = "' OR '1'='1' -- ; DROP TABLE sessions"
    const created = await send({ method: 'POST', url: '/auth/register', payload: { email, username: `obrien${process.pid}`, password } })
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    expect((created.body.user as { email: string }).email).toBe(email)

    expect((await send({ method: 'POST', url: '/auth/login', payload: { email, password } })).status).toBe(200)
    expect((await send({ method: 'POST', url: '/auth/login', payload: { email, password: "' OR '1'='1" } })).status).toBe(400)
    expect((await send({ method: 'POST', url: '/auth/login', payload: { email: alice.email, password: alice.password } })).status).toBe(200)
    expect((await register(server)).token).toMatch(/^tsr_/)
    expect((await send({ method: 'GET', url: '/readyz' })).status).toBe(200)
  })
})

describe('privilege fields never reach an account', () => {
  const privileged = [
    ['is_staff', true],
    ['isStaff', true],
    ['is_superuser', true],
    ['isSuperuser', true],
    ['isActive', false],
    ['is_active', false],
    ['emailVerified', true],
    ['id', 1],
  ] as const

  test.each(privileged)('register with %s is a 400 naming it, and creates no account', async (field, value) => {
    const account = newAccount()
    const reply = await send({ method: 'POST', url: '/auth/register', payload: { ...account, [field]: value } })
    expectValidation(reply, field)
    expect(await server.tessera.findUser(account.email)).toBeNull()
  })

  test.each(privileged)('PATCH /auth/user with %s is a 400 naming it, and the user is unchanged', async (field, value) => {
    const user = await register(server)
    const before = await server.tessera.getUser(user.userId)
    const reply = await send({ method: 'PATCH', url: '/auth/user', headers: bearer(user.token), payload: { [field]: value } })
    expectValidation(reply, field)
    expect(await server.tessera.getUser(user.userId)).toEqual(before)
  })

  test.each([
    ['__proto__', '{"__proto__": {"isStaff": true, "isSuperuser": true}}'],
    ['constructor.prototype', '{"constructor": {"prototype": {"isStaff": true}}}'],
  ])('a %s key in the register body is refused and grants nothing', async (_what, poison) => {
    const account = newAccount()
    const payload = JSON.stringify(account).replace(/}$/, `, ${poison.slice(1, -1)}}`)
    const reply = await raw('/auth/register', payload)
    expect(reply.status).toBe(400)
    expect(await server.tessera.findUser(account.email)).toBeNull()
    expect(({} as Record<string, unknown>).isStaff).toBeUndefined()
  })

  test('a privilege field beside a legitimate change refuses the whole patch', async () => {
    const user = await register(server)
    const newEmail = `changed-${user.username}@example.com`
    const reply = await send({ method: 'PATCH', url: '/auth/user', headers: bearer(user.token), payload: { email: newEmail, isStaff: true, isSuperuser: true } })
    expectValidation(reply, 'isStaff', 'isSuperuser')
    const after = await send({ method: 'GET', url: '/auth/user', headers: bearer(user.token) })
    expect(after.body.user).toMatchObject({ email: user.email, isStaff: false, isSuperuser: false })
  })

  test('a legitimate PATCH still works and grants nothing', async () => {
    const user = await register(server)
    const reply = await send({ method: 'PATCH', url: '/auth/user', headers: bearer(user.token), payload: { username: `renamed${user.userId}` } })
    expect(reply.status).toBe(200)
    expect(reply.body.user).toMatchObject({ username: `renamed${user.userId}`, isStaff: false, isSuperuser: false, isActive: true })
  })
})

describe('odd Authorization headers on canonical routes', () => {
  test.each([
    ['Token'],
    ['Bearer'],
    ['bearer    '],
    ['Bearer a b'],
    ['Token tsr_x tsr_y'],
    ['Bearer t\u00e9st'],
    ['Bearer \u00ff\u00fe'],
    [`Bearer ${'a'.repeat(8000)}`],
    [`Bearer tsr_${'!'.repeat(43)}`],
    [`Bearer tsr_${'A'.repeat(43)}`],
    [`Bearer ${'0'.repeat(40)}`],
    ['Bearer null'],
    ['Token undefined'],
  ])('"%s" is a 401 with the Bearer challenge', async (authorization) => {
    const reply = await send({ method: 'GET', url: '/auth/user', headers: { authorization } })
    expect(reply.status).toBe(401)
    expect(reply.body.code).toBe('invalid_token')
    expect(reply.headers['www-authenticate']).toBe('Bearer realm="tessera"')
  })

  test.each([[''], ['Basic YWxpY2U6c2VjcmV0'], ['Digest username="alice"'], ['tsr_abc']])(
    '"%s", not a token scheme, is a 401 not_authenticated with the Bearer challenge',
    async (authorization) => {
      const reply = await send({ method: 'POST', url: '/auth/logout', headers: { authorization } })
      expect(reply.status).toBe(401)
      expect(reply.body.code).toBe('not_authenticated')
      expect(reply.headers['www-authenticate']).toBe('Bearer realm="tessera"')
    },
  )
})

describe('concurrent registrations', () => {
  test('20 concurrent registrations of one e-mail give exactly one 201 and nineteen 400s naming email, never a 500', async () => {
    // A real socket: inject() runs requests one after another more than a network does.
    const live = await makeServer()
    try {
      const url = await live.app.listen({ host: '127.0.0.1', port: 0 })
      const email = `Race.${process.pid}@Example.com`
      const replies = await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const response = await fetch(`${url}/auth/register`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            // Case varies too: the unique key, not the text, must decide.
            body: JSON.stringify({ email: i % 2 ? email.toLowerCase() : email, username: `racer${i}x${process.pid}`, password: 'correct horse battery staple 42' }),
          })
          const text = await response.text()
          return { status: response.status, body: expectSafeReply(response.status, response.headers.get('content-type') ?? undefined, text) as Reply['body'] }
        }),
      )
      const statuses = replies.map((r) => r.status).sort()
      expect(statuses.filter((s) => s === 201)).toHaveLength(1)
      expect(statuses.filter((s) => s === 400)).toHaveLength(19)
      for (const reply of replies.filter((r) => r.status === 400)) {
        expect(reply.body.code).toBe('validation_failed')
        expect(reply.body.errors?.email).toEqual(['A user with that email already exists.'])
      }
      const users = await live.tessera.store.listUsers({ q: `race.${process.pid}`, limit: 50 })
      expect(users).toHaveLength(1)
    } finally {
      await live.dispose()
    }
  })
})

describe('a malformed multipart body on every Django face', () => {
  let django: TestServer
  beforeAll(async () => {
    django = await makeServer({ PROFILES: 'drf,djoser,simplejwt,dj-rest-auth', DJOSER_PREFIX: '/djoser' })
  })
  afterAll(async () => {
    await django?.dispose()
  })

  test.each([
    '/api-token-auth/',
    '/djoser/token/login/',
    '/djoser/users/',
    '/djoser/users/reset_password/',
    '/api/token/',
    '/api/token/refresh/',
    '/rest-auth/login/',
    '/rest-auth/registration/',
    '/rest-auth/password/reset/',
  ])('POST %s with a truncated multipart body is a 400, not a 500', async (url) => {
    const response = await django.app.inject({ method: 'POST', url, payload: TRUNCATED_MULTIPART, headers: { 'content-type': 'multipart/form-data; boundary=xyz' } })
    expectSafeReply(response.statusCode, response.headers['content-type'] as string | undefined, response.body)
    expect(response.statusCode, response.body).toBe(400)
  })
})
