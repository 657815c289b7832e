import type { Command } from 'commander'
import { TesseraError } from '../../core/errors.js'
import { withTessera } from '../run-command.js'

/** Registers `tessera token revoke <sessionId>`: ends one session, and so every credential it holds. */
export function registerTokenRevoke(token: Command): void {
  token
    .command('revoke')
    .description('revoke a session by its id (see `tessera token list <user>`)')
    .argument('<sessionId>', 'the session id')
    .action((sessionId: string) =>
      withTessera(async (tessera) => {
        if (!(await tessera.revokeSessionById(sessionId))) {
          throw new TesseraError('not_found', `No live session with id "${sessionId}".`)
        }
        process.stdout.write(`Revoked session ${sessionId}.\n`)
      }),
    )
}
