import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { buildDist, requestJson, startChild, type ChildServer } from '../support/child-server.js'
import { formBody } from '../support/multipart.js'
import { bearer, login, makeServer, register } from '../support/server.js'

/** The bytes of the database file and its write-ahead log, where recent commits live until a checkpoint. */
function databaseBytes(dbPath: string): Buffer {
  const files = [dbPath, `${dbPath}-wal`].filter((file) => existsSync(file))
  return Buffer.concat(files.map((file) => readFileSync(file)))
}

describe('secrets at rest', () => {
  test('no token, token body, raw secret or password appears in the SQLite file or its WAL; only SHA-256 hashes do', async () => {
    const server = await makeServer()
    const dbPath = server.dbPath!
    try {
      const user = await register(server, { device: 'phone' })
      const { token: loginToken } = await login(server, { email: user.email, password: user.password, device: 'laptop' })
      const drf = await server.app.inject({ method: 'POST', url: '/api-token-auth/', ...formBody({ username: user.username, password: user.password }) })
      const drfToken = drf.json().token as string
      const rotated = await server.app.inject({ method: 'POST', url: '/auth/token/rotate', headers: bearer(loginToken) })
      const rotatedToken = rotated.json().token as string
      const regenerated = await server.app.inject({ method: 'GET', url: '/api-token-auth/new/', headers: { authorization: `Token ${drfToken}` } })
      const regeneratedToken = regenerated.json().token as string
      const tokens = [user.token, loginToken, drfToken, rotatedToken, regeneratedToken]
      expect(new Set(tokens).size).toBe(5)
      for (const token of tokens) expect(token).toMatch(/^tsr_[A-Za-z0-9_-]{43}$/)

      const check = (bytes: Buffer, when: string) => {
        for (const token of tokens) {
          const body = token.slice('tsr_'.length)
          expect(bytes.includes(token), `${when}: token ${token}`).toBe(false)
          expect(bytes.includes(body), `${when}: base64url body of ${token}`).toBe(false)
          expect(bytes.includes(Buffer.from(body, 'base64url')), `${when}: raw secret of ${token}`).toBe(false)
        }
        expect(bytes.includes(user.password), `${when}: plain password`).toBe(false)
      }

      // While the server runs, the latest commits are in the WAL, not yet in the main file.
      expect(existsSync(`${dbPath}-wal`)).toBe(true)
      const live = databaseBytes(dbPath)
      check(live, 'while running')
      // The files read are the right ones: the live tokens' hashes are in them.
      for (const token of [user.token, rotatedToken, regeneratedToken]) {
        expect(live.includes(createHash('sha256').update(token).digest('hex')), `hash of ${token}`).toBe(true)
      }

      // Closing checkpoints the WAL into the main file; that must not reveal anything either.
      await server.close()
      check(databaseBytes(dbPath), 'after close')
    } finally {
      await server.close().catch(() => {})
      rmSync(dirname(dbPath), { recursive: true, force: true })
    }
  })
})

describe('crash safety (kill -9)', () => {
  let dir: string
  let env: Record<string, string>
  let child: ChildServer | undefined

  beforeAll(async () => {
    await buildDist()
    dir = mkdtempSync(join(tmpdir(), 'tessera-kill9-'))
    env = { DATABASE_URL: `sqlite:${join(dir, 'tessera.db')}`, LOGIN_THROTTLE: 'off', ANON_THROTTLE: 'off' }
  }, 120_000)

  afterAll(async () => {
    await child?.kill9()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  test('a registration acknowledged just before SIGKILL survives: after a restart on the same file the user logs in', async () => {
    child = await startChild(env, dir)
    const account = { email: `Crash.${process.pid}@Example.com`, username: `crash${process.pid}`, password: 'correct horse battery staple 42' }
    const registered = await requestJson<{ token: string }>('POST', `${child.url}/auth/register`, account)
    expect(registered.status, JSON.stringify(registered.body)).toBe(201)

    // A second user logs out: a revocation acknowledged before the crash must survive too.
    const leaver = await requestJson<{ token: string }>('POST', `${child.url}/auth/register`, {
      email: `leaver.${process.pid}@example.com`,
      password: 'correct horse battery staple 42',
    })
    expect(leaver.status).toBe(201)
    expect((await requestJson('POST', `${child.url}/auth/logout`, undefined, bearer(leaver.body!.token))).status).toBe(204)

    await child.kill9()
    expect(child.process.signalCode).toBe('SIGKILL')

    child = await startChild(env, dir)
    const loggedIn = await requestJson<{ user: { email: string } }>('POST', `${child.url}/auth/login`, { email: account.email.toLowerCase(), password: account.password })
    expect(loggedIn.status, JSON.stringify(loggedIn.body)).toBe(200)
    expect(loggedIn.body!.user.email).toBe(account.email)

    // The token issued before the crash still works; the one revoked before it is still dead.
    expect((await requestJson('GET', `${child.url}/auth/user`, undefined, bearer(registered.body!.token))).status).toBe(200)
    expect((await requestJson('GET', `${child.url}/auth/user`, undefined, bearer(leaver.body!.token))).status).toBe(401)
  })
})
