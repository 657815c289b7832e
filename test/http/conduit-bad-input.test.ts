import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest'
import { expectSafeReply } from '../support/safe-response.js'
import { makeServer, newAccount, type TestServer } from '../support/server.js'

let server: TestServer
let token: string
beforeAll(async () => {
  server = await makeServer({}, { memory: true })
  const response = await server.app.inject({ method: 'POST', url: '/api/users', payload: { user: newAccount('bad') } })
  token = response.json().user.token as string
})
afterAll(async () => {
  await server?.dispose()
})

const ROUTES = [
  { method: 'POST', url: '/api/users', good: newAccount('bad') },
  { method: 'POST', url: '/api/users/login', good: { email: 'someone@example.com', password: 'correct horse battery staple 42' } },
  { method: 'PUT', url: '/api/user', good: { bio: 'ok' } },
] as const

/** A raw JSON body for `route`, authenticated where the route needs it. */
const send = (route: (typeof ROUTES)[number], body: string | undefined, contentType = 'application/json') =>
  server.app.inject({
    method: route.method,
    url: route.url,
    headers: { ...(body === undefined ? {} : { 'content-type': contentType }), ...(route.method === 'PUT' ? { authorization: `Token ${token}` } : {}) },
    ...(body === undefined ? {} : { payload: body }),
  })

/** Asserts a 422 in RealWorld's shape, with `field` among the fields named, and no 500 or stack trace. */
function expect422(response: { statusCode: number; headers: Record<string, unknown>; body: string }, field: string): void {
  const body = expectSafeReply(response.statusCode, String(response.headers['content-type']), response.body) as { errors: Record<string, string[]> }
  expect(response.statusCode, response.body).toBe(422)
  expect(Object.keys(body)).toEqual(['errors'])
  expect(body.errors[field], response.body).toEqual(expect.arrayContaining([expect.any(String)]))
}

describe.each(ROUTES)('$method $url', (route) => {
  test('a body without the "user" wrapper is 422 {"errors": {"user": ["can\'t be blank"]}}', async () => {
    const response = await send(route, JSON.stringify(route.good))
    expect(response.statusCode, response.body).toBe(422)
    expect(response.json()).toEqual({ errors: { user: ["can't be blank"] } })
  })

  test.each([
    ['a string', '"x"'],
    ['an array', '[]'],
    ['null', 'null'],
    ['a number', '1'],
    ['an array of users', '[{"user":{}}]'],
  ])('"user" as %s is 422 naming "user"', async (_, user) => {
    expect422(await send(route, `{"user": ${user}}`), 'user')
  })

  test.each([
    ['a bare string', '"user"', 'body'],
    ['a bare array', '[]', 'body'],
    ['null', 'null', 'body'],
    ['broken JSON', '{"user": {', 'body'],
    ['a __proto__ key', '{"user": {"__proto__": {"isStaff": true}}}', 'body'],
  ])('%s as the body is 422', async (_, body, field) => {
    expect422(await send(route, body), field)
  })

  test('no body at all is 422, never 500', async () => {
    const response = await send(route, undefined)
    expectSafeReply(response.statusCode, String(response.headers['content-type']), response.body)
    expect(response.statusCode, response.body).toBe(422)
  })

  test.each([
    ['a number', 42],
    ['a boolean', true],
    ['an object', { $gt: '' }],
    ['an array', ['a@b.co']],
  ])('a field given as %s is 422 naming the field', async (_, value) => {
    for (const field of Object.keys(route.good)) {
      expect422(await send(route, JSON.stringify({ user: { ...route.good, [field]: value } })), field)
    }
  })

  test('a form body is refused with a 4xx, never a 500', async () => {
    const response = await send(route, 'user[email]=a@b.co', 'application/x-www-form-urlencoded')
    expectSafeReply(response.statusCode, String(response.headers['content-type']), response.body)
    expect(response.statusCode).toBeGreaterThanOrEqual(400)
  })
})

describe('PUT /api/user field types', () => {
  test.each(['bio', 'image', 'password'])('%s as a number is 422 naming it', async (field) => {
    const route = ROUTES[2]
    expect422(await send(route, JSON.stringify({ user: { [field]: 7 } })), field)
  })

  test('null e-mail and username are 422, not a cleared identity', async () => {
    const route = ROUTES[2]
    for (const field of ['email', 'username']) expect422(await send(route, JSON.stringify({ user: { [field]: null } })), field)
  })
})

describe('an unexpected failure', () => {
  test('is a 500 in the Conduit shape with no stack trace', async () => {
    const spy = vi.spyOn(server.tessera, 'getUser').mockRejectedValueOnce(new Error('disk on fire at /srv/app.ts:12:3'))
    try {
      const response = await server.app.inject({ method: 'GET', url: '/api/user', headers: { authorization: `Token ${token}` } })
      expect(response.statusCode, response.body).toBe(500)
      expect(response.json()).toEqual({ errors: { internal_error: [expect.any(String)] } })
      expect(response.body).not.toContain('disk on fire')
    } finally {
      spy.mockRestore()
    }
  })
})
