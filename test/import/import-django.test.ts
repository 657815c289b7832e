import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { IMPORTED_DEVICE } from '../../src/core/django-import.js'
import { makeServer, whoAmI, type TestServer } from '../support/server.js'
import { fixture, importDjango, type FixtureUser, type ImportRun } from './support.js'

// Two servers on fresh databases, each given the real Django fixture: on one every user first
// logs in through DRF's /api-token-auth/, on the other through /auth/login, so both faces meet
// every Django hasher before the re-hash to argon2id. Runs on SQLite and on PostgreSQL.
const { path, users } = fixture('default.sqlite3')
const canLogIn = users.filter((user) => user.password !== null && user.isActive)
const withToken = users.filter((user) => user.token !== null)
const DAY_MS = 86_400_000

let drfFirst: TestServer
let canonicalFirst: TestServer
let firstRun: ImportRun
let importedAt: number

beforeAll(async () => {
  ;[drfFirst, canonicalFirst] = await Promise.all([makeServer(), makeServer()])
  importedAt = Date.now()
  firstRun = await importDjango(drfFirst.tessera, path)
  await importDjango(canonicalFirst.tessera, path)
})

afterAll(async () => {
  await Promise.all([drfFirst?.dispose(), canonicalFirst?.dispose()])
})

const obtainDrfToken = (server: TestServer, username: string, password: string) =>
  server.app.inject({ method: 'POST', url: '/api-token-auth/', payload: { username, password } })
const canonicalLogin = (server: TestServer, username: string, password: string) =>
  server.app.inject({ method: 'POST', url: '/auth/login', payload: { username, password, device: 'test' } })
const withDrfKey = (server: TestServer, key: string) =>
  server.app.inject({ method: 'GET', url: '/auth/user', headers: { authorization: `Token ${key}` } })
const storedHash = async (server: TestServer, id: number) => (await server.tessera.getUser(id)).passwordHash

