import type { Command } from 'commander'
import { withTessera } from '../run-command.js'

/** Registers `tessera cleartokens`: deletes expired and revoked sessions (run it from cron). */
export function registerClearTokens(program: Command): void {
  program
    .command('cleartokens')
    .description('delete expired and revoked sessions')
    .action(() =>
      withTessera(async (tessera) => {
        const deleted = await tessera.clearDeadSessions()
        process.stdout.write(`Deleted ${deleted} expired or revoked session${deleted === 1 ? '' : 's'}.\n`)
      }),
    )
}
