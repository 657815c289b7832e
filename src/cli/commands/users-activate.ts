import type { Command } from 'commander'
import { requireUser, withTessera } from '../run-command.js'

/** Registers `tessera users activate <user>`: lets a deactivated user log in again. */
export function registerUsersActivate(users: Command): void {
  users
    .command('activate')
    .description('activate a user')
    .argument('<user>', 'e-mail, username or id')
    .action((identifier: string) =>
      withTessera(async (tessera) => {
        const user = await tessera.setUserActive((await requireUser(tessera, identifier)).id, true)
        process.stdout.write(`Activated ${user.email} (id ${user.id}).\n`)
      }),
    )
}
