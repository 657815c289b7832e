import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { loadConfig } from '../../src/config/env.js'
import { buildServer, type TesseraServer } from '../../src/http/server.js'
import { privatePostgresMissing, sleep, startPrivatePostgres, type PrivatePostgres } from '../support/private-services.js'
import { newAccount, register } from '../support/server.js'

/*
 * PostgreSQL restarted (pg_ctl stop -m fast, then start) under a running server and a loop of
 * registrations and authenticated reads: during the gap every failure is a 503 with Retry-After
 * (never a 500), the server recovers without a restart, and every registration that was answered
 * 201 can log in afterwards. The cluster is this test's own (initdb in a temp folder, a free port):
 * the shared PostgreSQL on 5432 is never touched.
 */

const missing = privatePostgresMissing()
if (missing) {
  if (/^(true|1)$/i.test(process.env.CI ?? '')) throw new Error(`PostgreSQL fault tests cannot run under CI=true: ${missing}`)
  console.warn(`PostgreSQL fault tests skipped: ${missing}`)
}

/** Concurrent clients of the load loop. */
const WORKERS = 6
/** How long the server may take to answer 2xx again once PostgreSQL accepts connections. */
const RECOVERY_DEADLINE_MS = 15_000
const auth = (token: string) => ({ authorization: `Token ${token}` })

interface Outcome {
  at: number
  kind: 'register' | 'read'
  status: number
  retryAfter: string | undefined
  body: string
}

