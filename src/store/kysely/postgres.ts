import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely'
import pg from 'pg'
import type { KyselyStoreOptions } from './kysely-store.js'
import type { Database } from './schema.js'

/** Connections in the pool unless the URL says `?pool=N`. */
const DEFAULT_POOL_SIZE = 10
/** Tessera's statements are indexed reads and small writes; one running this long is stuck. */
const STATEMENT_TIMEOUT_MS = 30_000
/** A transaction left open holds its row locks; PostgreSQL ends the session after this long idle. */
const IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000
/** pg waits forever for a connection by default; a server that is down should fail a request instead. */
const CONNECT_TIMEOUT_MS = 10_000
/** The type id of `bigint` (int8), which pg returns as a string. */
const INT8: number = pg.types.builtins.INT8

/** An opened PostgreSQL database and what the shared store needs to use it. */
export interface PostgresEngine {
  db: Kysely<Database>
  storeOptions: KyselyStoreOptions
}

/**
 * Opens a pool of connections to the PostgreSQL database `url` names (`postgres://…` or
 * `postgresql://…`, with `?pool=N` connections, default 10); throws a TypeError for a bad `pool`.
 * Nothing connects until the first query, so an unreachable server fails that query.
 */
export function openPostgres(url: string): Kysely<Database> {
  return openPostgresEngine(url).db
}

/**
 * Opens `url` like `openPostgres`, with the store options PostgreSQL needs: give both to
 * `createKyselyStore`, or users imported with ids of their own make later registrations collide.
 */
export function openPostgresEngine(url: string): PostgresEngine {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSizeOf(url),
    // Parameters the URL sets itself (`?statement_timeout=…`, `?application_name=…`) win over these.
    statement_timeout: STATEMENT_TIMEOUT_MS,
    idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    fallback_application_name: 'tessera',
    types,
  })
  // An idle connection that the server drops (a restart, a failover) is reported here and then
  // discarded by the pool; the next query opens a new one. Unheard, the event would end the process.
  pool.on('error', () => {})
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  return { db, storeOptions: { afterUsersWithIds: advanceUserIds } }
}

/**
 * Moves the identity sequence of `users.id` past the largest id, which an identity column does not
 * do for ids given explicitly, and never back, so the id of a deleted user is not handed out again.
 */
async function advanceUserIds(trx: Transaction<Database>): Promise<void> {
  await sql`
    select setval(seq.id, top.id)
    from (select pg_get_serial_sequence('users', 'id')::regclass as id) as seq,
         (select max(id) as id from users) as top
    where top.id > coalesce(pg_sequence_last_value(seq.id), 0)
  `.execute(trx)
}

/**
 * pg's parsers, except that `bigint` (epoch milliseconds here) becomes a number when it is exact
 * as one. Given to this pool only: `pg.types.setTypeParser` would change every pg user in the process.
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: (id, format) => (id === INT8 && format !== 'binary' ? parseInt8 : pg.types.getTypeParser(id, format)),
}

function parseInt8(value: string): number | string {
  const number = Number(value)
  // Beyond 2^53 a double would round; the exact digits are kept and the schema mappers read them.
  return Number.isSafeInteger(number) ? number : value
}

/** The `pool` parameter of the URL's query; the message never repeats the URL, which may hold a password. */
function poolSizeOf(url: string): number {
  const query = url.split('#', 1)[0]?.split('?')[1]
  const given = query === undefined ? null : new URLSearchParams(query).get('pool')
  if (given === null) return DEFAULT_POOL_SIZE
  if (!/^[1-9][0-9]{0,3}$/.test(given)) {
    throw new TypeError('tessera: DATABASE_URL ?pool= must be a whole number of connections from 1 to 9999')
  }
  return Number(given)
}
