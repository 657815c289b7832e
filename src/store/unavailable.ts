import { TesseraError } from '../core/errors.js'

/** How long a client should wait before trying again while the database is unreachable. */
const RETRY_AFTER_SECONDS = 5

/**
 * The database cannot be reached (down, restarting, refusing connections): a failure of the
 * deployment, not of the request, so the HTTP layer answers 503 with `Retry-After`. The message
 * repeats the engine's (for the log and the CLI: `connect ECONNREFUSED …`), which the HTTP layer
 * does not send to clients; the engine's error itself is the `cause`.
 */
export class DatabaseUnavailableError extends TesseraError {
  readonly retryAfterSeconds = RETRY_AFTER_SECONDS
  constructor(cause: unknown) {
    // Node reports a refused connection to a name with several addresses as an AggregateError without a message.
    const { message, code } = (cause ?? {}) as { message?: unknown; code?: unknown }
    const detail = typeof message === 'string' && message !== '' ? message : typeof code === 'string' ? code : String(cause)
    super('service_unavailable', `The database is unavailable (${detail}).`, { cause })
    this.name = 'DatabaseUnavailableError'
  }
}
