import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { formBody } from '../support/multipart.js'
import { expectProblem, makeServer, register, type Registered, type TestServer } from '../support/server.js'

const WRONG = 'definitely not the password'
const DRF_THROTTLED = /^Request was throttled\. Expected available in (\d+) seconds\.$/

type Identifier = { email: string } | { username: string }

function canonicalLogin(server: TestServer, who: Identifier, password: string, remoteAddress?: string) {
  return server.app.inject({ method: 'POST', url: '/auth/login', payload: { ...who, password }, ...(remoteAddress ? { remoteAddress } : {}) })
}

function drfLogin(server: TestServer, username: string, password: string, remoteAddress?: string) {
  return server.app.inject({ method: 'POST', url: '/api-token-auth/', ...formBody({ username, password }), ...(remoteAddress ? { remoteAddress } : {}) })
}

/** Asserts the canonical 429: problem+json, code throttled, a Retry-After within the window. */
function expectThrottled(response: LightMyRequestResponse, windowSeconds: number): number {
  expectProblem(response, 429, 'throttled')
  const retryAfter = Number(response.headers['retry-after'])
  expect(Number.isInteger(retryAfter)).toBe(true)
  expect(retryAfter).toBeGreaterThan(0)
  expect(retryAfter).toBeLessThanOrEqual(windowSeconds)
  return retryAfter
}

