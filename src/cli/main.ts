#!/usr/bin/env node
import { Command, CommanderError } from 'commander'
import { createRequire } from 'node:module'
import { registerClearTokens } from './commands/cleartokens.js'
import { registerCreateSuperuser } from './commands/createsuperuser.js'
import { registerImportDjango } from './commands/import-django.js'
import { registerKeysRotate } from './commands/keys-rotate.js'
import { registerMigrate } from './commands/migrate.js'
import { registerServe } from './commands/serve.js'
import { registerTokenCreate } from './commands/token-create.js'
import { registerTokenList } from './commands/token-list.js'
import { registerTokenRevoke } from './commands/token-revoke.js'
import { registerUsersActivate } from './commands/users-activate.js'
import { registerUsersDeactivate } from './commands/users-deactivate.js'
import { registerUsersList } from './commands/users-list.js'
import { EXIT_USAGE, printError } from './run-command.js'

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string }

/** Builds the `tessera` program with every subcommand; usage errors exit with status 2. */
function createProgram(): Command {
  const program = new Command('tessera')
    .description('Token authentication for REST APIs: server and administration')
    .version(version)
    // Set before the subcommands are added, so that they inherit it.
    .exitOverride()
  registerServe(program)
  registerMigrate(program)
  registerCreateSuperuser(program)
  const token = program.command('token').description('create, list and revoke tokens (sessions)')
  registerTokenCreate(token)
  registerTokenList(token)
  registerTokenRevoke(token)
  const users = program.command('users').description('list, activate and deactivate users')
  registerUsersList(users)
  registerUsersActivate(users)
  registerUsersDeactivate(users)
  registerClearTokens(program)
  registerImportDjango(program)
  registerKeysRotate(program.command('keys').description('manage JWT signing keys'))
  return program
}

/** Reads `./.env` into the environment; variables already set win, and a missing file is fine. */
function loadDotEnv(): void {
  try {
    process.loadEnvFile('.env')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    printError(`.env: ${error instanceof Error ? error.message : String(error)}`)
    process.exit(EXIT_USAGE)
  }
}

// `tessera users list | head` closes stdout early; that is not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0)
  throw error
})

loadDotEnv()
try {
  await createProgram().parseAsync(process.argv)
} catch (error) {
  if (!(error instanceof CommanderError)) throw error
  // Commander has printed the message (or the help); a usage mistake exits 2, as argparse does.
  process.exitCode = error.exitCode === 1 ? EXIT_USAGE : error.exitCode
}
