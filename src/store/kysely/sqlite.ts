import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { Kysely, SqliteDialect, type SqliteDatabase } from 'kysely'
import { BACKSTOP_AUTOCHECKPOINT_PAGES, startCheckpointer, type Checkpointer } from './checkpointer.js'
import type { KyselyStoreOptions } from './kysely-store.js'
import type { Database } from './schema.js'

/**
 * Each connection's page cache, in KiB: SQLite's own default, not better-sqlite3's 16 MB. When a
 * write splits a B-tree page, SQLite renumbers pages through a temporary number past the end of
 * the file (balance_nonroot's sort, via the lock-byte page's number), and the commit then
 * truncates the writer's cache by scanning every page in it (pcache1TruncateUnsafe): with 16 MB
 * that was ~4 % of a login's main-thread time. A reader drops its whole cache whenever it sees
 * another connection's commit (WAL mode), so it holds little more than the B-trees' interior
 * pages, which 2 MB does: at 1 M tokens the cold token check was as fast with 2 MB as with 16,
 * and the server 15 MB smaller.
 */
const PAGE_CACHE_KIB = 2000

/** How many distinct SQL texts keep a prepared statement; Tessera issues a few dozen. */
const STATEMENT_CACHE_SIZE = 256

/** An opened SQLite database and what the shared store can use to read it faster. */
export interface SqliteEngine {
  db: Kysely<Database>
  storeOptions: KyselyStoreOptions
}

/**
 * Opens (creating it and its folder when needed) the SQLite file at `path`, or an in-memory
 * database for `':memory:'`, tuned for a server; throws when the file cannot be opened.
 */
export function openSqlite(path: string): Kysely<Database> {
  return open(path, false).db
}

/**
 * Opens `path` like `openSqlite`, plus a read-only second connection on which the store's hot
 * path runs cached statements, and a worker thread that checkpoints the WAL off the event loop
 * (neither for `':memory:'`); `db.destroy()` closes them all.
 */
export function openSqliteEngine(path: string): SqliteEngine {
  return open(path, true)
}

function open(path: string, withReader: boolean): SqliteEngine {
  const inMemory = path === ':memory:' || path === ''
  if (!inMemory) mkdirSync(dirname(resolve(path)), { recursive: true })
  const writer = configure(new BetterSqlite3(path))
  // An in-memory database exists only on its own connection, so it gets no reader.
  let reader: BetterSqlite3.Database | undefined
  let checkpointer: Checkpointer | undefined
  try {
    if (withReader && !inMemory) {
      reader = configure(new BetterSqlite3(path, { readonly: true }))
      checkpointer = startCheckpointer(path)
      writer.pragma(`wal_autocheckpoint = ${BACKSTOP_AUTOCHECKPOINT_PAGES}`)
    }
  } catch (error) {
    reader?.close()
    writer.close()
    throw error
  }
  const database = withStatementCache(writer, () => {
    checkpointer?.stop()
    reader?.close()
  })
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) })
  return { db, storeOptions: reader ? { prepareRead: preparedOn(reader) } : {} }
}

/** Applies Tessera's pragmas to a new connection; closes it and throws when one fails. */
function configure(connection: BetterSqlite3.Database): BetterSqlite3.Database {
  try {
    if (!connection.readonly) {
      // WAL lets readers run beside the writer. With synchronous=NORMAL a commit is in the WAL
      // (the OS's page cache) before it is acknowledged, so it survives kill -9 of the process;
      // only an OS crash or power loss can take the last commits, and FULL would fsync each one.
      connection.pragma('journal_mode = WAL')
      connection.pragma('synchronous = NORMAL')
    }
    connection.pragma(`cache_size = -${PAGE_CACHE_KIB}`)
    // SQLite leaves foreign keys off per connection; sessions rely on ON DELETE CASCADE.
    connection.pragma('foreign_keys = ON')
    // A second process (the CLI beside a running server) waits for the lock instead of failing.
    connection.pragma('busy_timeout = 5000')
    return connection
  } catch (error) {
    connection.close()
    throw error
  }
}

/**
 * Reads outside Kysely's single-connection mutex. A separate connection in WAL mode sees exactly
 * the committed writes, never the open transaction of the writer, which the shared one would.
 */
function preparedOn(reader: BetterSqlite3.Database): NonNullable<KyselyStoreOptions['prepareRead']> {
  return (sql) => {
    let statement: BetterSqlite3.Statement<unknown[], unknown[]> | undefined
    // Prepared on first use: the store may be created before the migrations have made its tables.
    // Raw: the row comes as an array of its values, with no object built per column.
    return (parameters) => (statement ??= reader.prepare<unknown[], unknown[]>(sql).raw(true)).get(...parameters)
  }
}

/**
 * Kysely's SQLite driver prepares every query anew; compiling SQL costs more than running an
 * indexed read, so statements are kept by their text and reused.
 */
function withStatementCache(raw: BetterSqlite3.Database, onClose: () => void): SqliteDatabase {
  const statements = new Map<string, BetterSqlite3.Statement>()
  return {
    prepare(sql) {
      let statement = statements.get(sql)
      // A statement still being iterated (a streamed query) cannot run again until it ends.
      if (statement === undefined || statement.busy) {
        statement = raw.prepare(sql)
        if (statements.size >= STATEMENT_CACHE_SIZE) {
          const oldest = statements.keys().next()
          if (oldest.done !== true) statements.delete(oldest.value)
        }
        statements.set(sql, statement)
      }
      return statement
    },
    close() {
      statements.clear()
      try {
        onClose()
      } finally {
        raw.close()
      }
    },
  }
}