describe('LOGIN_THROTTLE=3/15m (per account identifier)', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await makeServer({ LOGIN_THROTTLE: '3/15m', ANON_THROTTLE: 'off' })
  })
  afterAll(async () => {
    await server?.dispose()
  })

  test('three wrong passwords are 400s; the fourth attempt is a 429 with Retry-After even with the right password', async () => {
    const user = await register(server)
    for (let i = 0; i < 3; i++) {
      expectProblem(await canonicalLogin(server, { email: user.email }, WRONG), 400, 'invalid_credentials')
    }
    const refused = await canonicalLogin(server, { email: user.email }, user.password)
    expectThrottled(refused, 15 * 60)
    expect(refused.body).not.toContain('tsr_')
    // The refused attempt started no session: only the registration's is there.
    expect(await server.tessera.listSessions(user.userId)).toHaveLength(1)
  })

  test('the DRF face answers 429 with DRF\'s exact message, its N matching Retry-After', async () => {
    const user = await register(server)
    for (let i = 0; i < 3; i++) {
      const response = await drfLogin(server, user.username, WRONG)
      expect(response.json()).toEqual({ non_field_errors: ['Unable to log in with provided credentials.'] })
    }
    const refused = await drfLogin(server, user.username, user.password)
    expect(refused.statusCode).toBe(429)
    expect(refused.headers['content-type']).toMatch(/^application\/json/)
    const body = refused.json()
    expect(Object.keys(body)).toEqual(['detail'])
    const match = DRF_THROTTLED.exec(body.detail)
    expect(match, body.detail).not.toBeNull()
    expect(refused.headers['retry-after']).toBe(match![1])
    expect(Number(match![1])).toBeLessThanOrEqual(15 * 60)
  })

  test('another account is unaffected while one is throttled', async () => {
    const victim = await register(server)
    const bystander = await register(server)
    for (let i = 0; i < 3; i++) await canonicalLogin(server, { email: victim.email }, WRONG)
    expectThrottled(await canonicalLogin(server, { email: victim.email }, victim.password), 900)

    expect((await canonicalLogin(server, { email: bystander.email }, bystander.password)).statusCode).toBe(200)
    expect((await drfLogin(server, bystander.username, bystander.password)).statusCode).toBe(200)
  })

  test('one counter is shared by /auth/login and /api-token-auth/', async () => {
    const user = await register(server)
    await canonicalLogin(server, { email: user.email }, WRONG)
    await drfLogin(server, user.email, WRONG)
    await canonicalLogin(server, { email: user.email }, WRONG)

    const drf = await drfLogin(server, user.email, user.password)
    expect(drf.statusCode).toBe(429)
    expect(drf.json().detail).toMatch(DRF_THROTTLED)
    expectThrottled(await canonicalLogin(server, { email: user.email }, user.password), 900)
  })

  test('the counter ignores the case of the identifier', async () => {
    const user = await register(server)
    await canonicalLogin(server, { email: user.email.toUpperCase() }, WRONG)
    await canonicalLogin(server, { email: user.email.toLowerCase() }, WRONG)
    await drfLogin(server, `  ${user.email}  `, WRONG)
    expectThrottled(await canonicalLogin(server, { email: user.email }, user.password), 900)
  })

  test('an unknown identifier is throttled exactly like a known one', async () => {
    const ghost = { email: `ghost-${process.pid}@example.com` }
    for (let i = 0; i < 3; i++) expectProblem(await canonicalLogin(server, ghost, WRONG), 400, 'invalid_credentials')
    expectThrottled(await canonicalLogin(server, ghost, WRONG), 900)
  })

  test('a successful login before the limit resets the account\'s counter', async () => {
    const user = await register(server)
    await canonicalLogin(server, { email: user.email }, WRONG)
    await canonicalLogin(server, { email: user.email }, WRONG)
    expect((await canonicalLogin(server, { email: user.email }, user.password)).statusCode).toBe(200)

    // Three fresh failures are allowed again, and the fourth attempt is refused again.
    for (let i = 0; i < 3; i++) expectProblem(await canonicalLogin(server, { email: user.email }, WRONG), 400, 'invalid_credentials')
    expectThrottled(await canonicalLogin(server, { email: user.email }, user.password), 900)
  })

  test('20 concurrent wrong passwords get at most 3 password checks; the rest are refused with 429', async () => {
    // A real socket, so the attempts truly overlap: a limit checked before hashing and counted
    // after it would let every overlapping guess through.
    const user = await register(server)
    const url = await server.app.listen({ host: '127.0.0.1', port: 0 })
    const statuses = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const response = await fetch(`${url}/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: user.email, password: WRONG }),
        })
        await response.arrayBuffer()
        return response.status
      }),
    )
    expect(statuses.every((status) => status === 400 || status === 429), statuses.join(' ')).toBe(true)
    expect(statuses.filter((status) => status === 400).length, statuses.join(' ')).toBeLessThanOrEqual(3)
    expectThrottled(await canonicalLogin(server, { email: user.email }, user.password), 900)
  })

  test('successful logins are not counted', async () => {
    const user = await register(server)
    for (let i = 0; i < 5; i++) {
      expect((await canonicalLogin(server, { username: user.username }, user.password)).statusCode).toBe(200)
    }
  })
})

describe('ANON_THROTTLE=5/1m (per client address, across accounts)', () => {
  let server: TestServer
  let accounts: Registered[]
  beforeAll(async () => {
    server = await makeServer({ LOGIN_THROTTLE: 'off', ANON_THROTTLE: '5/1m' })
    accounts = []
    for (let i = 0; i < 3; i++) accounts.push(await register(server))
  })
  afterAll(async () => {
    await server?.dispose()
  })

  test('five failures from one address against different accounts refuse the sixth attempt, on any account', async () => {
    const address = '203.0.113.10'
    const targets = [accounts[0]!.email, accounts[1]!.email, 'nobody-1@example.com', accounts[2]!.username, 'nobody-2']
    for (const [i, identifier] of targets.entries()) {
      const who = identifier.includes('@') ? { email: identifier } : { username: identifier }
      expectProblem(await canonicalLogin(server, who, WRONG, address), 400, 'invalid_credentials')
      expect(i).toBeLessThan(5)
    }
    const refused = await canonicalLogin(server, { email: accounts[0]!.email }, accounts[0]!.password, address)
    expectThrottled(refused, 60)

    const drf = await drfLogin(server, accounts[1]!.username, accounts[1]!.password, address)
    expect(drf.statusCode).toBe(429)
    expect(drf.json().detail).toMatch(DRF_THROTTLED)
  })

  test('another address is unaffected', async () => {
    const noisy = '203.0.113.20'
    for (let i = 0; i < 5; i++) await drfLogin(server, `nobody-${i}@example.com`, WRONG, noisy)
    expect((await drfLogin(server, accounts[0]!.username, accounts[0]!.password, noisy)).statusCode).toBe(429)

    const quiet = '198.51.100.7'
    expect((await canonicalLogin(server, { email: accounts[0]!.email }, accounts[0]!.password, quiet)).statusCode).toBe(200)
  })

  test('a client cannot escape the address limit by sending X-Forwarded-For', async () => {
    const address = '203.0.113.40'
    for (let i = 0; i < 6; i++) {
      const response = await server.app.inject({
        method: 'POST',
        url: '/auth/login',
        remoteAddress: address,
        headers: { 'x-forwarded-for': `10.9.8.${i}` },
        payload: { email: `nobody-${i}@example.com`, password: WRONG },
      })
      expect(response.statusCode).toBe(i < 5 ? 400 : 429)
    }
  })

  test('the address limit counts failures on both faces together', async () => {
    const address = '203.0.113.30'
    for (let i = 0; i < 3; i++) await drfLogin(server, `nobody-${i}`, WRONG, address)
    for (let i = 0; i < 2; i++) await canonicalLogin(server, { username: `nobody-${i}` }, WRONG, address)
    expectThrottled(await canonicalLogin(server, { email: accounts[2]!.email }, accounts[2]!.password, address), 60)
  })
})
