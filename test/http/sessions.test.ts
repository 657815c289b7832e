import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  bearer,
  expectProblem,
  expectUnauthorized,
  login,
  makeServer,
  register,
  whoAmI,
  type Registered,
  type TestServer,
} from '../support/server.js'

let server: TestServer
beforeAll(async () => {
  server = await makeServer()
})
afterAll(async () => {
  await server?.dispose()
})

const call = (method: 'GET' | 'POST' | 'DELETE', url: string, token?: string) =>
  server.app.inject({ method, url, headers: token ? bearer(token) : {} })

/** A user signed in on two devices: the registration's "phone" and a later "laptop". */
async function twoDevices(): Promise<{ user: Registered; phone: string; laptop: string; laptopSession: string }> {
  const user = await register(server, { device: 'phone' })
  const { token, sessionId } = await login(server, { email: user.email, password: user.password, device: 'laptop' })
  return { user, phone: user.token, laptop: token, laptopSession: sessionId }
}

describe('POST /auth/logout', () => {
  test('revokes only the calling session: its token dies, another device keeps working', async () => {
    const { phone, laptop } = await twoDevices()
    // Warm the principal cache first: revocation must reach cached entries too.
    expect((await whoAmI(server, phone)).statusCode).toBe(200)

    const response = await call('POST', '/auth/logout', phone)
    expect(response.statusCode).toBe(204)
    expect(response.body).toBe('')

    expectUnauthorized(await whoAmI(server, phone), 'invalid_token')
    expect((await whoAmI(server, laptop)).statusCode).toBe(200)
  })

  test('without credentials is a 401 not_authenticated with the Bearer challenge', async () => {
    expectUnauthorized(await call('POST', '/auth/logout'), 'not_authenticated')
  })

  test('a JSON content type with an empty body, as many HTTP clients send, still logs out', async () => {
    const user = await register(server)
    const response = await server.app.inject({
      method: 'POST',
      url: '/auth/logout',
      headers: { ...bearer(user.token), 'content-type': 'application/json' },
      payload: '',
    })
    expect(response.statusCode, response.body).toBe(204)
    expectUnauthorized(await whoAmI(server, user.token))
  })

  test('a second logout with the same token is a 401', async () => {
    const user = await register(server)
    expect((await call('POST', '/auth/logout', user.token)).statusCode).toBe(204)
    expectUnauthorized(await call('POST', '/auth/logout', user.token), 'invalid_token')
  })
})

describe('POST /auth/logout-all', () => {
  test('revokes every session of the user, and no one else\'s', async () => {
    const { user, phone, laptop } = await twoDevices()
    const other = await register(server)
    expect((await whoAmI(server, laptop)).statusCode).toBe(200)

    const response = await call('POST', '/auth/logout-all', phone)
    expect(response.statusCode).toBe(204)

    expectUnauthorized(await whoAmI(server, phone))
    expectUnauthorized(await whoAmI(server, laptop))
    expect((await whoAmI(server, other.token)).statusCode).toBe(200)
    expect(await server.tessera.listSessions(user.userId)).toEqual([])
  })

  test('the user can log in again afterwards', async () => {
    const user = await register(server)
    await call('POST', '/auth/logout-all', user.token)
    const { token } = await login(server, { email: user.email, password: user.password })
    expect((await whoAmI(server, token)).statusCode).toBe(200)
  })
})

describe('GET /auth/sessions', () => {
  test('lists the live sessions with the caller\'s marked current, and never a secret', async () => {
    const { user, phone, laptop, laptopSession } = await twoDevices()

    const response = await call('GET', '/auth/sessions', laptop)
    expect(response.statusCode, response.body).toBe(200)
    const { sessions } = response.json() as { sessions: Array<Record<string, unknown>> }
    expect(sessions).toHaveLength(2)
    expect(sessions.map((s) => s.device)).toEqual(['laptop', 'phone'])
    expect(sessions.filter((s) => s.current).map((s) => s.id)).toEqual([laptopSession])
    expect(sessions.find((s) => s.id === user.sessionId)?.current).toBe(false)
    for (const session of sessions) {
      expect(Object.keys(session).sort()).toEqual(['createdAt', 'current', 'device', 'expiresAt', 'id', 'lastUsedAt'])
    }
    expect(response.body).not.toContain(phone)
    expect(response.body).not.toContain(laptop)
    expect(response.body).not.toMatch(/[0-9a-f]{64}/)
  })

  test('leaves out revoked sessions', async () => {
    const { phone, laptop, laptopSession } = await twoDevices()
    await call('POST', '/auth/logout', phone)
    const { sessions } = (await call('GET', '/auth/sessions', laptop)).json() as { sessions: Array<{ id: string }> }
    expect(sessions.map((s) => s.id)).toEqual([laptopSession])
  })

  test('shows only the caller\'s own sessions', async () => {
    const a = await register(server)
    const b = await register(server)
    const { sessions } = (await call('GET', '/auth/sessions', a.token)).json() as { sessions: Array<{ id: string }> }
    expect(sessions.map((s) => s.id)).toEqual([a.sessionId])
    expect(sessions.map((s) => s.id)).not.toContain(b.sessionId)
  })

  test('without credentials is a 401', async () => {
    expectUnauthorized(await call('GET', '/auth/sessions'), 'not_authenticated')
  })
})