describe('tessera import-django with a database made by Django and DRF', () => {
  it('imports every user and every key, and reports the one user without an e-mail', () => {
    expect(firstRun.report.users).toEqual({ read: 11, imported: 11, unchanged: 0, skipped: 0, renumbered: 0 })
    expect(firstRun.report.tokens).toEqual({ read: 10, imported: 10, unchanged: 0, skipped: 0 })
    expect(firstRun.issues).toEqual([
      { kind: 'changed', row: 'auth_user id 10', message: 'has no e-mail; imported with the placeholder django-user-10@no-email.invalid' },
    ])
  })

  it("keeps each user's Django id, e-mail, username, flags, dates and password hash", async () => {
    for (const user of users) {
      const stored = await drfFirst.tessera.getUser(user.id)
      expect(stored).toMatchObject({
        id: user.id,
        email: user.email || `django-user-${user.id}@no-email.invalid`,
        username: user.username,
        isActive: user.isActive,
        isStaff: user.isStaff,
        isSuperuser: user.isSuperuser,
        emailVerified: false,
        dateJoined: new Date(user.dateJoined),
        lastLogin: user.lastLogin === null ? null : new Date(user.lastLogin),
      })
      if (user.password === null) expect(stored.passwordHash).toMatch(/^!/)
      else expect(stored.passwordHash.startsWith(user.hasher === 'argon2' ? 'argon2$argon2id$' : `${user.hasher}$`)).toBe(true)
    }
  })

  it.each(canLogIn.map((user) => [user.hasher, user.username, user] as const))(
    'logs in a %s user (%s) through /api-token-auth/ with the original password, then re-hashes to argon2id',
    async (_hasher, _name, user: FixtureUser) => {
      expect(await storedHash(drfFirst, user.id)).not.toMatch(/^\$argon2id\$/)
      const response = await obtainDrfToken(drfFirst, user.username!, user.password!)
      expect(response.statusCode, response.body).toBe(200)
      expect((await whoAmI(drfFirst, response.json().token)).json().user.id).toBe(user.id)
      expect(await storedHash(drfFirst, user.id)).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
      // The new hash holds the same password, on the other face too.
      expect((await canonicalLogin(drfFirst, user.username!, user.password!)).statusCode).toBe(200)
    },
  )

  it.each(canLogIn.map((user) => [user.hasher, user.username, user] as const))(
    'logs in a %s user (%s) through /auth/login with the original password, then re-hashes to argon2id',
    async (_hasher, _name, user: FixtureUser) => {
      const response = await canonicalLogin(canonicalFirst, user.username!, user.password!)
      expect(response.statusCode, response.body).toBe(200)
      expect(response.json().user).toMatchObject({ id: user.id, username: user.username })
      expect(await storedHash(canonicalFirst, user.id)).toMatch(/^\$argon2id\$/)
      expect((await obtainDrfToken(canonicalFirst, user.username!, user.password!)).statusCode).toBe(200)
      const wrong = await canonicalLogin(canonicalFirst, user.username!, `${user.password}x`)
      expect(wrong.statusCode).toBe(400)
    },
  )

  it('logs in by e-mail too, the e-mail compared without regard to case', async () => {
    const carol = users.find((user) => user.username === 'carol')!
    const response = await obtainDrfToken(canonicalFirst, carol.email.toLowerCase(), carol.password!)
    expect(response.statusCode, response.body).toBe(200)
  })

  it('refuses the inactive user and the user with an unusable password, as Django did', async () => {
    for (const user of users.filter((u) => !canLogIn.includes(u))) {
      const response = await obtainDrfToken(drfFirst, user.username!, user.password ?? 'any password at all')
      expect(response.statusCode, user.username!).toBe(400)
      expect(response.json()).toEqual({ non_field_errors: ['Unable to log in with provided credentials.'] })
    }
  })

  it.each(withToken.map((user) => [user.username, user] as const))(
    "accepts %s's original DRF key on /auth/user, as `Token <key>` and `Bearer <key>`",
    async (_name, user: FixtureUser) => {
      const response = await withDrfKey(drfFirst, user.token!)
      if (!user.isActive) {
        expect(response.statusCode).toBe(401)
        return
      }
      expect(response.statusCode, response.body).toBe(200)
      expect(response.json().user).toMatchObject({ id: user.id, username: user.username })
      expect((await whoAmI(drfFirst, user.token!)).statusCode).toBe(200)
    },
  )

  it("answers an inactive user's key on the DRF face with DRF's own message", async () => {
    const grace = users.find((user) => user.username === 'grace')!
    const response = await drfFirst.app.inject({ method: 'GET', url: '/api-token-auth/new/', headers: { authorization: `Token ${grace.token}` } })
    expect(response.statusCode).toBe(401)
    expect(response.json()).toEqual({ detail: 'User inactive or deleted.' })
  })

  it("shows an imported key as a device with DRF's created, alive for TOKEN_TTL from the import however old it is", async () => {
    const alice = users.find((user) => user.username === 'alice')!
    expect(new Date(alice.tokenCreated!).getTime()).toBeLessThan(importedAt - 3 * 365 * DAY_MS)
    const response = await drfFirst.app.inject({ method: 'GET', url: '/auth/sessions', headers: { authorization: `Token ${alice.token}` } })
    expect(response.statusCode, response.body).toBe(200)
    const imported = response.json().sessions.find((session: { device: string }) => session.device === IMPORTED_DEVICE)
    expect(imported).toMatchObject({ current: true, createdAt: new Date(alice.tokenCreated!).toISOString() })
    const expiresAt = new Date(imported.expiresAt).getTime()
    expect(expiresAt).toBeGreaterThanOrEqual(importedAt + 30 * DAY_MS)
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 30 * DAY_MS)
  })

  it('changes nothing when run again, and says so', async () => {
    const again = await importDjango(drfFirst.tessera, path, { batchSize: 4 })
    expect(again.report.users).toEqual({ read: 11, imported: 0, unchanged: 11, skipped: 0, renumbered: 0 })
    expect(again.report.tokens).toEqual({ read: 10, imported: 0, unchanged: 10, skipped: 0 })
    expect(again.issues).toEqual([])
    // A password re-hashed since the first run stays re-hashed.
    expect(await storedHash(drfFirst, canLogIn[0]!.id)).toMatch(/^\$argon2id\$/)
  })

  it('never brings back a key that was logged out, rotated or cleared', async () => {
    const [bob, ivan] = ['bob', 'ivan'].map((name) => users.find((user) => user.username === name)!)
    const logout = await drfFirst.app.inject({ method: 'POST', url: '/auth/logout', headers: { authorization: `Token ${bob!.token}` } })
    expect(logout.statusCode).toBe(204)
    const rotated = await drfFirst.app.inject({ method: 'POST', url: '/api-token-auth/new/', headers: { authorization: `Token ${ivan!.token}` } })
    expect(rotated.statusCode).toBe(200)
    await drfFirst.tessera.clearDeadSessions()
    const again = await importDjango(drfFirst.tessera, path)
    expect(again.report.tokens).toMatchObject({ imported: 0, unchanged: 10 })
    expect((await withDrfKey(drfFirst, bob!.token!)).statusCode).toBe(401)
    expect((await withDrfKey(drfFirst, ivan!.token!)).statusCode).toBe(401)
    expect((await withDrfKey(drfFirst, rotated.json().token)).statusCode).toBe(200)
  })

  it('gives a user registered after the import an id past every imported one', async () => {
    const response = await drfFirst.app.inject({
      method: 'POST',
      url: '/auth/register',
      payload: { email: 'newcomer@example.com', password: 'correct horse battery staple 42' },
    })
    expect(response.statusCode, response.body).toBe(201)
    expect(response.json().user.id).toBeGreaterThan(Math.max(...users.map((user) => user.id)))
  })
})
