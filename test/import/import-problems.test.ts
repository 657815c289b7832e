import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { ImportStoppedError } from '../../src/core/django-import.js'
import { makeServer, register, type TestServer } from '../support/server.js'
import { damageableCopy, fixture, importDjango } from './support.js'

// Conflicts, bad rows, dry runs and --strict, against copies of the real Django fixture.
// Runs on SQLite and on PostgreSQL.
const { path, users } = fixture('default.sqlite3')
const byName = (name: string) => users.find((user) => user.username === name)!
const dir = mkdtempSync(join(tmpdir(), 'tessera-import-'))
const servers: TestServer[] = []

async function freshServer(): Promise<TestServer> {
  const server = await makeServer()
  servers.push(server)
  return server
}

const loginStatus = async (server: TestServer, username: string, password: string) =>
  (await server.app.inject({ method: 'POST', url: '/api-token-auth/', payload: { username, password } })).statusCode
const keyStatus = async (server: TestServer, key: string) =>
  (await server.app.inject({ method: 'GET', url: '/auth/user', headers: { authorization: `Token ${key}` } })).statusCode
const userCount = async (server: TestServer) => (await server.tessera.listUsers({ limit: 200 })).users.length

/** A copy of the fixture with one of each kind of bad row. */
function damagedFixture(): string {
  const { path: copy, db } = damageableCopy('default.sqlite3', dir)
  db.prepare("UPDATE auth_user SET password = 'pbkdf2_sha256$260000$salt$short' WHERE username = 'bob'").run()
  db.prepare("UPDATE auth_user SET password = 'md5$seasalt$0123456789abcdef0123456789abcdef' WHERE username = 'erin'").run()
  db.prepare("UPDATE auth_user SET email = 'not-an-email' WHERE username = 'carol'").run()
  db.prepare("UPDATE auth_user SET email = 'ALICE@EXAMPLE.COM' WHERE username = 'mallory'").run()
  db.prepare("INSERT INTO authtoken_token (key, created, user_id) VALUES (?, '2022-01-01 00:00:00', 999)").run('ab'.repeat(20))
  db.prepare("UPDATE authtoken_token SET key = upper(key) WHERE user_id = (SELECT id FROM auth_user WHERE username = 'judy')").run()
  db.close()
  return copy
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.dispose()))
})
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

