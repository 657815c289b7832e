import pg from 'pg'
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

/** pg waits forever for a connection by default; an unreachable server should fail the command. */
const CONNECT_TIMEOUT_MS = 10_000

/**
 * Connects to a Django PostgreSQL database in read-only transactions and checks its tables;
 * throws a `CommandError` (never repeating the URL, which may hold a password) when it cannot.
 */
export async function openPostgresDjangoSource(url: string, options: UserTableOptions): Promise<DjangoSource> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS })
  // A server that goes away mid-import fails the next query; unheard, the event would end the process.
  client.on('error', () => {})
  const where = `the PostgreSQL database ${databaseName(url)}`
  try {
    await client.connect()
  } catch (error) {
    throw new CommandError(`cannot connect to ${where}: ${error instanceof Error ? error.message : String(error)}`)
  }
  try {
    // The import only reads Django's database; make the server hold it to that.
    await client.query('SET default_transaction_read_only = on')
    const schemas = 'table_schema = any (current_schemas(false))'
    const { rows: tableRows } = await client.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE ${schemas}`)
    const catalog: Catalog = {
      tables: new Set(tableRows.map((row) => row.table_name)),
      columns: async (table) => {
        const { rows } = await client.query<{ column_name: string }>(
          `SELECT column_name FROM information_schema.columns WHERE ${schemas} AND table_name = $1`,
          [table],
        )
        return new Set(rows.map((row) => row.column_name))
      },
    }
    const plan = await planSource(catalog, options, where)
    const count = async (table: string) => Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${quote(table)}`)).rows[0]?.n ?? 0)
    const usersSql = `SELECT ${userSelectList(plan.columns)} FROM ${quote(plan.userTable)} WHERE ${quote(plan.columns.id)} > $1::bigint ORDER BY ${quote(plan.columns.id)} LIMIT $2`
    const tokensSql =
      plan.tokenTable === null
        ? null
        : `SELECT "key" AS key, "user_id" AS user_id, "created" AS created FROM ${quote(plan.tokenTable)} WHERE "key" > $1 ORDER BY "key" LIMIT $2`
    const shape = { ...plan, userCount: await count(plan.userTable), tokenCount: plan.tokenTable === null ? 0 : await count(plan.tokenTable) }
    return {
      shape,
      async readUsers(afterId, limit) {
        const { rows } = await client.query<RawUserRow>({ name: 'django-users', text: usersSql, values: [afterId, limit] })
        return rows.map((row) => toDjangoUserRow(row, plan.userTable))
      },
      async readTokens(afterKey, limit) {
        if (tokensSql === null) return []
        const { rows } = await client.query<{ key: unknown; user_id: unknown; created: unknown }>({
          name: 'django-tokens',
          text: tokensSql,
          values: [afterKey, limit],
        })
        return rows.map(toDjangoTokenRow)
      },
      async close() {
        await client.end()
      },
    }
  } catch (error) {
    await client.end().catch(() => {})
    throw error
  }
}

/** The database's name from its URL, for messages; the rest of the URL (a password) is never shown. */
function databaseName(url: string): string {
  try {
    return `"${decodeURIComponent(new URL(url).pathname.slice(1)) || 'postgres'}"`
  } catch {
    return '(unparsable URL)'
  }
}
