import type { Store } from '../store.js'
import { createKyselyStore } from './kysely-store.js'
import { migrateToLatest } from './migrate.js'
import { openPostgresEngine } from './postgres.js'
import { openSqliteEngine } from './sqlite.js'

export { createKyselyStore, type KyselyStoreOptions } from './kysely-store.js'
export { migrateToLatest } from './migrate.js'
export { openPostgres, openPostgresEngine, type PostgresEngine } from './postgres.js'
export { openSqlite, openSqliteEngine, type SqliteEngine } from './sqlite.js'
export type { Database } from './schema.js'

/**
 * Opens the database `databaseUrl` names (`sqlite:<path>`, `sqlite::memory:`, or `postgres://…`
 * and `postgresql://…` with an optional `?pool=N`), migrates it to the latest schema and returns
 * its store; throws a TypeError for any other DATABASE_URL, and when the migrations fail.
 */
export async function openStore(databaseUrl: string): Promise<Store> {
  const { db, storeOptions } = openEngine(databaseUrl)
  try {
    await migrateToLatest(db)
  } catch (error) {
    await db.destroy()
    throw error
  }
  return createKyselyStore(db, storeOptions)
}

/** Opens the engine the URL's scheme names; the messages never repeat a URL, which may hold a password. */
function openEngine(databaseUrl: string) {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(databaseUrl)?.[1]?.toLowerCase()
  if (scheme === 'postgres' || scheme === 'postgresql') return openPostgresEngine(databaseUrl)
  if (scheme !== 'sqlite') {
    const given = scheme === undefined ? 'a value without a scheme' : `${scheme}:…`
    throw new TypeError(
      `tessera: DATABASE_URL must be sqlite:<path>, sqlite::memory: or postgres://…, not ${given}`,
    )
  }
  const path = databaseUrl.slice('sqlite:'.length)
  if (path === '') throw new TypeError('tessera: DATABASE_URL sqlite: needs a path, e.g. sqlite:./tessera.db')
  return openSqliteEngine(path)
}