describe.skipIf(missing !== null)('PostgreSQL restarted under load', () => {
  let postgres: PrivatePostgres | undefined
  let server: TesseraServer | undefined

  beforeAll(async () => {
    postgres = await startPrivatePostgres()
    const config = loadConfig({
      // A small pool, so that the restart hits connections both busy and idle.
      DATABASE_URL: `${postgres.url}?pool=4`,
      LOGIN_THROTTLE: 'off',
      ANON_THROTTLE: 'off',
      LOG_LEVEL: 'silent',
    })
    server = await buildServer(config, { logger: false })
  })

  afterAll(async () => {
    try {
      await server?.close()
    } finally {
      await postgres?.close()
    }
  })

  // fast: the restart an operator does; immediate: a crash of PostgreSQL (recovery from its WAL).
  test.each(['fast', 'immediate'] as const)('stop -m %s: 503 with Retry-After during the gap, recovery without a restart, no acknowledged write lost', async (mode) => {
    const app = server!.app
    const seed = await register(server!)
    expect((await app.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({ status: 'ok', checks: { database: 'ok' } })

    const outcomes: Outcome[] = []
    const acknowledged: Array<{ email: string; password: string }> = []
    let running = true
    const worker = async (n: number): Promise<void> => {
      for (let i = 0; running; i++) {
        if ((i + n) % 2 === 0) {
          const account = newAccount(`pg${n}x`)
          const response = await app.inject({ method: 'POST', url: '/auth/register', payload: account })
          outcomes.push({ at: performance.now(), kind: 'register', status: response.statusCode, retryAfter: response.headers['retry-after'] as string | undefined, body: response.body })
          if (response.statusCode === 201) acknowledged.push(account)
        } else {
          // The seed token's check may come from the cache, but listing sessions always reads the store.
          const response = await app.inject({ method: 'GET', url: '/auth/sessions', headers: auth(seed.token) })
          outcomes.push({ at: performance.now(), kind: 'read', status: response.statusCode, retryAfter: response.headers['retry-after'] as string | undefined, body: response.body })
        }
        // A 503 says when to come back; a load loop that honoured it would wait 5 s, this one hammers.
        await sleep(2)
      }
    }
    const load = Array.from({ length: WORKERS }, (_, n) => worker(n))

    // The loop stops even when an assertion inside fails, so afterAll never closes a server under it.
    let backAt = 0
    let startAt = 0
    let stopAt = 0
    let stoppedAt = 0
    try {
      await sleep(500)
      stopAt = performance.now()
      await postgres!.stop(mode)
      stoppedAt = performance.now()
      // The gap: the loop keeps going against a database that is down.
      await sleep(1_500)
      const readyDown = await app.inject({ method: 'GET', url: '/readyz' })
      expect(readyDown.statusCode).toBe(503)
      expect(readyDown.headers['retry-after']).toBe('5')
      expect(readyDown.json()).toEqual({ status: 'unavailable', checks: { database: 'unavailable' } })
      // Every face answers 503 with Retry-After in its own error shape.
      const other = newAccount('face')
      for (const request of [
        { method: 'POST' as const, url: '/api/users', payload: { user: other } },
        { method: 'POST' as const, url: '/api-token-auth/', payload: { username: seed.username, password: seed.password } },
      ]) {
        const response = await app.inject(request)
        expect(response.statusCode, `${request.url}: ${response.body}`).toBe(503)
        expect(response.headers['retry-after']).toBe('5')
      }
      const metricsDown = await app.inject({ method: 'GET', url: '/metrics' })
      expect(metricsDown.body).toMatch(/^tessera_dependency_up\{dependency="database"\} 0$/m)

      startAt = performance.now()
      await postgres!.start()
      // pg_ctl start -w returns once the server accepts connections (a little after it does).
      backAt = performance.now()
      // Until 20 more successes have followed the first one after the restart, or the deadline.
      for (;;) {
        const firstOk = outcomes.find((o) => o.at > backAt && o.status < 300)
        if (firstOk && outcomes.filter((o) => o.at > firstOk.at && o.status < 300).length >= 20) break
        if (performance.now() - backAt > RECOVERY_DEADLINE_MS) break
        await sleep(50)
      }
      await sleep(300)
    } finally {
      running = false
      await Promise.all(load)
    }

    const firstOkAfter = outcomes.find((o) => o.at > backAt && o.status < 300)
    const firstOkSinceStart = outcomes.find((o) => o.at > startAt && o.status < 300)
    const firstRegisterAfter = outcomes.find((o) => o.at > backAt && o.kind === 'register' && o.status === 201)
    const firstFailure = outcomes.find((o) => o.at >= stopAt && o.status >= 500)
    const duringGap = outcomes.filter((o) => o.at > stoppedAt + 100 && o.at < startAt)
    const byStatus = (list: Outcome[]) => list.reduce<Record<number, number>>((acc, o) => ((acc[o.status] = (acc[o.status] ?? 0) + 1), acc), {})
    console.info(
      [
        `requests: ${outcomes.length} (${JSON.stringify(byStatus(outcomes))}); during the gap: ${JSON.stringify(byStatus(duringGap))}`,
        `first failure ${firstFailure ? Math.round(firstFailure.at - stopAt) : '-'} ms after stop began (stop took ${Math.round(stoppedAt - stopAt)} ms)`,
        `[${mode}] start took ${Math.round(backAt - startAt)} ms; recovery: first 2xx ${firstOkAfter ? Math.round(firstOkAfter.at - backAt) : '-'} ms, first 201 registration ${firstRegisterAfter ? Math.round(firstRegisterAfter.at - backAt) : '-'} ms after PostgreSQL accepted connections again`,
        `first 2xx ${firstOkSinceStart ? Math.round(firstOkSinceStart.at - startAt) : '-'} ms after pg_ctl start began`,
        `acknowledged registrations: ${acknowledged.length}`,
      ].join('\n'),
    )

    // Never a 500: every answer is a success or a 503 that says when to retry.
    const unexpected = outcomes.filter((o) => !(o.status === 200 || o.status === 201 || o.status === 503))
    expect(unexpected.map((o) => `${o.kind} ${o.status} ${o.body}`)).toEqual([])
    const unavailable = outcomes.filter((o) => o.status === 503)
    expect(unavailable.length).toBeGreaterThan(0)
    for (const o of unavailable) {
      expect(o.retryAfter).toBe('5')
      expect(JSON.parse(o.body)).toMatchObject({ code: 'service_unavailable' })
    }
    // The registrations during the gap all failed; the store was not reachable.
    expect(duringGap.filter((o) => o.kind === 'register' && o.status === 201)).toEqual([])
    expect(firstOkAfter, 'no 2xx after PostgreSQL came back').toBeDefined()
    expect(firstRegisterAfter, 'no registration succeeded after PostgreSQL came back').toBeDefined()
    expect(firstRegisterAfter!.at - backAt).toBeLessThan(RECOVERY_DEADLINE_MS)

    // The same server, not restarted, answers everything again.
    expect((await app.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({ status: 'ok', checks: { database: 'ok' } })
    expect((await app.inject({ method: 'GET', url: '/metrics' })).body).toMatch(/^tessera_dependency_up\{dependency="database"\} 1$/m)

    // No acknowledged write lost: every 201 can log in.
    const failedLogins: string[] = []
    for (const account of acknowledged) {
      const response = await app.inject({ method: 'POST', url: '/auth/login', payload: account })
      if (response.statusCode !== 200) failedLogins.push(`${account.email}: ${response.statusCode} ${response.body}`)
    }
    expect(failedLogins).toEqual([])
  })
})
