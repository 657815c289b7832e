import { loadConfig, type ServerConfig } from '../config/env.js'
import { TesseraError, ValidationError } from '../core/errors.js'
import type { Tessera } from '../core/tessera.js'
import { openTessera } from '../open-tessera.js'
import type { UserRecord } from '../store/store.js'

/** Exit status of a domain failure (bad input, unknown user, …). */
export const EXIT_FAILURE = 1
/** Exit status of a usage or configuration mistake, as argparse and commander's usage errors use it. */
export const EXIT_USAGE = 2

/** A failure the command reports as one line and `exitCode` (2 for usage or configuration mistakes). */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message)
    this.name = 'CommandError'
  }
}

/** Writes one `tessera: error: …` line to stderr. */
export function printError(message: string): void {
  process.stderr.write(`tessera: error: ${message.replace(/^tessera:\s*/, '')}\n`)
}

/** Runs a command's action and turns what it throws into stderr lines and an exit status. */
export async function runAction(action: () => Promise<void>): Promise<void> {
  try {
    await action()
  } catch (error) {
    process.exitCode = reportFailure(error)
  }
}

/** Runs `action` against a Tessera opened from the environment, closing it afterwards. */
export function withTessera(action: (tessera: Tessera) => Promise<void>): Promise<void> {
  return runAction(async () => {
    const opened = await openTessera(loadCliConfig())
    try {
      await action(opened.tessera)
    } finally {
      await opened.close()
    }
  })
}

/** The configuration from the environment; a bad variable becomes a `CommandError` with status 2. */
export function loadCliConfig(): ServerConfig {
  try {
    return loadConfig(process.env)
  } catch (error) {
    if (error instanceof RangeError || error instanceof TypeError) throw new CommandError(error.message, EXIT_USAGE)
    throw error
  }
}

/** The user an e-mail, username or id names; throws `not_found` naming what was asked for. */
export async function requireUser(tessera: Tessera, identifier: string): Promise<UserRecord> {
  const user = await tessera.findUser(identifier)
  if (!user) throw new TesseraError('not_found', `No user with e-mail, username or id "${identifier}".`)
  return user
}

/** Prints each field's messages as one line per field (`password: This password is too common.`). */
export function printFieldErrors(error: ValidationError): void {
  for (const [field, messages] of Object.entries(error.fields)) printError(`${field}: ${messages.join(' ')}`)
}

/** Reports `error` on stderr (its stack only with LOG_LEVEL=debug) and returns the exit status. */
function reportFailure(error: unknown): number {
  if (process.env.LOG_LEVEL === 'debug' && error instanceof Error) process.stderr.write(`${error.stack}\n`)
  if (error instanceof ValidationError) {
    printFieldErrors(error)
    return EXIT_FAILURE
  }
  if (error instanceof TesseraError) {
    printError(error.message)
    return EXIT_FAILURE
  }
  if (error instanceof CommandError) {
    printError(error.message)
    return error.exitCode
  }
  // Misconfiguration (a bad DATABASE_URL, say) is a RangeError or TypeError whose message starts "tessera:".
  if (isConfigError(error) && error.message.startsWith('tessera:')) {
    printError(error.message)
    return EXIT_USAGE
  }
  const message = error instanceof Error ? error.message : String(error)
  printError(process.env.LOG_LEVEL === 'debug' ? message : `${message} (LOG_LEVEL=debug shows the stack)`)
  return EXIT_FAILURE
}

function isConfigError(error: unknown): error is RangeError | TypeError {
  return error instanceof RangeError || error instanceof TypeError
}