describe('DELETE /auth/sessions/:id', () => {
  test('revokes another of the caller\'s sessions: that token dies, the caller\'s does not', async () => {
    const { phone, laptop, laptopSession } = await twoDevices()
    expect((await whoAmI(server, laptop)).statusCode).toBe(200)

    const response = await call('DELETE', `/auth/sessions/${laptopSession}`, phone)
    expect(response.statusCode).toBe(204)

    expectUnauthorized(await whoAmI(server, laptop))
    expect((await whoAmI(server, phone)).statusCode).toBe(200)
  })

  test('answers 404 for someone else\'s session and leaves it alive', async () => {
    const mallory = await register(server)
    const victim = await register(server)

    const response = await call('DELETE', `/auth/sessions/${victim.sessionId}`, mallory.token)
    expectProblem(response, 404, 'not_found')
    expect((await whoAmI(server, victim.token)).statusCode).toBe(200)
  })

  test('answers 404 for an unknown id and for a session already revoked', async () => {
    const { phone, laptopSession } = await twoDevices()
    expectProblem(await call('DELETE', '/auth/sessions/00000000-0000-0000-0000-000000000000', phone), 404, 'not_found')
    expect((await call('DELETE', `/auth/sessions/${laptopSession}`, phone)).statusCode).toBe(204)
    expectProblem(await call('DELETE', `/auth/sessions/${laptopSession}`, phone), 404, 'not_found')
  })

  test('revoking the calling session itself logs the caller out', async () => {
    const user = await register(server)
    expect((await call('DELETE', `/auth/sessions/${user.sessionId}`, user.token)).statusCode).toBe(204)
    expectUnauthorized(await whoAmI(server, user.token))
  })
})

describe('POST /auth/token/rotate', () => {
  test('gives the calling session a new token; the old one is refused at once', async () => {
    const { user, phone, laptop } = await twoDevices()
    expect((await whoAmI(server, phone)).statusCode).toBe(200)

    const response = await call('POST', '/auth/token/rotate', phone)
    expect(response.statusCode, response.body).toBe(200)
    const body = response.json()
    expect(Object.keys(body).sort()).toEqual(['session', 'token'])
    expect(body.token).toMatch(/^tsr_[A-Za-z0-9_-]{43}$/)
    expect(body.token).not.toBe(phone)
    expect(body.session).toMatchObject({ id: user.sessionId, device: 'phone', current: true })

    expectUnauthorized(await whoAmI(server, phone))
    expect((await whoAmI(server, body.token)).statusCode).toBe(200)
    expect((await whoAmI(server, laptop)).statusCode).toBe(200)
  })

  test('the rotated session stays one session in the list', async () => {
    const user = await register(server)
    const { token } = (await call('POST', '/auth/token/rotate', user.token)).json()
    const { sessions } = (await call('GET', '/auth/sessions', token)).json() as { sessions: Array<{ id: string }> }
    expect(sessions.map((s) => s.id)).toEqual([user.sessionId])
  })

  test('without credentials is a 401', async () => {
    expectUnauthorized(await call('POST', '/auth/token/rotate'), 'not_authenticated')
  })
})

describe('deactivating a user', () => {
  test('ends every token of the user at once', async () => {
    const { user, phone, laptop } = await twoDevices()
    expect((await whoAmI(server, phone)).statusCode).toBe(200)
    await server.tessera.setUserActive(user.userId, false)
    expectUnauthorized(await whoAmI(server, phone))
    expectUnauthorized(await whoAmI(server, laptop))
  })
})

describe('MAX_SESSIONS_PER_USER', () => {
  let capped: TestServer
  beforeAll(async () => {
    capped = await makeServer({ MAX_SESSIONS_PER_USER: '3' }, { memory: true })
  })
  afterAll(async () => {
    await capped?.dispose()
  })

  test('a login beyond the cap revokes the oldest session and only it', async () => {
    const user = await register(capped, { device: 'first' })
    const tokens = [user.token]
    for (const device of ['second', 'third', 'fourth']) {
      tokens.push((await login(capped, { email: user.email, password: user.password, device })).token)
    }

    expectUnauthorized(await whoAmI(capped, tokens[0]!))
    for (const token of tokens.slice(1)) expect((await whoAmI(capped, token)).statusCode).toBe(200)
    const { sessions } = (await capped.app.inject({ method: 'GET', url: '/auth/sessions', headers: bearer(tokens[3]!) })).json()
    expect(sessions.map((s: { device: string }) => s.device)).toEqual(['fourth', 'third', 'second'])
  })
})

describe('TOKEN_TTL and TOKEN_MAX_AGE', () => {
  test('a new session expires TOKEN_TTL after its creation', async () => {
    const ttl = await makeServer({ TOKEN_TTL: '2h' }, { memory: true })
    try {
      const user = await register(ttl)
      const [session] = await ttl.tessera.listSessions(user.userId)
      expect(session!.expiresAt.getTime() - session!.createdAt.getTime()).toBe(2 * 3600 * 1000)
    } finally {
      await ttl.dispose()
    }
  })

  test('TOKEN_MAX_AGE caps the expiry when it is shorter than TOKEN_TTL', async () => {
    const capped = await makeServer({ TOKEN_TTL: '30d', TOKEN_MAX_AGE: '1h' }, { memory: true })
    try {
      const response = await capped.app.inject({ method: 'POST', url: '/auth/register', payload: { email: 'cap@example.com', password: 'correct horse battery staple 42' } })
      const { session } = response.json()
      expect(Date.parse(session.expiresAt) - Date.parse(session.createdAt)).toBe(3600 * 1000)
    } finally {
      await capped.dispose()
    }
  })
})
