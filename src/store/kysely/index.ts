import type { Store } from '../store.js'
import { createKyselyStore } from './kysely-store.js'
import { migrateToLatest } from './migrate.js'
import { openSqliteEngine } from './sqlite.js'

export { createKyselyStore, type KyselyStoreOptions } from './kysely-store.js'
export { migrateToLatest } from './migrate.js'
export { openSqlite, openSqliteEngine, type SqliteEngine } from './sqlite.js'
export type { Database } from './schema.js'

/**
 * Opens the database `databaseUrl` names (`sqlite:<path>` or `sqlite::memory:`), migrates it to
 * the latest schema and returns its store; throws a TypeError for any other DATABASE_URL.
 */
export async function openStore(databaseUrl: string): Promise<Store> {
  const { db, storeOptions } = openSqliteEngine(sqlitePathOf(databaseUrl))
  try {
    await migrateToLatest(db)
  } catch (error) {
    await db.destroy()
    throw error
  }
  return createKyselyStore(db, storeOptions)
}

/** The file path in a `sqlite:` URL; the message never repeats a URL, which may hold a password. */
function sqlitePathOf(databaseUrl: string): string {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(databaseUrl)?.[1]?.toLowerCase()
  if (scheme === 'postgres' || scheme === 'postgresql') {
    throw new TypeError('tessera: DATABASE_URL postgres:// is not supported yet; use sqlite:<path>')
  }
  if (scheme !== 'sqlite') {
    const given = scheme === undefined ? 'a value without a scheme' : `${scheme}:…`
    throw new TypeError(`tessera: DATABASE_URL must be sqlite:<path> or sqlite::memory:, not ${given}`)
  }
  const path = databaseUrl.slice('sqlite:'.length)
  if (path === '') throw new TypeError('tessera: DATABASE_URL sqlite: needs a path, e.g. sqlite:./tessera.db')
  return path
}
