import BetterSqlite3 from 'better-sqlite3'
import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { buildDist, CLI, requestJson, startChild, type ChildServer } from '../support/child-server.js'
import { openTestClient, testRedisUrl } from '../support/redis.js'

/*
 * Two `tessera serve` processes on one SQLite file and one Redis, as behind a load balancer: a
 * revocation on one must stop the other from accepting the session (it has it cached), and login
 * limits must hold across both and across a restart.
 */

// A Redis database of its own: other test files count failed logins from 127.0.0.1 too, and this
// file asserts exact counts (pub/sub channels are shared across databases; counters are not).
const sharedRedisUrl = await testRedisUrl()
const redisUrl = sharedRedisUrl && Object.assign(new URL(sharedRedisUrl), { pathname: '/3' }).toString()

const PASSWORD = 'correct horse battery staple 42'
const NEW_PASSWORD = 'another horse battery staple 43'
/** How long a revocation may take to reach the other process before the test fails. */
const PROPAGATION_DEADLINE_MS = 5_000
const LOGIN_LIMIT = 3
const ADDRESS_LIMIT = 8
/** The per-address counter of every login from this test (all from 127.0.0.1), in Redis. */
const ADDRESS_KEY = 'tessera:login:address:127.0.0.1'

const auth = (token: string) => ({ authorization: `Token ${token}` })

function newAccount(): { email: string; username: string; password: string } {
  const id = `r${randomUUID().replaceAll('-', '').slice(0, 16)}`
  return { email: `${id}@example.com`, username: id, password: PASSWORD }
}

/** GETs /auth/user on `server` with `token`; the status. */
async function userStatus(server: ChildServer, token: string): Promise<number> {
  return (await requestJson('GET', `${server.url}/auth/user`, undefined, auth(token))).status
}

/** Polls `server` with `token` until it answers 401: milliseconds from `since`, and how many 200s came first. */
async function untilRefused(server: ChildServer, token: string, since: number): Promise<{ ms: number; accepted: number }> {
  for (let accepted = 0; ; accepted++) {
    const status = await userStatus(server, token)
    const elapsed = performance.now() - since
    if (status === 401) return { ms: elapsed, accepted }
    expect(status).toBe(200)
    if (elapsed > PROPAGATION_DEADLINE_MS) throw new Error(`the other process still accepts the token after ${Math.round(elapsed)} ms`)
  }
}

