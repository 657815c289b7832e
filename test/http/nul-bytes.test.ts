import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { makeServer, register, type Registered, type TestServer } from '../support/server.js'

// Regression: NUL bytes reached PostgreSQL, which refuses them in text, and came back as 500s.
let server: TestServer
let alice: Registered

beforeAll(async () => {
  server = await makeServer()
  alice = await register(server)
})
afterAll(async () => server?.dispose())

const send = (method: 'POST' | 'PUT' | 'DELETE', url: string, payload?: object, token?: string) =>
  server.app.inject({ method, url, payload, headers: token ? { authorization: `Token ${token}` } : {} })

describe('NUL bytes in input get a 4xx on every engine, never a 500', () => {
  test('in the e-mail or username of a registration', async () => {
    for (const body of [
      { email: 'n\u0000@example.org', password: 'correct horse battery staple 42' },
      { email: 'ok@example.org', username: 'a\u0000b', password: 'correct horse battery staple 42' },
    ]) {
      const response = await send('POST', '/auth/register', body)
      expect(response.statusCode, response.body).toBe(400)
    }
  })

  test('in login identifiers of every face', async () => {
    expect((await send('POST', '/auth/login', { email: 'x\u0000@example.org', password: 'whatever it is' })).statusCode).toBe(400)
    expect((await send('POST', '/api-token-auth/', { username: 'x\u0000y', password: 'whatever it is' })).statusCode).toBe(400)
    const conduit = await send('POST', '/api/users/login', { user: { email: 'x\u0000@example.org', password: 'whatever it is' } })
    expect(conduit.statusCode).toBe(401)
  })

  test('in a password-reset e-mail (not an address: 400, whether or not an account exists)', async () => {
    expect((await send('POST', '/auth/password/reset', { email: 'x\u0000@example.org' })).statusCode).toBe(400)
  })

  test('in a session id and in Conduit profile fields', async () => {
    expect((await send('DELETE', '/auth/sessions/a%00b', undefined, alice.token)).statusCode).toBe(404)
    const login = await send('POST', '/api/users/login', { user: { email: alice.email, password: alice.password } })
    const jwt = login.json().user.token as string
    for (const user of [{ bio: 'a\u0000b' }, { image: 'https://x.example/\u0000.png' }]) {
      const response = await send('PUT', '/api/user', { user }, jwt)
      expect(response.statusCode, response.body).toBe(422)
    }
  })
})
