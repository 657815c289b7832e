import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CompiledQuery, Migrator, sql, type Kysely } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import { credentialOf, newSession, newUser } from '../fixtures.contract.js'
import type { SessionRecord, Store } from '../store.js'
import { createKyselyStore, migrateToLatest, openSqlite, openSqliteEngine } from './index.js'
import { migrationProvider } from './migrations/index.js'
import type { Database } from './schema.js'
import { SESSION_SLOTS, slotBase, slotBaseSql } from './session-slots.js'

const folders: string[] = []
const opened: Array<{ close(): Promise<void> }> = []

afterEach(async () => {
  for (const store of opened.splice(0)) await store.close()
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true })
})

/** A migrated SQLite file with the hot path on its reader connection, as the server opens it. */
async function fileStore(): Promise<{ store: Store; db: Kysely<Database> }> {
  const folder = mkdtempSync(join(tmpdir(), 'tessera-slots-'))
  folders.push(folder)
  const { db, storeOptions } = openSqliteEngine(join(folder, 'tessera.db'))
  await migrateToLatest(db)
  const store = createKyselyStore(db, storeOptions)
  opened.push(store)
  return { store, db }
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex')
/** Hashes that agree on their first 50 bits (so share slots) and differ after. */
const sharingSlots = (count: number): string[] =>
  Array.from({ length: count }, (_, i) => `0123456789ab${'0123'[i % 4]}${i.toString(16).padStart(51, '0')}`)

async function rowidOf(db: Kysely<Database>, sessionId: string): Promise<number> {
  const { rows } = await sql<{ rowid: number }>`select rowid from sessions where id = ${sessionId}`.execute(db)
  return rows[0]!.rowid
}

async function withUser(store: Store) {
  const result = await store.insertUser(newUser())
  if (!result.ok) throw new Error('fixture user refused')
  return result.user
}

describe('SQLite session slots', () => {
  it('slotBase() in JavaScript and slotBaseSql() in SQLite agree, and stay safe integers', async () => {
    const db = openSqlite(':memory:')
    try {
      const hashes = [...Array.from({ length: 50 }, (_, i) => sha256(`token ${i}`)), 'f'.repeat(64), '0'.repeat(64)]
      for (const hash of hashes) {
        const { rows } = await sql<{ base: number }>`select ${sql.raw(slotBaseSql('h'))} as base from (select ${hash} as h)`.execute(db)
        expect(rows[0]!.base).toBe(slotBase(hash))
      }
      expect(slotBase('f'.repeat(64))! + SESSION_SLOTS - 1).toBe(Number.MAX_SAFE_INTEGER)
      expect(slotBase('not a hash')).toBeNull()
      expect(slotBase('ABCDEF0123456789')).toBeNull()
    } finally {
      await db.destroy()
    }
  })

  it('a new session sits at the first slot of its hash, and its token check finds it there', async () => {
    const { store, db } = await fileStore()
    const user = await withUser(store)
    const session = newSession(user.id, { secretHash: sha256('a token') })
    await store.insertSession(session)
    expect(await rowidOf(db, session.id)).toBe(slotBase(session.secretHash))
    expect(await store.findCredentialBySecretHash(session.secretHash)).toEqual(credentialOf(session, user))
    expect(await store.findCredentialBySecretHash(sha256('another token'))).toBeNull()
  })

  it('the token check by hash walks the table by rowid, not the secret_hash index', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'tessera-slots-'))
    folders.push(folder)
    const { db, storeOptions } = openSqliteEngine(join(folder, 'tessera.db'))
    await migrateToLatest(db)
    const prepared: string[] = []
    const store = createKyselyStore(db, { prepareRead: (text) => (prepared.push(text), storeOptions.prepareRead!(text)) })
    opened.push(store)
    const bySlots = prepared.filter((text) => text.includes('rowid between'))
    expect(bySlots).toHaveLength(1)
    const { rows } = await db.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${bySlots[0]!}`, [0, 7, '']))
    expect(rows.map((row) => row.detail)).toEqual([
      'SEARCH sessions USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)',
      'SEARCH users USING INTEGER PRIMARY KEY (rowid=?)',
    ])
  })

  it('hashes sharing slots take the next free ones; a ninth, with every slot taken, is still found', async () => {
    const { store, db } = await fileStore()
    const user = await withUser(store)
    const sessions = sharingSlots(SESSION_SLOTS + 1).map((secretHash) => newSession(user.id, { secretHash }))
    const base = slotBase(sessions[0]!.secretHash)!
    for (const session of sessions) await store.insertSession(session)
    const rowids = await Promise.all(sessions.map((session) => rowidOf(db, session.id)))
    expect(rowids.slice(0, SESSION_SLOTS)).toEqual(Array.from({ length: SESSION_SLOTS }, (_, i) => base + i))
    expect(rowids[SESSION_SLOTS]! < base || rowids[SESSION_SLOTS]! >= base + SESSION_SLOTS).toBe(true)
    for (const session of sessions) expect(await store.findCredentialBySecretHash(session.secretHash)).toEqual(credentialOf(session, user))
  })

  it('insertSessions() places a chunk whose rows want one slot row by row, and still fails on a real conflict', async () => {
    const { store, db } = await fileStore()
    const user = await withUser(store)
    const sessions = [
      ...sharingSlots(3).map((secretHash) => newSession(user.id, { secretHash })),
      ...Array.from({ length: 5 }, (_, i) => newSession(user.id, { secretHash: sha256(`bulk ${i}`) })),
    ]
    expect(await store.insertSessions(sessions)).toBe(sessions.length)
    for (const session of sessions) {
      const rowid = await rowidOf(db, session.id)
      const base = slotBase(session.secretHash)!
      expect(rowid >= base && rowid < base + SESSION_SLOTS).toBe(true)
      expect(await store.findCredentialBySecretHash(session.secretHash)).toEqual(credentialOf(session, user))
    }
    // The same id again is a conflict no slot can mend; nothing of the batch is kept.
    const again: SessionRecord[] = [newSession(user.id, { secretHash: sha256('fresh') }), { ...sessions[0]!, secretHash: sha256('other') }]
    await expect(store.insertSessions(again)).rejects.toThrow(/UNIQUE|PRIMARY/)
    expect(await store.findCredentialBySecretHash(again[0]!.secretHash)).toBeNull()
  })

  it('a session written at no slot (by an older version) is found through the index', async () => {
    const { store, db } = await fileStore()
    const user = await withUser(store)
    const session = newSession(user.id, { secretHash: sha256('old token') })
    await sql`insert into sessions (id, user_id, secret_hash, device, created_at, last_used_at, expires_at)
      values (${session.id}, ${user.id}, ${session.secretHash}, 'old', ${session.createdAt.getTime()}, ${session.lastUsedAt.getTime()}, ${session.expiresAt.getTime()})`.execute(db)
    expect(await rowidOf(db, session.id)).toBeLessThan(1000)
    expect(await store.findCredentialBySecretHash(session.secretHash)).toMatchObject({ sessionId: session.id })
  })

  it('replaceSessionSecret() moves the session to the slots of its new hash', async () => {
    const { store, db } = await fileStore()
    const user = await withUser(store)
    const session = newSession(user.id, { secretHash: sha256('before') })
    await store.insertSession(session)
    const after = sha256('after')
    expect(await store.replaceSessionSecret(session.id, after)).toBe(true)
    expect(await rowidOf(db, session.id)).toBe(slotBase(after))
    expect(await store.findCredentialBySecretHash(session.secretHash)).toBeNull()
    expect(await store.findCredentialBySecretHash(after)).toEqual(credentialOf({ ...session, secretHash: after }, user))
  })

  it('migration 0009 moves the sessions of an older database to their slots, keeping every row and refresh token', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'tessera-slots-'))
    folders.push(folder)
    const path = join(folder, 'tessera.db')
    const db = openSqlite(path)
    const { error } = await new Migrator({ db, provider: migrationProvider }).migrateTo('0008-django-import')
    expect(error).toBeUndefined()
    await sql`insert into users (email, email_key, username, username_key, password_hash, date_joined, password_changed_at)
      values ('a@example.com', 'a@example.com', 'a', 'a', '!', 0, 0)`.execute(db)
    const hashes = [...Array.from({ length: 40 }, (_, i) => sha256(`old ${i}`)), ...sharingSlots(SESSION_SLOTS + 2)]
    for (const [i, hash] of hashes.entries()) {
      await sql`insert into sessions (id, user_id, secret_hash, device, created_at, last_used_at, expires_at)
        values (${`s${i}`}, 1, ${hash}, 'd', 0, 0, ${Date.now() + 86_400_000})`.execute(db)
    }
    await sql`insert into refresh_tokens (id, session_id, token_hash, created_at, expires_at)
      values ('r1', 's0', ${sha256('refresh')}, 0, ${Date.now() + 86_400_000})`.execute(db)
    expect(await migrateToLatest(db)).toEqual({ applied: ['0009-session-slots'] })
    const { rows } = await sql<{ id: string; rowid: number; secret_hash: string }>`select id, rowid, secret_hash from sessions`.execute(db)
    expect(rows).toHaveLength(hashes.length)
    const atSlots = rows.filter((row) => row.rowid >= slotBase(row.secret_hash)! && row.rowid < slotBase(row.secret_hash)! + SESSION_SLOTS)
    // All but the two that found their slots taken by the others sharing them.
    expect(atSlots).toHaveLength(hashes.length - 2)
    const { rows: refresh } = await sql<{ n: number }>`select count(*) as n from refresh_tokens where session_id = 's0'`.execute(db)
    expect(refresh[0]!.n).toBe(1)
    const store = createKyselyStore(db)
    opened.push(store)
    for (const hash of hashes) expect(await store.findCredentialBySecretHash(hash)).not.toBeNull()
  })
})
