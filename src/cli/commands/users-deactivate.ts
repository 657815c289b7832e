import type { Command } from 'commander'
import { requireUser, withTessera } from '../run-command.js'

/** Registers `tessera users deactivate <user>`: blocks logins and revokes every session at once. */
export function registerUsersDeactivate(users: Command): void {
  users
    .command('deactivate')
    .description('deactivate a user and revoke all their sessions')
    .argument('<user>', 'e-mail, username or id')
    .action((identifier: string) =>
      withTessera(async (tessera) => {
        const user = await tessera.setUserActive((await requireUser(tessera, identifier)).id, false)
        process.stdout.write(`Deactivated ${user.email} (id ${user.id}); their sessions are revoked.\n`)
      }),
    )
}
