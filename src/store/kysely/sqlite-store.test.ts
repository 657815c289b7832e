import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Migrator, sql } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import { describeStoreContract } from '../store.contract.js'
import { createKyselyStore, migrateToLatest, openSqlite, openSqliteEngine, openStore } from './index.js'
import { uniqueConflictOf } from './kysely-store.js'
import { migrationProvider } from './migrations/index.js'

const folders: string[] = []

/** A fresh folder under the OS's temp dir, removed after the test. */
function tempFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'tessera-sqlite-'))
  folders.push(folder)
  return folder
}

afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true })
})

describeStoreContract('sqlite file, hot path on a reader connection', async () => {
  const folder = mkdtempSync(join(tmpdir(), 'tessera-sqlite-'))
  const { db, storeOptions } = openSqliteEngine(join(folder, 'tessera.db'))
  await migrateToLatest(db)
  const store = createKyselyStore(db, storeOptions)
  return {
    store,
    cleanup: async () => {
      await store.close()
      rmSync(folder, { recursive: true, force: true })
    },
  }
})

describeStoreContract('sqlite :memory:, every query through Kysely', async () => {
  const db = openSqlite(':memory:')
  await migrateToLatest(db)
  const store = createKyselyStore(db)
  return { store, cleanup: () => store.close() }
})