describe.skipIf(!redisUrl)('two processes sharing SQLite and Redis', () => {
  let dir: string
  let env: Record<string, string>
  let a: ChildServer
  let b: ChildServer
  let redis: Redis

  /** Registers on A; the token and the session id. */
  async function register(account = newAccount()): Promise<{ token: string; sessionId: string; account: typeof account }> {
    const reply = await requestJson<{ token: string; session: { id: string } }>('POST', `${a.url}/auth/register`, account)
    expect(reply.status, JSON.stringify(reply.body)).toBe(201)
    return { token: reply.body!.token, sessionId: reply.body!.session.id, account }
  }

  /** Logs in on `server`; the status and, on success, the token. */
  async function login(server: ChildServer, identifier: { email?: string; username?: string }, password: string) {
    const reply = await requestJson<{ token?: string }>('POST', `${server.url}/auth/login`, { ...identifier, password })
    return { status: reply.status, token: reply.body?.token }
  }

  /** Uses `token` on B until B answers from its cache (twice 200). */
  async function warmOnB(token: string): Promise<void> {
    expect(await userStatus(b, token)).toBe(200)
    expect(await userStatus(b, token)).toBe(200)
  }

  async function cli(...args: string[]): Promise<string> {
    const { stdout } = await promisify(execFile)(process.execPath, [CLI, ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, ...env },
    })
    return stdout
  }

  beforeAll(async () => {
    await buildDist()
    redis = openTestClient(redisUrl!)
    // Earlier runs (within the window) left counters in this test's database.
    await redis.flushdb()
    dir = mkdtempSync(join(tmpdir(), 'tessera-redis-'))
    env = {
      DATABASE_URL: `sqlite:${join(dir, 'tessera.db')}`,
      REDIS_URL: redisUrl!,
      LOGIN_THROTTLE: `${LOGIN_LIMIT}/15m`,
      ANON_THROTTLE: `${ADDRESS_LIMIT}/15m`,
      // "Process A" and "process B" are one process each, not a primary with workers.
      WORKERS: '1',
    }
    // One after the other: the first creates and migrates the file.
    a = await startChild(env, dir)
    b = await startChild(env, dir)
  }, 120_000)

  afterAll(async () => {
    await Promise.all([a?.kill9(), b?.kill9()])
    await redis?.quit()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  test('B answers a token it has cached without reading the store (the control for the tests below)', async () => {
    const { token, sessionId } = await register()
    await warmOnB(token)
    // Revoked behind both processes' backs, with no broadcast: B's cache still says yes.
    const db = new BetterSqlite3(env.DATABASE_URL!.slice('sqlite:'.length))
    try {
      expect(db.prepare('UPDATE sessions SET revoked_at = ? WHERE id = ?').run(Date.now(), sessionId).changes).toBe(1)
    } finally {
      db.close()
    }
    expect(await userStatus(b, token)).toBe(200)
  })

  test('a logout on A reaches B: B refuses the token it had cached, within the deadline', async () => {
    const { account } = await register()
    const afterAck: number[] = []
    const afterSend: number[] = []
    const acceptedAfterAck: number[] = []
    for (let round = 0; round < 10; round++) {
      const { status, token } = await login(a, { email: account.email }, PASSWORD)
      expect(status).toBe(200)
      await warmOnB(token!)
      const sent = performance.now()
      expect((await requestJson('POST', `${a.url}/auth/logout`, undefined, auth(token!))).status).toBe(204)
      const acknowledged = performance.now()
      const { ms, accepted } = await untilRefused(b, token!, acknowledged)
      afterAck.push(ms)
      afterSend.push(acknowledged - sent + ms)
      acceptedAfterAck.push(accepted)
      expect(await userStatus(a, token!)).toBe(401)
    }
    const ms = (values: number[]) => values.map((v) => v.toFixed(1)).join(', ')
    const sorted = [...afterAck].sort((x, y) => x - y)
    console.log(
      `revocation propagation A → B, from A's 204 to B's first 401 (each poll is one HTTP round trip): ` +
        `median ${sorted[5]!.toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms [${ms(afterAck)}]; ` +
        `from sending the logout: [${ms(afterSend)}]; requests B still accepted after A's 204: [${acceptedAfterAck.join(', ')}]`,
    )
  })

  test('logout-all and a password change on A end the sessions B has cached', async () => {
    const { token: first, account } = await register()
    const second = (await login(a, { email: account.email }, PASSWORD)).token!
    await warmOnB(first)
    await warmOnB(second)
    expect((await requestJson('POST', `${a.url}/auth/logout-all`, undefined, auth(first))).status).toBe(204)
    await untilRefused(b, first, performance.now())
    await untilRefused(b, second, performance.now())

    const kept = (await login(a, { email: account.email }, PASSWORD)).token!
    const other = (await login(a, { email: account.email }, PASSWORD)).token!
    await warmOnB(kept)
    await warmOnB(other)
    const changed = await requestJson('POST', `${a.url}/auth/password/change`, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, auth(kept))
    expect(changed.status, JSON.stringify(changed.body)).toBe(204)
    await untilRefused(b, other, performance.now())
    // The session that changed the password lives on, on both.
    expect(await userStatus(b, kept)).toBe(200)
  })

  test('an admin revoke and a deactivation from the CLI (a third process) reach both servers', async () => {
    const { token, sessionId, account } = await register()
    await warmOnB(token)
    expect(await userStatus(a, token)).toBe(200)
    expect(await cli('token', 'revoke', sessionId)).toContain(sessionId)
    await untilRefused(a, token, performance.now())
    await untilRefused(b, token, performance.now())

    const again = (await login(a, { email: account.email }, PASSWORD)).token!
    await warmOnB(again)
    await cli('users', 'deactivate', account.email)
    await untilRefused(b, again, performance.now())
  })

  test('failed logins on A count on B, and still count after B is restarted', async () => {
    const { account } = await register()
    const wrong = 'not the password at all'
    expect((await login(a, { email: account.email }, wrong)).status).toBe(400)
    expect((await login(b, { email: account.email }, wrong)).status).toBe(400)
    expect((await login(a, { email: account.email }, wrong)).status).toBe(400)
    // The fourth attempt, right password, on the process that saw only one failure.
    expect((await login(b, { email: account.email }, PASSWORD)).status).toBe(429)

    await b.kill9()
    b = await startChild(env, dir)
    expect((await login(b, { email: account.email }, PASSWORD)).status).toBe(429)
    expect((await login(a, { email: account.email }, PASSWORD)).status).toBe(429)
  })

  test('the per-address limit holds across both processes', async () => {
    // What earlier tests left of this address's count (successes are taken back, failures stay).
    const used = Number((await redis.get(ADDRESS_KEY)) ?? 0)
    expect(used).toBeLessThan(ADDRESS_LIMIT)
    for (let attempt = used + 1; attempt <= ADDRESS_LIMIT; attempt++) {
      // A different unknown account each time, so only the address limit can apply.
      const server = attempt % 2 ? a : b
      expect((await login(server, { email: newAccount().email }, PASSWORD)).status, `attempt ${attempt}`).toBe(400)
    }
    expect((await login(a, { email: newAccount().email }, PASSWORD)).status).toBe(429)
    expect((await login(b, { email: newAccount().email }, PASSWORD)).status).toBe(429)
  })
})
