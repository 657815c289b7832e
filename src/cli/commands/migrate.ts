import type { Command } from 'commander'
import { migrations } from '../../store/kysely/migrations/index.js'
import { openStore } from '../../store/kysely/index.js'
import { loadCliConfig, runAction } from '../run-command.js'

/** Registers `tessera migrate`: creates the database if needed and applies every pending migration. */
export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('create the database if needed and apply pending migrations (serve does this too)')
    .action(() =>
      runAction(async () => {
        // openStore migrates to the latest schema and throws, naming the migration, when one fails.
        const store = await openStore(loadCliConfig().databaseUrl)
        await store.close()
        const names = Object.keys(migrations)
        process.stdout.write(`Database is up to date: ${names.length} migrations (latest ${names.at(-1) ?? 'none'}).\n`)
      }),
    )
}
