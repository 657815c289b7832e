import { Kysely, PostgresDialect, sql, type PostgresPool, type PostgresPoolClient, type Transaction } from 'kysely'
import pg from 'pg'
import { DatabaseUnavailableError } from '../unavailable.js'
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
  // A checked-out connection has no listener of the pool's: when the server ends it between two
  // statements (57P01 on a restart, while Kysely holds it for a transaction or has not sent its
  // query yet), pg emits 'error' on the client itself, which unheard would end the process. The
  // statement that follows fails instead, and the pool drops the client on release.
  pool.on('connect', (client) => client.on('error', () => {}))
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: reportingUnavailable(pool) }) })
  return { db, storeOptions: { afterUsersWithIds: advanceUserIds } }
}


/** Socket-level errno codes of a server that is down, unreachable or went away mid-query. */
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND'])
/**
 * SQLSTATEs of a server that is shutting down, starting up, or out of connections: 57P01
 * admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now, 53300 too_many_connections,
 * and class 08 (connection exceptions: 08001, 08006, …).
 */
const UNAVAILABLE_SQLSTATE = new Set(['57P01', '57P02', '57P03', '53300'])
/** pg's own messages for a connection it lost or could not open in time (they carry no code). */
const UNAVAILABLE_MESSAGE = /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect|Connection ended)/i

/**
 * Whether `error`, thrown by pg, says the database cannot be reached rather than that the query
 * was wrong: a refused or dropped connection, a server shutting down or starting up. A constraint
 * violation, a syntax error or a statement timeout is not.
 */
export function isUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  if (error instanceof DatabaseUnavailableError) return true
  const { code, message, errors } = error as { code?: unknown; message?: unknown; errors?: unknown }
  if (typeof code === 'string' && (UNAVAILABLE_ERRNO.has(code) || UNAVAILABLE_SQLSTATE.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true
  if (typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message)) return true
  // Node reports a refused connection to a name with several addresses as an AggregateError.
  return Array.isArray(errors) && errors.length > 0 && errors.every(isUnavailable)
}

/** `error` as a DatabaseUnavailableError when the database cannot be reached, else unchanged. */
function translate(error: unknown): unknown {
  return error instanceof DatabaseUnavailableError || !isUnavailable(error) ? error : new DatabaseUnavailableError(error)
}

/**
 * `pool` as Kysely sees it, with the errors of an unreachable database turned into
 * DatabaseUnavailableError at the one place every query passes (checkout and query), so the store
 * and the core above it stay engine-neutral. The pool itself is unchanged: a connection the server
 * dropped is discarded on release, and the next checkout opens a new one once the server is back.
 */
function reportingUnavailable(pool: pg.Pool): PostgresPool {
  // One wrapper per pg client, so Kysely (which keys its connections by client) sees each once.
  const wrappers = new WeakMap<pg.PoolClient, PostgresPoolClient>()
  const wrap = (client: pg.PoolClient): PostgresPoolClient => {
    let wrapper = wrappers.get(client)
    if (!wrapper) {
      wrapper = {
        query: ((text: string, parameters: readonly unknown[]) =>
          client.query(text, parameters as unknown[]).catch((error: unknown) => {
            throw translate(error)
          })) as unknown as PostgresPoolClient['query'],
        release: () => client.release(),
      }
      wrappers.set(client, wrapper)
    }
    return wrapper
  }
  return {
    connect: () =>
      pool.connect().then(wrap, (error: unknown) => {
        throw translate(error)
      }),
    end: () => pool.end(),
  }
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

export { DatabaseUnavailableError }
