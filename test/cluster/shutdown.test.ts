import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundleCli, holdRequest, PASSWORD, send, serve, whenRefused, type Served } from './support.js'

let bundle: Awaited<ReturnType<typeof bundleCli>>
let cli: string
let dir: string
beforeAll(async () => {
  bundle = await bundleCli('shutdown')
  cli = bundle.path
  dir = mkdtempSync(join(tmpdir(), 'tessera-shutdown-'))
})
afterAll(() => {
  bundle?.dispose()
  rmSync(dir, { recursive: true, force: true })
})

/** A fresh database file for each server, throttles off so that the bursts below are not refused. */
function env(name: string, extra: Record<string, string> = {}): Record<string, string> {
  return { DATABASE_URL: `sqlite:${join(dir, `${name}.db`)}`, LOGIN_THROTTLE: 'off', ANON_THROTTLE: 'off', LOG_LEVEL: 'info', ...extra }
}

const INCOMING_LOGIN = /"url":"\/auth\/login"[^\n]*"msg":"incoming request"/
const LOGINS = 12

describe('tessera serve (one process) on SIGTERM', () => {
  let server: Served
  afterAll(() => {
    if (server?.child.exitCode === null) server.child.kill('SIGKILL')
  })

  it('finishes the logins in flight, refuses new connections meanwhile, and exits 0', async () => {
    server = await serve(cli, [], env('drain'), dir)
    await server.waitFor(/listening on http:\/\/127\.0\.0\.1/)
    expect(server.output().match(/listening on/g)).toHaveLength(1)
    const account = { email: 'drain@example.com', username: 'drain', password: PASSWORD }
    expect((await send(server.port, 'POST', '/auth/register', account)).status).toBe(201)

    // One login is held in flight by its unfinished body, for as long as the test wants; a dozen
    // more keep the server busy hashing with argon2id (tens of ms each).
    const held = holdRequest(server.port, 'POST', '/auth/login', { email: account.email, password: PASSWORD })
    const logins = Array.from({ length: LOGINS }, () => send(server.port, 'POST', '/auth/login', { email: account.email, password: PASSWORD }))
    // Every login has reached the server's handler (it logged it): they are all in flight now.
    await server.waitFor(INCOMING_LOGIN, LOGINS + 1)
    server.child.kill('SIGTERM')

    await whenRefused(server.port)
    expect(held.answered()).toBe(false)
    const answers = await Promise.all(logins)
    expect(answers.map((a) => a.status)).toEqual(Array(LOGINS).fill(200))
    for (const answer of answers) expect(JSON.parse(answer.body)).toHaveProperty('token')
    // Still serving the held request after refusing new connections; it completes like the others.
    const last = await held.finish()
    expect(last.status).toBe(200)
    expect(JSON.parse(last.body)).toHaveProperty('token')
    expect(await server.exited).toEqual({ code: 0, signal: null })
  })

  it('exits 1 once --shutdown-timeout passes with a request still open', async () => {
    server = await serve(cli, ['--shutdown-timeout', '1'], env('deadline'), dir)
    await server.waitFor(/listening on/)
    // Headers sent, body never finished: the request stays in flight until the deadline.
    const socket = connect(server.port, '127.0.0.1')
    socket.on('error', () => {})
    socket.write('POST /auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"em')
    await server.waitFor(INCOMING_LOGIN)
    const signalledAt = performance.now()
    server.child.kill('SIGTERM')
    expect(await server.exited).toEqual({ code: 1, signal: null })
    expect(performance.now() - signalledAt).toBeGreaterThanOrEqual(900)
    expect(server.output()).toMatch(/tessera: error: requests still in flight 1 s after the stop/)
    socket.destroy()
  })
})

describe('tessera serve --workers', () => {
  /** Runs `tessera serve …args` to completion (for the refusals, which exit before listening). */
  function run(args: string[], extra: Record<string, string> = {}): { code: number | null; stderr: string } {
    const result = spawnSync(process.execPath, [cli, 'serve', ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: dir, PORT: '0', ...env('refused'), ...extra },
      encoding: 'utf8',
      timeout: 20_000,
    })
    return { code: result.status, stderr: result.stderr }
  }

  it('refuses several workers without REDIS_URL, saying why, with exit status 2', () => {
    const { code, stderr } = run(['--workers', '2'])
    expect(code).toBe(2)
    expect(stderr.trimEnd().split('\n')).toHaveLength(1)
    expect(stderr).toMatch(/^tessera: error: --workers 2 needs REDIS_URL: .*revocation.* would not reach the others/)
  })

  it('refuses WORKERS=2 from the environment the same way', () => {
    const { code, stderr } = run([], { WORKERS: '2' })
    expect(code).toBe(2)
    expect(stderr).toMatch(/needs REDIS_URL/)
  })

  it('refuses several workers over one in-memory database even with REDIS_URL', () => {
    const { code, stderr } = run(['--workers', '2'], { DATABASE_URL: 'sqlite::memory:', REDIS_URL: 'redis://127.0.0.1:1' })
    expect(code).toBe(2)
    expect(stderr).toMatch(/sqlite::memory:/)
  })

  it.each(['0', '-1', 'many', '1.5'])('rejects --workers %s as a usage error', (value) => {
    const { code, stderr } = run(['--workers', value])
    expect(code).toBe(2)
    expect(stderr).toMatch(/--workers must be a whole number from 1 to 1024/)
  })
})
