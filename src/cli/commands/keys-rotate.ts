import type { Command } from 'commander'
import { withTessera } from '../run-command.js'

/** Registers `tessera keys rotate`: a new JWT signing key; older keys verify until their tokens expire. */
export function registerKeysRotate(keys: Command): void {
  keys
    .command('rotate')
    .description('make a new JWT signing key; tokens signed by older keys keep working until they expire')
    .action(() =>
      withTessera(async (tessera) => {
        const kid = await tessera.rotateSigningKey()
        process.stdout.write(`New signing key ${kid}. Running servers sign with it within a minute.\n`)
      }),
    )
}
