import { configDefaults, defineConfig, type TestProjectInlineConfiguration, type ViteUserConfig } from 'vitest/config'
import { testDatabaseEnv } from './test/support/database.js'

/** The test files whose servers (test/support/server.ts) run a second time on PostgreSQL. */
const SERVER_TESTS = ['test/http/**/*.test.ts', 'test/jwt/**/*.test.ts', 'test/realworld/**/*.test.ts']
/** Tests of the SQLite file itself (its bytes, kill -9 of its process), which PostgreSQL has no part in. */
const SQLITE_ONLY = ['test/http/storage.test.ts']

/** Every test; servers on SQLite, and the store contract on every engine. */
const sqlite: TestProjectInlineConfiguration = {
  extends: true,
  test: {
    name: 'sqlite',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts'],
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

/*
 * Without a PostgreSQL server (TEST_DATABASE_URL, or 127.0.0.1:5432 answering outside CI) the
 * `postgres` project is left out with a printed reason, except under CI=true, where it fails.
 */
export default defineConfig(async (): Promise<ViteUserConfig> => {
  const database = await testDatabaseEnv()
  return {
    test: {
      testTimeout: 30_000,
      hookTimeout: 60_000,
      pool: 'forks',
      reporters: process.env.CI ? ['default'] : ['default'],
      env: database.env,
      projects: database.postgres ? [sqlite, postgres] : [sqlite],
    },
  }
})
