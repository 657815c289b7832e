import { randomBytes } from 'node:crypto'
import pg from 'pg'

/*
 * The PostgreSQL server the tests use, and a fresh database on it for each store or server.
 * vitest.config.ts calls `findTestDatabase()` once per run and hands the answer to every test
 * process in the environment; tests call `testDatabaseUrl()` and `createTestDatabase()`.
 */

/** Where every development and CI machine here runs PostgreSQL (trust auth, database `test`). */
export const LOCAL_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test'

/** Set by vitest.config.ts when there is no PostgreSQL to test on: why not. */
const SKIP_REASON = 'TESSERA_TEST_DATABASE_SKIP'
/** Set by vitest.config.ts: names this run's databases so that the global teardown finds them all. */
const RUN_ID = 'TESSERA_TEST_RUN'
/** Every test database's name starts with this, then the run id. */
const PREFIX = 'tessera_t_'

/** What `findTestDatabase` found: the server's URL, or why there is none. */
export type TestDatabase = { url: string } | { url: null; reason: string }

/** True under `CI=true` (or `CI=1`), where a missing PostgreSQL is a failure, not a skip. */
export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  return /^(true|1)$/i.test(env.CI ?? '')
}

/**
 * The PostgreSQL server for this run: `TEST_DATABASE_URL` as given (not probed: a wrong one should
 * fail loudly), else, outside CI, 127.0.0.1:5432 when it answers; otherwise null and the reason.
 * Under CI nothing is guessed: CI names its server or fails.
 */
export async function findTestDatabase(
  env: NodeJS.ProcessEnv = process.env,
  localUrl = LOCAL_DATABASE_URL,
): Promise<TestDatabase> {
  const given = env.TEST_DATABASE_URL?.trim()
  if (given) return { url: given }
  if (isCi(env)) return { url: null, reason: 'TEST_DATABASE_URL is unset' }
  const client = new pg.Client({ connectionString: localUrl, connectionTimeoutMillis: 2000 })
  try {
    await client.connect()
    await client.query('select 1')
    return { url: localUrl }
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error)
    const where = new URL(localUrl).host
    return { url: null, reason: `TEST_DATABASE_URL is unset and nothing answers at ${where} (${why})` }
  } finally {
    await client.end().catch(() => {})
  }
}

/**
 * The PostgreSQL server tests should use, or null after printing why the PostgreSQL tests are
 * skipped; throws under CI=true, where a missing server is a failure (DESIGN, "Storage and scale").
 */
export function testDatabaseUrl(env: NodeJS.ProcessEnv = process.env): string | null {
  const url = env.TEST_DATABASE_URL?.trim()
  if (url) return url
  const reason = env[SKIP_REASON] ?? 'TEST_DATABASE_URL is unset'
  if (isCi(env)) throw new Error(`PostgreSQL tests cannot run under CI=true: ${reason}`)
  console.warn(`PostgreSQL tests skipped: ${reason}`)
  return null
}

/** A database made for one test or test file, and how to drop it. */
export interface CreatedDatabase {
  /** The server's URL with this database in place of the server's own. */
  url: string
  /** Drops the database, closing any connection still open to it. */
  drop(): Promise<void>
}

/**
 * Creates an empty database on the server `serverUrl` names, with a name no parallel test file
 * shares; throws when the server refuses. The caller drops it; the global teardown drops any left.
 */
export async function createTestDatabase(serverUrl: string): Promise<CreatedDatabase> {
  const run = process.env[RUN_ID] ?? 'solo'
  const name = `${PREFIX}${run}_${randomBytes(6).toString('hex')}`
  await onServer(serverUrl, (client) => client.query(`create database ${name}`))
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: async () => {
      await onServer(serverUrl, (client) => client.query(`drop database if exists ${name} with (force)`))
    },
  }
}

/** What vitest.config.ts gives every test process, and whether the PostgreSQL project runs. */
export interface TestDatabaseEnv {
  env: Record<string, string>
  /** False only outside CI with no server: then the reason was printed and the project is left out. */
  postgres: boolean
}

/**
 * Finds the run's PostgreSQL server once, for vitest.config.ts, and names the run, so that the
 * global `teardown` can drop every database it made, a crashed test file's included. Prints why
 * when there is no server; under CI the PostgreSQL tests then run and fail, saying why.
 */
export async function testDatabaseEnv(): Promise<TestDatabaseEnv> {
  const found = await findTestDatabase()
  process.env[RUN_ID] ??= randomBytes(4).toString('hex')
  const env: Record<string, string> = { [RUN_ID]: process.env[RUN_ID] }
  if (found.url !== null) {
    // Also here, in vitest's own process, for `teardown`.
    process.env.TEST_DATABASE_URL = found.url
    return { env: { ...env, TEST_DATABASE_URL: found.url }, postgres: true }
  }
  if (!isCi()) console.warn(`PostgreSQL tests skipped: ${found.reason}`)
  return { env: { ...env, [SKIP_REASON]: found.reason }, postgres: isCi() }
}

/** The database a test server should use: a fresh PostgreSQL one under TESSERA_TEST_ENGINE=postgres, else null. */
export async function testServerDatabase(): Promise<CreatedDatabase | null> {
  if (process.env.TESSERA_TEST_ENGINE !== 'postgres') return null
  const url = testDatabaseUrl()
  if (url === null) throw new Error('TESSERA_TEST_ENGINE=postgres needs a PostgreSQL server; see above')
  return createTestDatabase(url)
}

/** vitest's global teardown: drops the databases this run created and did not drop. */
export async function teardown(): Promise<void> {
  const run = process.env[RUN_ID]
  const url = process.env.TEST_DATABASE_URL?.trim()
  if (run === undefined || !url) return
  await onServer(url, async (client) => {
    const { rows } = await client.query<{ datname: string }>(
      'select datname from pg_database where starts_with(datname, $1)',
      [`${PREFIX}${run}_`],
    )
    for (const { datname } of rows) await client.query(`drop database if exists ${datname} with (force)`)
  })
}

/** Runs `work` on one connection to the server's own database, then closes it. */
async function onServer<T>(serverUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 5000 })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}
