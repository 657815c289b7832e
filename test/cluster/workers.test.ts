import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testRedisUrl } from '../support/redis.js'
import { bundleCli, holdRequest, PASSWORD, send, serve, whenRefused, type Served } from './support.js'

// Several workers need Redis (for revocations to reach every worker); without one the suite is
// skipped with the printed reason, except under CI=true, where testRedisUrl() throws.
const redisUrl = await testRedisUrl()

const INCOMING = (path: string): RegExp => new RegExp(`"url":"${path.replace(/\//g, '\\/')}"[^\\n]*"msg":"incoming request"`)

/** The pids that logged an incoming request for `path`. */
function pidsServing(output: string, path: string): Set<number> {
  const pids = new Set<number>()
  for (const line of output.split('\n')) if (INCOMING(path).test(line)) pids.add((JSON.parse(line) as { pid: number }).pid)
  return pids
}

describe.skipIf(redisUrl === null)('tessera serve --workers 2', () => {
  let bundle: Awaited<ReturnType<typeof bundleCli>>
  let dir: string
  let server: Served
  beforeAll(async () => {
    bundle = await bundleCli('workers')
    dir = mkdtempSync(join(tmpdir(), 'tessera-workers-'))
    server = await serve(
      bundle.path,
      ['--workers', '2'],
      { DATABASE_URL: `sqlite:${join(dir, 'tessera.db')}`, REDIS_URL: redisUrl!, LOGIN_THROTTLE: 'off', ANON_THROTTLE: 'off', LOG_LEVEL: 'info' },
      dir,
    )
    await server.waitFor(new RegExp(`listening on http://127\\.0\\.0\\.1:${server.port} with 2 workers`))
  })
  afterAll(() => {
    if (server?.child.exitCode === null) server.child.kill('SIGKILL')
    bundle?.dispose()
    rmSync(dir, { recursive: true, force: true })
  })

  it('spreads connections over both workers and reports their metrics summed', async () => {
    const sent = await untilBothServe('GET', '/healthz', undefined, {}, 200)
    const { status, body } = await send(server.port, 'GET', '/metrics')
    expect(status).toBe(200)
    expect(body).toMatch(new RegExp(`^tessera_http_requests_total\\{route="/healthz",method="GET",status="200"\\} ${sent}$`, 'm'))
    expect(body).toMatch(/^tessera_dependency_up\{dependency="database"\} 1$/m)
  })

  it('revokes a token in every worker when one of them logs it out', async () => {
    const account = { email: 'everywhere@example.com', username: 'everywhere', password: PASSWORD }
    const { token } = JSON.parse((await send(server.port, 'POST', '/auth/register', account)).body) as { token: string }
    const headers = { authorization: `Bearer ${token}` }
    // Both workers have the session in their caches before the logout…
    await untilBothServe('GET', '/auth/user', undefined, headers, 200)
    expect((await send(server.port, 'POST', '/auth/logout', undefined, headers)).status).toBe(204)
    // …and, once Redis has carried the revocation (about a millisecond, more on a loaded machine),
    // neither accepts the token: wait for a run of refusals, with a generous deadline.
    const deadline = Date.now() + 5000
    for (let refusals = 0; refusals < 10; ) {
      if (Date.now() > deadline) throw new Error('the revocation did not reach every worker within 5 s')
      refusals = (await send(server.port, 'GET', '/auth/user', undefined, headers)).status === 401 ? refusals + 1 : 0
    }
    await untilBothServe('GET', '/auth/user', undefined, headers, 401)
  })

  /**
   * Sends the same request on fresh connections until both workers have answered one (the primary
   * hands connections round-robin, but a busy worker may miss its turn); asserts every status is
   * `status` and returns how many were sent.
   */
  async function untilBothServe(method: string, path: string, body: unknown, headers: Record<string, string>, status: number): Promise<number> {
    const start = server.output().length
    for (let sent = 1; sent <= 100; sent++) {
      expect((await send(server.port, method, path, body, headers)).status).toBe(status)
      if (pidsServing(server.output().slice(start), path).size === 2) return sent
    }
    throw new Error(`both workers did not answer ${method} ${path} within 100 requests`)
  }

  it('drains both workers on SIGTERM to the primary, refuses new connections, and exits 0 with them', async () => {
    const account = { email: 'drain@example.com', username: 'drain', password: PASSWORD }
    expect((await send(server.port, 'POST', '/auth/register', account)).status).toBe(201)
    const before = server.output().match(INCOMING('/auth/login'))?.length ?? 0
    const held = holdRequest(server.port, 'POST', '/auth/login', { email: account.email, password: PASSWORD })
    const logins = Array.from({ length: 10 }, () => send(server.port, 'POST', '/auth/login', { email: account.email, password: PASSWORD }))
    await server.waitFor(INCOMING('/auth/login'), before + 11)
    const workers = pidsServing(server.output(), '/healthz')

    server.child.kill('SIGTERM')
    await whenRefused(server.port)
    expect(held.answered()).toBe(false)
    expect((await Promise.all(logins)).map((a) => a.status)).toEqual(Array(10).fill(200))
    expect((await held.finish()).status).toBe(200)
    expect(await server.exited).toEqual({ code: 0, signal: null })
    expect(server.output()).toMatch(/SIGTERM: stopping 2 workers/)
    // One start line for the whole cluster, none per worker.
    expect(server.output().match(/listening on/g)).toHaveLength(1)
    for (const pid of workers) expect(() => process.kill(pid, 0)).toThrow(/ESRCH/)
  })
})
