import type { Command } from 'commander'
import { withTessera } from '../run-command.js'

/** Registers `tessera cleartokens`: deletes expired and revoked sessions, and audit rows past AUDIT_RETENTION (run it from cron). */
export function registerClearTokens(program: Command): void {
  program
    .command('cleartokens')
    .description('delete expired and revoked sessions, and audit-log rows older than AUDIT_RETENTION (90d)')
    .action(() =>
      withTessera(async (tessera) => {
        const deleted = await tessera.clearDeadSessions()
        process.stdout.write(`Deleted ${deleted} expired or revoked session${deleted === 1 ? '' : 's'}.\n`)
        const days = Math.round((tessera.settings.auditRetentionSeconds / 86_400) * 10) / 10
        const audit = await tessera.clearOldAuditEvents()
        process.stdout.write(`Deleted ${audit} audit event${audit === 1 ? '' : 's'} older than ${days} day${days === 1 ? '' : 's'}.\n`)
      }),
    )
}
