import type { Command } from 'commander'
import { formatTable } from '../format-table.js'
import { requireUser, withTessera } from '../run-command.js'

/** Registers `tessera token list <user>`: the user's live sessions, never their secrets. */
export function registerTokenList(token: Command): void {
  token
    .command('list')
    .description("list a user's live sessions (tokens are never shown: only their hashes are kept)")
    .argument('<user>', 'e-mail, username or id')
    .action((identifier: string) =>
      withTessera(async (tessera) => {
        const user = await requireUser(tessera, identifier)
        const sessions = await tessera.listSessions(user.id)
        if (sessions.length === 0) {
          process.stderr.write(`No live sessions for ${user.email}.\n`)
          return
        }
        const rows = sessions.map((s) => [s.id, s.device, s.createdAt, s.lastUsedAt, s.expiresAt])
        process.stdout.write(`${formatTable(['ID', 'DEVICE', 'CREATED', 'LAST USED', 'EXPIRES'], rows)}\n`)
      }),
    )
}
