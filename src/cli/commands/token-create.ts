import type { Command } from 'commander'
import { requireUser, withTessera } from '../run-command.js'

interface Options {
  device: string
  replace?: boolean
}

/** Registers `tessera token create <user>`: a new session whose token is printed once (like drf_create_token). */
export function registerTokenCreate(token: Command): void {
  token
    .command('create')
    .description('create a token for a user; it is printed once, on stdout, and only its hash is kept')
    .argument('<user>', 'e-mail, username or id')
    .option('--device <name>', 'the device (session) the token belongs to', 'cli')
    .option('-r, --replace', "revoke the user's live sessions on that device first")
    .action((identifier: string, options: Options) =>
      withTessera(async (tessera) => {
        const user = await requireUser(tessera, identifier)
        if (options.replace) {
          const revoked = await tessera.revokeDeviceSessions(user.id, options.device)
          process.stderr.write(`Revoked ${revoked} previous session${revoked === 1 ? '' : 's'} on device "${options.device}".\n`)
        }
        const { token: secret, session } = await tessera.createSession(user, options.device)
        // Only the token goes to stdout, so `TOKEN=$(tessera token create bob)` captures it alone.
        process.stdout.write(`${secret}\n`)
        process.stderr.write(
          `Token for ${user.email} (session ${session.id}, device "${session.device}", expires ${session.expiresAt.toISOString()}).\n` +
            'It is shown only this once: Tessera keeps only its hash.\n',
        )
        if (!user.isActive) process.stderr.write(`Note: ${user.email} is inactive; the token works once they are activated.\n`)
      }),
    )
}