describe('import-django --dry-run', () => {
  it('writes nothing, and reports exactly what the import then does', async () => {
    const server = await freshServer()
    const damaged = damagedFixture()
    const dry = await importDjango(server.tessera, damaged, { dryRun: true, batchSize: 3 })
    expect(await userCount(server)).toBe(0)
    expect(await loginStatus(server, 'alice', byName('alice').password!)).toBe(400)
    const wet = await importDjango(server.tessera, damaged, { batchSize: 3 })
    expect(dry.report).toEqual(wet.report)
    // The same rows, for the same reasons (a holder is named as the Django user a dry run did not write).
    const rowsOf = (run: typeof dry) => run.issues.map(({ kind, row }) => `${kind} ${row}`)
    expect(rowsOf(dry)).toEqual(rowsOf(wet))
    expect(dry.issues.find((issue) => issue.row === 'auth_user id 11')?.message).toMatch(/already Django user 1's/)
    expect(wet.report.users.imported).toBeGreaterThan(0)
  })
})

describe('import-django with conflicts', () => {
  it('reports an e-mail already held in Tessera, never merges it, and skips that user and their key', async () => {
    const server = await freshServer()
    const holder = await register(server, { email: 'Alice@Example.com', username: 'alice-tessera' })
    const run = await importDjango(server.tessera, path)
    expect(run.issues).toContainEqual({
      kind: 'conflict',
      row: 'auth_user id 1',
      message: `e-mail alice@example.com is already Tessera user ${holder.userId}'s; not imported (accounts are never merged)`,
    })
    expect(run.issues).toContainEqual({
      kind: 'missing_user',
      row: 'authtoken_token of user 1',
      message: 'its user (Django user 1) was not imported (see above); skipped',
    })
    expect(run.report.users).toMatchObject({ imported: 10, skipped: 1 })
    expect(run.report.tokens).toMatchObject({ imported: 9, skipped: 1 })
    // The Tessera account is untouched: its own password works, the Django one does not.
    expect(await loginStatus(server, 'alice@example.com', holder.password)).toBe(200)
    expect(await loginStatus(server, 'alice@example.com', byName('alice').password!)).toBe(400)
    expect(await keyStatus(server, byName('alice').token!)).toBe(401)
    // The others kept their Django ids, though id 1 went to the Tessera user.
    expect((await server.tessera.getUser(2)).username).toBe('bob')
    const again = await importDjango(server.tessera, path)
    expect(again.report.users).toMatchObject({ imported: 0, unchanged: 10, skipped: 1 })
    expect(again.issues.map((issue) => issue.kind)).toEqual(['conflict', 'missing_user'])
  })

  it('gives a user whose Django id is taken a new id, and keeps their password and key working', async () => {
    const server = await freshServer()
    const other = await register(server)
    expect(other.userId).toBe(1)
    const run = await importDjango(server.tessera, path, { batchSize: 4 })
    expect(run.report.users).toMatchObject({ imported: 11, renumbered: 1, skipped: 0 })
    const note = run.issues.find((issue) => issue.row === 'auth_user id 1')!
    expect(note).toMatchObject({ kind: 'changed' })
    const newId = Number(/imported as Tessera user (\d+)$/.exec(note.message)?.[1])
    expect(newId).toBeGreaterThan(11)
    expect((await server.tessera.getUser(newId)).username).toBe('alice')
    expect(await loginStatus(server, 'alice', byName('alice').password!)).toBe(200)
    const me = await server.app.inject({ method: 'GET', url: '/auth/user', headers: { authorization: `Token ${byName('alice').token}` } })
    expect(me.json().user.id).toBe(newId)
    expect((await importDjango(server.tessera, path)).report.users).toMatchObject({ imported: 0, unchanged: 11 })
  })
})

describe('import-django with bad rows', () => {
  it('reports each by row, imports the rest, and counts them all', async () => {
    const server = await freshServer()
    const run = await importDjango(server.tessera, damagedFixture(), { batchSize: 4 })
    const rows = Object.fromEntries(run.issues.map((issue) => [`${issue.kind} ${issue.row}`, issue.message]))
    expect(rows).toEqual({
      'password auth_user id 2': 'has a malformed pbkdf2_sha256 hash; imported as is, so only a password reset lets the user log in',
      'invalid auth_user id 3': expect.stringMatching(/^e-mail "not-an-email" is not one Tessera accepts \(Enter a valid email address\.\); skipped$/),
      'password auth_user id 5': 'has a md5 hash, a hasher Tessera does not verify; imported as is, so only a password reset lets the user log in',
      'changed auth_user id 10': 'has no e-mail; imported with the placeholder django-user-10@no-email.invalid',
      'conflict auth_user id 11': "e-mail ALICE@EXAMPLE.COM is already Tessera user 1's; not imported (accounts are never merged)",
      'invalid authtoken_token of user 10': 'has a key that is not 40 lowercase hexadecimal characters, which DRF never makes; skipped',
      'missing_user authtoken_token of user 3': 'its user (Django user 3) was not imported (see above); skipped',
      'missing_user authtoken_token of user 999': 'its user_id 999 is not in auth_user; skipped',
    })
    expect(run.report.users).toEqual({ read: 11, imported: 9, unchanged: 0, skipped: 2, renumbered: 0 })
    expect(run.report.tokens).toEqual({ read: 11, imported: 8, unchanged: 0, skipped: 3 })
    expect(run.report.issues).toEqual({ conflict: 1, invalid: 2, missing_user: 2, password: 2, changed: 1 })
    // No message ever repeats a key or a hash.
    const said = JSON.stringify(run.issues)
    for (const user of users) if (user.token) expect(said.toLowerCase()).not.toContain(user.token)
    expect(said).not.toContain('ab'.repeat(20))
    expect(said).not.toContain('0123456789abcdef')
    // Bob's unreadable hash lets nobody in, but his key still works; the good rows work as before.
    expect(await loginStatus(server, 'bob', byName('bob').password!)).toBe(400)
    expect(await keyStatus(server, byName('bob').token!)).toBe(200)
    expect(await loginStatus(server, 'frank', byName('frank').password!)).toBe(200)
  })

  it('stops at the first problem with --strict, writing nothing of its batch', async () => {
    const server = await freshServer()
    const damaged = damagedFixture()
    const stopped = importDjango(server.tessera, damaged, { strict: true })
    await expect(stopped).rejects.toBeInstanceOf(ImportStoppedError)
    await expect(stopped).rejects.toMatchObject({ issue: { kind: 'password', row: 'auth_user id 2' } })
    expect(await userCount(server)).toBe(0)
    // Batch by batch, what came before the problem stays, and a run without --strict goes on from there.
    await expect(importDjango(server.tessera, damaged, { strict: true, batchSize: 1 })).rejects.toBeInstanceOf(ImportStoppedError)
    expect((await server.tessera.listUsers({ limit: 200 })).users.map((user) => user.id)).toEqual([1])
    const rest = await importDjango(server.tessera, damaged)
    expect(rest.report.users).toMatchObject({ unchanged: 1, imported: 8, skipped: 2 })
  })
})
