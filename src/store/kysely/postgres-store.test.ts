import { sql } from 'kysely'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import {
  createTestDatabase,
  findTestDatabase,
  testDatabaseUrl,
  type CreatedDatabase,
} from '../../../test/support/database.js'
import { newUser } from '../fixtures.contract.js'
import { describeStoreContract } from '../store.contract.js'
import { createKyselyStore, migrateToLatest, openPostgres, openPostgresEngine, openStore } from './index.js'

// Null (the reason printed) without a PostgreSQL server; throws under CI=true.
const serverUrl = testDatabaseUrl()

/** `url` with its query parameter `name` set to `value`. */
function withParameter(url: string, name: string, value: string): string {
  const parsed = new URL(url)
  parsed.searchParams.set(name, value)
  return parsed.toString()
}

describe('TEST_DATABASE_URL (test/support/database.ts)', () => {
  const url = 'postgres://postgres@127.0.0.1:5432/test'

  it('testDatabaseUrl() gives TEST_DATABASE_URL; without it null outside CI and a throw under CI=true', () => {
    expect(testDatabaseUrl({ TEST_DATABASE_URL: url, CI: 'true' })).toBe(url)
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    try {
      expect(testDatabaseUrl({ TESSERA_TEST_DATABASE_SKIP: 'nothing answers' })).toBeNull()
      expect(warn).toHaveBeenCalledWith('PostgreSQL tests skipped: nothing answers')
    } finally {
      warn.mockRestore()
    }
    expect(() => testDatabaseUrl({ CI: 'true' })).toThrow(/under CI=true: TEST_DATABASE_URL is unset/)
  })

  it('findTestDatabase() takes TEST_DATABASE_URL as given, guesses nothing under CI, and probes otherwise', async () => {
    const unused = 'postgres://nobody@127.0.0.1:1/none'
    expect(await findTestDatabase({ TEST_DATABASE_URL: ` ${url} ` }, unused)).toEqual({ url })
    expect(await findTestDatabase({ CI: 'true' }, unused)).toEqual({ url: null, reason: 'TEST_DATABASE_URL is unset' })
    const missing = await findTestDatabase({}, unused)
    expect(missing).toMatchObject({ url: null, reason: expect.stringMatching(/nothing answers at 127\.0\.0\.1:1 .*ECONNREFUSED/) })
  })
})

