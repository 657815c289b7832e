import { configDefaults, defineConfig, type TestProjectInlineConfiguration, type ViteUserConfig } from 'vitest/config'
import { isCi, testDatabaseEnv } from './test/support/database.js'
import { privatePostgresMissing, privateRedisMissing } from './test/support/private-services.js'

/** The test files whose servers (test/support/server.ts) run a second time on PostgreSQL. */
const SERVER_TESTS = ['test/http/**/*.test.ts', 'test/jwt/**/*.test.ts', 'test/realworld/**/*.test.ts', 'test/import/**/*.test.ts', 'test/admin/admin-pages.test.ts', 'test/social/**/*.test.ts']
/** Tests of the SQLite file itself (its bytes, kill -9 of its process), which PostgreSQL has no part in. */
const SQLITE_ONLY = ['test/http/storage.test.ts']
/** Tests that kill and restart private Redis and PostgreSQL servers (test/support/private-services.ts). */
const FAULT_TESTS = ['test/faults/**/*.test.ts']

/** Every test; servers on SQLite, and the store contract on every engine. */
const sqlite: TestProjectInlineConfiguration = {
  extends: true,
  test: {
    name: 'sqlite',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...FAULT_TESTS],
    // Its teardown drops any PostgreSQL database a test file of this run (either project) left behind.
    globalSetup: ['test/support/database.ts'],
  },
}

/** The server tests again, each server on a fresh PostgreSQL database (test/support/database.ts). */
const postgres: TestProjectInlineConfiguration = {
  extends: true,
  test: {
    name: 'postgres',
    include: SERVER_TESTS,
    exclude: [...configDefaults.exclude, ...SQLITE_ONLY],
    env: { TESSERA_TEST_ENGINE: 'postgres' },
  },
}

/**
 * The fault tests, one file at a time (`fileParallelism: false` is a root-only option in vitest 3;
 * a single fork is its per-project equivalent), after the other projects have finished (a later
 * group), so that the recovery times they report are not measured on a machine the rest of the
 * suite is saturating. Each starts its own Redis or PostgreSQL on a free port and stops it.
 */
const faults: TestProjectInlineConfiguration = {
  extends: true,
  test: {
    name: 'faults',
    include: FAULT_TESTS,
    poolOptions: { forks: { singleFork: true } },
    sequence: { groupOrder: 1 },
    testTimeout: 120_000,
  },
}

/**
 * The fault project, unless neither private service can be started here: then it is left out
 * with a printed reason, except under CI=true, where any missing one is a failure. (A file whose
 * own service is missing skips itself, saying why.)
 */
function faultProjects(): TestProjectInlineConfiguration[] {
  const missing = [privateRedisMissing(), privatePostgresMissing()].filter((why): why is string => why !== null)
  if (missing.length > 0 && isCi()) throw new Error(`fault tests cannot run under CI=true: ${missing.join('; ')}`)
  if (missing.length === 2) {
    console.warn(`fault tests skipped: ${missing.join('; ')}`)
    return []
  }
  return [faults]
}

/*
 * Without a PostgreSQL server (TEST_DATABASE_URL, or 127.0.0.1:5432 answering outside CI) the
 * `postgres` project is left out with a printed reason, except under CI=true, where it fails.
 */
export default defineConfig(async (): Promise<ViteUserConfig> => {
  const database = await testDatabaseEnv()
  return {
    // Vite compiles .ts, .mts and .tsx by default; config/threadpool.cts is CommonJS TypeScript.
    esbuild: { include: /\.(?:[cm]?ts|[jt]sx)$/ },
    test: {
      testTimeout: 30_000,
      hookTimeout: 60_000,
      pool: 'forks',
      reporters: process.env.CI ? ['default'] : ['default'],
      env: database.env,
      projects: [sqlite, ...(database.postgres ? [postgres] : []), ...faultProjects()],
    },
  }
})