describe('SQLite engine', () => {
  it('openSqlite() creates missing folders and turns on WAL, foreign keys and a busy timeout, with a 2 MB page cache', async () => {
    const path = join(tempFolder(), 'a', 'b', 'tessera.db')
    const db = openSqlite(path)
    try {
      const pragma = async (name: string) => {
        const { rows } = await sql<Record<string, unknown>>`${sql.raw(`pragma ${name}`)}`.execute(db)
        return Object.values(rows[0] ?? {})[0]
      }
      expect(await pragma('journal_mode')).toBe('wal')
      expect(await pragma('foreign_keys')).toBe(1)
      expect(await pragma('busy_timeout')).toBe(5000)
      expect(await pragma('synchronous')).toBe(1) // NORMAL
      // SQLite's default, not better-sqlite3's 16 MB: every commit after a page split scans it (sqlite.ts).
      expect(await pragma('cache_size')).toBe(-2000)
      expect(existsSync(path)).toBe(true)
    } finally {
      await db.destroy()
    }
  })

  it('openSqliteEngine() gives its read-only hot-path connection the same 2 MB page cache', async () => {
    const { db, storeOptions } = openSqliteEngine(join(tempFolder(), 'tessera.db'))
    try {
      expect(storeOptions.prepareRead!('pragma cache_size')([])).toEqual([-2000])
    } finally {
      await db.destroy()
    }
  })

  it('migrateToLatest() applies every migration once, and nothing when run again', async () => {
    const path = join(tempFolder(), 'tessera.db')
    const db = openSqlite(path)
    expect(await migrateToLatest(db)).toEqual({
      applied: ['0001-users', '0002-sessions', '0003-settings', '0004-refresh-tokens', '0005-one-time-tokens', '0006-audit-log', '0007-social-identities', '0008-django-import', '0009-session-slots'],
    })
    expect(await migrateToLatest(db)).toEqual({ applied: [] })
    await db.destroy()
    const reopened = openSqlite(path)
    expect(await migrateToLatest(reopened)).toEqual({ applied: [] })
    await reopened.destroy()
  })

  it('migrateToLatest() throws, naming the migration that failed', async () => {
    const db = openSqlite(':memory:')
    try {
      await sql`create table sessions (id text)`.execute(db)
      await expect(migrateToLatest(db)).rejects.toThrow(/migration 0002-sessions failed: .*already exists/)
    } finally {
      await db.destroy()
    }
  })

  it('migrateToLatest() brings a database of the first three migrations up to date, keeping its rows', async () => {
    const path = join(tempFolder(), 'tessera.db')
    const db = openSqlite(path)
    const { error } = await new Migrator({ db, provider: migrationProvider }).migrateTo('0003-settings')
    expect(error).toBeUndefined()
    await createKyselyStore(db).putSettingIfAbsent('cookie.secret', 'kept')
    expect(await migrateToLatest(db)).toEqual({ applied: ['0004-refresh-tokens', '0005-one-time-tokens', '0006-audit-log', '0007-social-identities', '0008-django-import', '0009-session-slots'] })
    const store = createKyselyStore(db)
    expect(await store.getSetting('cookie.secret')).toBe('kept')
    expect(await store.deleteExpiredOneTimeTokens(new Date())).toBe(0)
    await store.close()
  })

  it('deleting a user deletes its sessions, their refresh tokens and its one-time tokens (cascades)', async () => {
    const db = openSqlite(':memory:')
    await migrateToLatest(db)
    const store = createKyselyStore(db)
    const now = new Date()
    const result = await store.insertUser({
      ...{ email: 'a@b.c', emailKey: 'a@b.c', username: 'a', usernameKey: 'a', passwordHash: '!' },
      ...{ isActive: true, isStaff: false, isSuperuser: false, emailVerified: false, bio: null, image: null },
      ...{ dateJoined: now, lastLogin: null, passwordChangedAt: now },
    })
    if (!result.ok) throw new Error('fixture user refused')
    const times = { createdAt: now, lastUsedAt: now, expiresAt: now, revokedAt: null }
    await store.insertSession({ id: 's1', userId: result.user.id, secretHash: 'h', device: 'd', ...times })
    const token = { createdAt: now, expiresAt: now, usedAt: null }
    await store.insertRefreshToken({ id: 'r1', sessionId: 's1', tokenHash: 'rh', ...token })
    const mail = { userId: result.user.id, purpose: 'password_reset', email: 'a@b.c' } as const
    await store.insertOneTimeToken({ tokenHash: 'oh', ...mail, ...token })
    await db.deleteFrom('users').where('id', '=', result.user.id).execute()
    expect(await store.findSessionById('s1')).toBeNull()
    // And on through the sessions to their refresh tokens; the user's mailed tokens go too.
    expect(await store.findRefreshTokenByHash('rh')).toBeNull()
    expect(await store.findOneTimeToken('oh')).toBeNull()
    await store.close()
  })

  it('the hot path’s reader connection never sees a write before it is committed', async () => {
    const { db, storeOptions } = openSqliteEngine(join(tempFolder(), 'tessera.db'))
    await migrateToLatest(db)
    const store = createKyselyStore(db, storeOptions)
    const now = Date.now()
    await db.transaction().execute(async (trx) => {
      const user = { email: 'a', email_key: 'a', username: 'a', username_key: 'a', password_hash: '!' }
      const flags = { is_active: 1, is_staff: 0, is_superuser: 0, email_verified: 0 }
      const times = { date_joined: now, password_changed_at: now }
      const { id } = await trx
        .insertInto('users')
        .values({ ...user, ...flags, ...times })
        .returning('id')
        .executeTakeFirstOrThrow()
      const session = { id: 's1', user_id: id, secret_hash: 'h', device: 'd' }
      await trx
        .insertInto('sessions')
        .values({ ...session, created_at: now, last_used_at: now, expires_at: now + 1000 })
        .execute()
      expect(await store.findCredentialBySecretHash('h')).toBeNull()
    })
    expect(await store.findCredentialBySecretHash('h')).toMatchObject({ sessionId: 's1', user: { email: 'a' } })
    await store.close()
  })

  it('uniqueConflictOf() reads unique violations of both SQLite and PostgreSQL, and nothing else', () => {
    const sqlite = (message: string) => Object.assign(new Error(message), { code: 'SQLITE_CONSTRAINT_UNIQUE' })
    expect(uniqueConflictOf(sqlite('UNIQUE constraint failed: users.email_key'))).toBe('email')
    expect(uniqueConflictOf(sqlite('UNIQUE constraint failed: users.username_key'))).toBe('username')
    expect(uniqueConflictOf(sqlite('UNIQUE constraint failed: users.id'))).toBeNull()
    const postgres = (constraint: string) =>
      Object.assign(new Error(`duplicate key value violates unique constraint "${constraint}"`), {
        code: '23505',
        constraint,
      })
    expect(uniqueConflictOf(postgres('users_email_key_unique'))).toBe('email')
    expect(uniqueConflictOf(postgres('users_username_key_unique'))).toBe('username')
    expect(uniqueConflictOf(postgres('users_pkey'))).toBeNull()
    const notNull = new Error('NOT NULL constraint failed: users.email_key')
    expect(uniqueConflictOf(Object.assign(notNull, { code: 'SQLITE_CONSTRAINT_NOTNULL' }))).toBeNull()
    expect(uniqueConflictOf('users.email_key')).toBeNull()
  })

  it('openStore() opens and migrates sqlite: URLs', async () => {
    const store = await openStore('sqlite::memory:')
    await expect(store.getSetting('x')).resolves.toBeNull()
    await store.close()
    const path = join(tempFolder(), 'tessera.db')
    const onFile = await openStore(`sqlite:${path}`)
    await onFile.putSettingIfAbsent('x', 'kept')
    await onFile.close()
    const again = await openStore(`sqlite:${path}`)
    expect(await again.getSetting('x')).toBe('kept')
    await again.close()
  })

  it('openStore() refuses other DATABASE_URLs with a TypeError that never repeats the URL', async () => {
    const refused = (url: string) => openStore(url).then(() => null, (error: unknown) => error as Error)
    for (const url of ['mysql://root:hunter2@localhost/x', './tessera.db', 'sqlite:']) {
      const error = await refused(url)
      expect(error).toBeInstanceOf(TypeError)
      expect(error?.message).toContain('DATABASE_URL')
      expect(error?.message).not.toContain('hunter2')
    }
  })

  it('a write that was acknowledged survives kill -9 of the process', async () => {
    const viteNode = resolve('node_modules/vite-node/vite-node.mjs')
    if (!existsSync(viteNode)) {
      console.warn('skipped: the crash test needs vite-node (installed with vitest) to run a TypeScript child')
      return
    }
    const folder = tempFolder()
    const path = join(folder, 'tessera.db')
    const child = join(folder, 'child.ts')
    writeFileSync(
      child,
      `import { openStore } from ${JSON.stringify(resolve('src/store/kysely/index.ts'))}
const store = await openStore(${JSON.stringify(`sqlite:${path}`)})
await store.putSettingIfAbsent('acknowledged', 'yes')
process.stdout.write('written\\n')
setInterval(() => {}, 1000)
`,
    )
    const proc = spawn(process.execPath, [viteNode, child], { stdio: ['ignore', 'pipe', 'inherit'] })
    await new Promise<void>((done, fail) => {
      proc.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('written') && done())
      proc.on('exit', (code) => fail(new Error(`child exited early with ${code}`)))
    })
    proc.kill('SIGKILL')
    await new Promise((done) => proc.once('exit', done))
    const store = await openStore(`sqlite:${path}`)
    expect(await store.getSetting('acknowledged')).toBe('yes')
    await store.close()
  }, 30_000)
})