if (serverUrl === null) {
  describe.skip('Store contract: postgres (no PostgreSQL server: see the printed reason)', () => {
    it('runs when TEST_DATABASE_URL is set or 127.0.0.1:5432 answers', () => {})
  })
} else {
  // One database for the file, migrated once and emptied before each test: creating and migrating
  // one per test costs over a hundred milliseconds each.
  let contractDatabase: Promise<CreatedDatabase> | undefined
  afterAll(async () => {
    await (await contractDatabase)?.drop()
  })

  describeStoreContract('postgres, emptied before each test', async () => {
    contractDatabase ??= createTestDatabase(serverUrl).then(async (database) => {
      const db = openPostgres(database.url)
      await migrateToLatest(db).finally(() => db.destroy())
      return database
    })
    const { db, storeOptions } = openPostgresEngine((await contractDatabase).url)
    // DELETE, not TRUNCATE, which costs a hundred milliseconds of new files and fsyncs per test.
    for (const table of ['refresh_tokens', 'one_time_tokens', 'sessions', 'users', 'settings', 'audit_events', 'django_users', 'django_tokens'] as const) {
      await db.deleteFrom(table).execute()
    }
    await sql`select setval(pg_get_serial_sequence('users', 'id'), 1, false)`.execute(db)
    const store = createKyselyStore(db, storeOptions)
    return { store, cleanup: () => store.close() }
  })

  describe('PostgreSQL engine', () => {
    const databases: CreatedDatabase[] = []
    const freshDatabase = async () => {
      const database = await createTestDatabase(serverUrl)
      databases.push(database)
      return database.url
    }
    afterEach(async () => {
      for (const database of databases.splice(0)) await database.drop()
    })

    it('openPostgres() sets a statement timeout, an idle-in-transaction timeout and its application name', async () => {
      const db = openPostgres(serverUrl)
      try {
        const { rows } = await sql<Record<string, string>>`
          select current_setting('statement_timeout') as statement,
                 current_setting('idle_in_transaction_session_timeout') as idle,
                 current_setting('application_name') as application`.execute(db)
        expect(rows[0]).toEqual({ statement: '30s', idle: '1min', application: 'tessera' })
      } finally {
        await db.destroy()
      }
    })

    it('openPostgres() lets the URL’s own parameters win', async () => {
      const url = withParameter(serverUrl, 'statement_timeout', '1500')
      const db = openPostgres(withParameter(url, 'application_name', 'mine'))
      try {
        const { rows } = await sql<Record<string, string>>`
          select current_setting('statement_timeout') as statement,
                 current_setting('application_name') as application`.execute(db)
        expect(rows[0]).toEqual({ statement: '1500ms', application: 'mine' })
      } finally {
        await db.destroy()
      }
    })

    it('openPostgres() opens at most `?pool=` connections, 10 without it', async () => {
      const backends = async (url: string) => {
        const db = openPostgres(url)
        try {
          const pids = await Promise.all(
            Array.from({ length: 12 }, async () => {
              const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid, pg_sleep(0.1)`.execute(db)
              return rows[0]?.pid
            }),
          )
          return new Set(pids).size
        } finally {
          await db.destroy()
        }
      }
      expect(await backends(withParameter(serverUrl, 'pool', '2'))).toBe(2)
      expect(await backends(serverUrl)).toBe(10)
    })

    it('openPostgres() refuses a `?pool=` that is not a whole number ≥ 1, never repeating the URL', () => {
      for (const pool of ['0', '-1', 'ten', '2.5', '']) {
        const url = `postgres://tessera:hunter2@db.example/tessera?sslmode=require&pool=${pool}`
        expect(() => openPostgres(url)).toThrow(TypeError)
        expect(() => openPostgres(url)).toThrow(/^tessera: DATABASE_URL \?pool= must be/)
        expect(() => openPostgres(url)).not.toThrow(/hunter2/)
      }
    })

    it('bigint columns come back as numbers, and as exact strings beyond 2^53', async () => {
      const db = openPostgres(serverUrl)
      try {
        const { rows } = await sql<Record<string, unknown>>`
          select 1767225600123::bigint as millis, 9007199254740993::bigint as huge, null::bigint as none`.execute(db)
        expect(rows[0]).toEqual({ millis: 1767225600123, huge: '9007199254740993', none: null })
      } finally {
        await db.destroy()
      }
    })

    it('migrateToLatest() applies every migration once, and nothing when run again', async () => {
      const url = await freshDatabase()
      const db = openPostgres(url)
      expect(await migrateToLatest(db)).toEqual({
        applied: ['0001-users', '0002-sessions', '0003-settings', '0004-refresh-tokens', '0005-one-time-tokens', '0006-audit-log', '0007-social-identities', '0008-django-import', '0009-session-slots'],
      })
      expect(await migrateToLatest(db)).toEqual({ applied: [] })
      await db.destroy()
      const reopened = openPostgres(url)
      expect(await migrateToLatest(reopened)).toEqual({ applied: [] })
      await reopened.destroy()
    })

    it('ids given on import move the identity past them; a deleted user’s id is never handed out again', async () => {
      const { db, storeOptions } = openPostgresEngine(await freshDatabase())
      await migrateToLatest(db)
      const store = createKyselyStore(db, storeOptions)
      try {
        await store.insertUsers([newUser({ id: 500 }), newUser(), newUser({ id: 700 })])
        const next = await store.insertUser(newUser())
        expect(next.ok && next.user.id).toBe(701)
        await db.deleteFrom('users').where('id', '>=', 700).execute()
        const after = await store.insertUser(newUser())
        expect(after.ok && after.user.id).toBe(702)
        // An import below the sequence leaves it where it is.
        await store.insertUser(newUser({ id: 600 }))
        const last = await store.insertUser(newUser())
        expect(last.ok && last.user.id).toBe(703)
      } finally {
        await store.close()
      }
    })

    it('findUserById() and listUsers({ afterId }) answer an id beyond the 32-bit column with nothing, not an error', async () => {
      const store = await openStore(await freshDatabase())
      try {
        await store.insertUser(newUser())
        expect(await store.findUserById(2 ** 31)).toBeNull()
        expect(await store.findUserById(Number.MAX_SAFE_INTEGER)).toBeNull()
        expect(await store.listUsers({ afterId: 2 ** 31, limit: 10 })).toEqual([])
      } finally {
        await store.close()
      }
    })

    it('deleting a user deletes its sessions, their refresh tokens and its one-time tokens (cascades)', async () => {
      const { db, storeOptions } = openPostgresEngine(await freshDatabase())
      await migrateToLatest(db)
      const store = createKyselyStore(db, storeOptions)
      try {
        const now = new Date()
        const result = await store.insertUser(newUser())
        if (!result.ok) throw new Error('fixture user refused')
        const times = { createdAt: now, lastUsedAt: now, expiresAt: now, revokedAt: null }
        await store.insertSession({ id: 's1', userId: result.user.id, secretHash: 'h', device: 'd', ...times })
        const token = { createdAt: now, expiresAt: now, usedAt: null }
        await store.insertRefreshToken({ id: 'r1', sessionId: 's1', tokenHash: 'rh', ...token })
        const mail = { userId: result.user.id, purpose: 'password_reset', email: 'a@b.c' } as const
        await store.insertOneTimeToken({ tokenHash: 'oh', ...mail, ...token })
        await db.deleteFrom('users').where('id', '=', result.user.id).execute()
        expect(await store.findSessionById('s1')).toBeNull()
        expect(await store.findRefreshTokenByHash('rh')).toBeNull()
        expect(await store.findOneTimeToken('oh')).toBeNull()
      } finally {
        await store.close()
      }
    })

    it('openStore() opens and migrates postgres:// and postgresql:// URLs', async () => {
      const url = await freshDatabase()
      const store = await openStore(url)
      await store.putSettingIfAbsent('x', 'kept')
      await store.close()
      const again = await openStore(url.replace(/^postgres:/, 'postgresql:'))
      expect(await again.getSetting('x')).toBe('kept')
      await again.close()
    })

    it('openStore() fails when nothing answers, and the error never repeats the password', async () => {
      const error = await openStore('postgres://tessera:hunter2@127.0.0.1:1/tessera').then(
        () => null,
        (failure: unknown) => failure as Error,
      )
      expect(error?.message).toMatch(/^tessera: migrations could not run: .*ECONNREFUSED/)
      expect(error?.message).not.toContain('hunter2')
    })
  })
}
