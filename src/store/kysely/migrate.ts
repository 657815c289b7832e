import { Migrator, type Kysely } from 'kysely'
import { migrationProvider } from './migrations/index.js'
import type { Database } from './schema.js'

/**
 * Applies every pending migration, in order, and returns the names it applied; throws when one
 * fails, naming it, with the engine's error as `cause` (Kysely's `Migrator` itself never throws).
 */
export async function migrateToLatest(db: Kysely<Database>): Promise<{ applied: string[] }> {
  const migrator = new Migrator({ db, provider: migrationProvider })
  const { error, results = [] } = await migrator.migrateToLatest()
  if (error !== undefined) {
    const failed = results.find((result) => result.status === 'Error')
    const reason = error instanceof Error ? error.message : String(error)
    const what = failed ? `migration ${failed.migrationName} failed` : 'migrations could not run'
    throw new Error(`tessera: ${what}: ${reason}`, { cause: error })
  }
  return {
    applied: results.filter((result) => result.status === 'Success').map((result) => result.migrationName),
  }
}
