import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { loadConfig } from '../../src/config/env.js'
import { buildServer, type TesseraServer } from '../../src/http/server.js'
import { privateRedisMissing, sleep, startPrivateRedis, type PrivateRedis } from '../support/private-services.js'
import { newAccount, register } from '../support/server.js'

/*
 * Redis killed under two servers that share it and one SQLite file (as two nodes behind a load
 * balancer): they keep answering from the database, report Redis as degraded, and when Redis is
 * started again on the same port they go back to it (readiness ok, revocations broadcast again).
 * The Redis is this test's own, on a port of its own: the shared one on 6379 is never touched.
 */

const missing = privateRedisMissing()
if (missing) {
  if (/^(true|1)$/i.test(process.env.CI ?? '')) throw new Error(`Redis fault tests cannot run under CI=true: ${missing}`)
  console.warn(`Redis fault tests skipped: ${missing}`)
}

/** How long the servers may take to notice Redis is gone, and to be back on it after it returns. */
const DEADLINE_MS = 15_000
const auth = (token: string) => ({ authorization: `Token ${token}` })

type Readiness = { status: string; checks: { database: string; redis?: string } }

async function readiness(server: TesseraServer): Promise<{ code: number; body: Readiness }> {
  const response = await server.app.inject({ method: 'GET', url: '/readyz' })
  return { code: response.statusCode, body: response.json() as Readiness }
}

/** Polls /readyz until Redis reads `wanted`; the milliseconds it took. */
async function untilRedis(server: TesseraServer, wanted: 'ok' | 'degraded', since = performance.now()): Promise<number> {
  for (;;) {
    const { body } = await readiness(server)
    const elapsed = performance.now() - since
    if (body.checks.redis === wanted) return elapsed
    if (elapsed > DEADLINE_MS) throw new Error(`redis is still ${body.checks.redis} after ${Math.round(elapsed)} ms (wanted ${wanted})`)
    await sleep(25)
  }
}

async function redisGauge(server: TesseraServer): Promise<string | undefined> {
  const response = await server.app.inject({ method: 'GET', url: '/metrics' })
  expect(response.statusCode).toBe(200)
  return /^tessera_dependency_up\{dependency="redis"\} (\d)$/m.exec(response.body)?.[1]
}

async function userStatus(server: TesseraServer, token: string): Promise<number> {
  return (await server.app.inject({ method: 'GET', url: '/auth/user', headers: auth(token) })).statusCode
}

describe.skipIf(missing !== null)('Redis unreachable, then back', () => {
  let redis: PrivateRedis | undefined
  let dir: string | undefined
  const servers: TesseraServer[] = []
  let a: TesseraServer
  let b: TesseraServer

  beforeAll(async () => {
    redis = await startPrivateRedis()
    dir = mkdtempSync(join(tmpdir(), 'tessera-fault-redis-'))
    const config = loadConfig({
      DATABASE_URL: `sqlite:${join(dir, 'tessera.db')}`,
      REDIS_URL: redis.url,
      // The login limit stays on, so its counters run through Redis and then the in-process fallback.
      LOGIN_THROTTLE: '100/15m',
      ANON_THROTTLE: 'off',
      LOG_LEVEL: 'silent',
    })
    // One after the other: the first migrates the file.
    servers.push(await buildServer(config, { logger: false }))
    servers.push(await buildServer(config, { logger: false }))
    ;[a, b] = servers as [TesseraServer, TesseraServer]
  })

  afterAll(async () => {
    try {
      for (const server of servers) await server.close().catch(() => {})
    } finally {
      await redis?.close()
      if (dir) rmSync(dir, { recursive: true, force: true })
    }
  })

  test('both servers start on Redis: readiness ok, metrics up', async () => {
    for (const server of [a, b]) {
      await untilRedis(server, 'ok')
      expect(await readiness(server)).toEqual({ code: 200, body: { status: 'ok', checks: { database: 'ok', redis: 'ok' } } })
      expect(await redisGauge(server)).toBe('1')
    }
  })

  test('Redis killed: requests and logins keep working, readiness degraded (200), metrics 0; back on Redis once it returns', async () => {
    const before = await register(a)
    expect(await userStatus(b, before.token)).toBe(200)

    await redis!.stop()
    const noticed = await Promise.all([untilRedis(a, 'degraded'), untilRedis(b, 'degraded')])
    console.info(`Redis killed: servers reported it degraded after ${noticed.map((ms) => Math.round(ms)).join(' / ')} ms`)

    for (const server of [a, b]) {
      expect(await readiness(server)).toEqual({ code: 200, body: { status: 'degraded', checks: { database: 'ok', redis: 'degraded' } } })
      expect(await redisGauge(server)).toBe('0')
      expect(await userStatus(server, before.token)).toBe(200)
    }
    // Writes and logins (whose throttle counters now fall back to this process) go on.
    const during = await register(b)
    const login = await a.app.inject({ method: 'POST', url: '/auth/login', payload: { email: during.email, password: during.password } })
    expect(login.statusCode).toBe(200)
    const loginToken = (login.json() as { token: string }).token
    expect(await userStatus(b, loginToken)).toBe(200)
    // A revocation while Redis is down still holds on the other server: not subscribed, it reads the store.
    expect((await a.app.inject({ method: 'POST', url: '/auth/logout', headers: auth(loginToken) })).statusCode).toBe(204)
    expect(await userStatus(b, loginToken)).toBe(401)
    // Every answer stayed a correct one: no 5xx anywhere.
    const wrong = await b.app.inject({ method: 'POST', url: '/auth/login', payload: { email: during.email, password: 'not the password at all' } })
    expect(wrong.statusCode).toBe(400)

    // Timed from the start command: a client may reconnect before start() has seen the port open.
    const restarting = performance.now()
    await redis!.start()
    const listening = performance.now() - restarting
    const recovered = await Promise.all([untilRedis(a, 'ok', restarting), untilRedis(b, 'ok', restarting)])
    console.info(
      `Redis restarted (listening after ${Math.round(listening)} ms): servers back on Redis (readyz ok) ` +
        `${recovered.map((ms) => Math.round(ms)).join(' / ')} ms after the start command`,
    )
    for (const server of [a, b]) {
      expect(await readiness(server)).toEqual({ code: 200, body: { status: 'ok', checks: { database: 'ok', redis: 'ok' } } })
      expect(await redisGauge(server)).toBe('1')
    }

    // The broadcast works again: B caches a session, A revokes it, B refuses it within the deadline.
    const after = await register(a, newAccount('back'))
    expect(await userStatus(b, after.token)).toBe(200)
    expect(await userStatus(b, after.token)).toBe(200)
    expect((await a.app.inject({ method: 'POST', url: '/auth/logout', headers: auth(after.token) })).statusCode).toBe(204)
    const revoked = performance.now()
    for (;;) {
      const status = await userStatus(b, after.token)
      if (status === 401) break
      expect(status).toBe(200)
      if (performance.now() - revoked > 5_000) throw new Error('B still accepts a session A revoked, 5 s after the logout')
      await sleep(5)
    }
    console.info(`revocation reached the other server ${Math.round(performance.now() - revoked)} ms after the logout`)
  })
})
