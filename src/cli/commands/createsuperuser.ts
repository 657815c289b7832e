import type { Command } from 'commander'
import { ValidationError } from '../../core/errors.js'
import type { Tessera } from '../../core/tessera.js'
import type { AccountPrivileges, NewAccount } from '../../core/users.js'
import type { UserRecord } from '../../store/store.js'
import { askNewPassword, createPrompter, type Prompter } from '../prompt.js'
import { CommandError, EXIT_USAGE, printFieldErrors, withTessera } from '../run-command.js'

interface Options {
  email?: string
  username?: string
  /** False with `--no-input`. */
  input: boolean
}

const SUPERUSER: AccountPrivileges = { isStaff: true, isSuperuser: true }

/** Registers `tessera createsuperuser`: a staff user with every privilege, from prompts or the environment. */
export function registerCreateSuperuser(program: Command): void {
  program
    .command('createsuperuser')
    .description('create a superuser (prompts on a terminal; --no-input reads TESSERA_SUPERUSER_*)')
    .option('--email <email>', 'e-mail address (or TESSERA_SUPERUSER_EMAIL)')
    .option('--username <name>', "username (or TESSERA_SUPERUSER_USERNAME; default: the e-mail's local part)")
    .option('--no-input', 'do not prompt: read TESSERA_SUPERUSER_EMAIL, _USERNAME and _PASSWORD')
    .action((options: Options) =>
      withTessera(async (tessera) => {
        const user = options.input ? await createInteractively(tessera, options) : await tessera.createUser(accountFromEnv(options), SUPERUSER)
        process.stdout.write(`Superuser created: ${user.email} (id ${user.id})\n`)
      }),
    )
}

/** The account named by options and TESSERA_SUPERUSER_*; throws a usage error when one is missing. */
function accountFromEnv(options: Options): NewAccount {
  const email = options.email || process.env.TESSERA_SUPERUSER_EMAIL
  const password = process.env.TESSERA_SUPERUSER_PASSWORD
  if (!email || !password) {
    throw new CommandError('--no-input needs TESSERA_SUPERUSER_EMAIL (or --email) and TESSERA_SUPERUSER_PASSWORD', EXIT_USAGE)
  }
  return { email, password, username: options.username || process.env.TESSERA_SUPERUSER_USERNAME || localPart(email) }
}

/** Prompts until the core accepts the account, asking again only for the fields it refused. */
async function createInteractively(tessera: Tessera, options: Options): Promise<UserRecord> {
  if (!process.stdin.isTTY) {
    throw new CommandError('createsuperuser prompts on a terminal; without one, use --no-input and TESSERA_SUPERUSER_*', EXIT_USAGE)
  }
  const prompter = createPrompter()
  try {
    let email = options.email ?? (await prompter.ask('Email address: '))
    let username = options.username ?? (await askUsername(prompter, email))
    let password: string | undefined
    for (;;) {
      password ??= await askNewPassword(prompter)
      try {
        return await tessera.createUser({ email, username, password }, SUPERUSER)
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error
        printFieldErrors(error)
        if (error.fields.email) email = await prompter.ask('Email address: ')
        if (error.fields.username || (error.fields.email && options.username === undefined)) username = await askUsername(prompter, email)
        if (error.fields.password) password = undefined
      }
    }
  } finally {
    prompter.close()
  }
}

async function askUsername(prompter: Prompter, email: string): Promise<string> {
  const fallback = localPart(email)
  const answer = await prompter.ask(fallback ? `Username (leave blank to use '${fallback}'): ` : 'Username: ')
  return answer.trim() || fallback
}

function localPart(email: string): string {
  const at = email.trim().lastIndexOf('@')
  return at > 0 ? email.trim().slice(0, at) : ''
}
