import BetterSqlite3 from 'better-sqlite3'
import { CommandError } from '../run-command.js'
import {
  planSource,
  quote,
  toDjangoTokenRow,
  toDjangoUserRow,
  userSelectList,
  type Catalog,
  type DjangoSource,
  type RawUserRow,
  type UserTableOptions,
} from './django-source.js'

/**
 * Opens a Django SQLite file read-only and checks its tables; throws a `CommandError` when the
 * file is missing, is no SQLite database, or lacks what the options name.
 */
export async function openSqliteDjangoSource(path: string, options: UserTableOptions): Promise<DjangoSource> {
  let db: BetterSqlite3.Database
  try {
    db = new BetterSqlite3(path, { readonly: true, fileMustExist: true })
  } catch (error) {
    throw new CommandError(`cannot open ${path}: ${messageOf(error)}`)
  }
  try {
    const tables = new Set(
      (run(path, () => db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')").all()) as { name: string }[]).map(
        (row) => row.name,
      ),
    )
    const catalog: Catalog = {
      tables,
      columns: async (table) => new Set((db.prepare(`PRAGMA table_info(${quote(table)})`).all() as { name: string }[]).map((row) => row.name)),
    }
    const plan = await planSource(catalog, options, path)
    const count = (table: string) => (db.prepare(`SELECT count(*) AS n FROM ${quote(table)}`).get() as { n: number }).n
    const users = db.prepare(
      `SELECT ${userSelectList(plan.columns)} FROM ${quote(plan.userTable)} WHERE ${quote(plan.columns.id)} > ? ORDER BY ${quote(plan.columns.id)} LIMIT ?`,
    )
    const tokens =
      plan.tokenTable === null
        ? null
        : db.prepare(`SELECT "key" AS key, "user_id" AS user_id, "created" AS created FROM ${quote(plan.tokenTable)} WHERE "key" > ? ORDER BY "key" LIMIT ?`)
    const shape = { ...plan, userCount: count(plan.userTable), tokenCount: plan.tokenTable === null ? 0 : count(plan.tokenTable) }
    return {
      shape,
      async readUsers(afterId, limit) {
        return (run(path, () => users.all(afterId, limit)) as RawUserRow[]).map((row) => toDjangoUserRow(row, plan.userTable))
      },
      async readTokens(afterKey, limit) {
        if (tokens === null) return []
        return (run(path, () => tokens.all(afterKey, limit)) as { key: unknown; user_id: unknown; created: unknown }[]).map(toDjangoTokenRow)
      },
      async close() {
        db.close()
      },
    }
  } catch (error) {
    db.close()
    throw error
  }
}

/** Runs a read, turning SQLite's "not a database" and its kin into one clear line. */
function run<T>(path: string, read: () => T): T {
  try {
    return read()
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') throw new CommandError(`${path} is not an SQLite database (${messageOf(error)})`)
    throw error
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
