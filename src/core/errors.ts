/** Stable error codes of the domain; the HTTP layer maps each to a status and a wire shape. */
export type TesseraErrorCode =
  | 'validation_failed'
  | 'invalid_credentials'
  | 'not_authenticated'
  | 'invalid_token'
  | 'refresh_reused'
  | 'invalid_one_time_token'
  | 'permission_denied'
  | 'not_found'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'throttled'
  | 'service_unavailable'
  | 'social_login_failed'
  | 'social_account_conflict'
  | 'last_sign_in_method'
  | 'provider_unavailable'
  | 'internal_error'

/** A domain failure the caller must handle; `code` is stable, `message` is for people. */
export class TesseraError extends Error {
  constructor(
    readonly code: TesseraErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'TesseraError'
  }
}

/** Field name → human messages, as every face reports them. */
export type FieldErrors = Record<string, string[]>

/** Input that failed validation; `fields` names each field and what is wrong with it. */
export class ValidationError extends TesseraError {
  constructor(
    readonly fields: FieldErrors,
    message = 'The request body failed validation.',
  ) {
    super('validation_failed', message)
    this.name = 'ValidationError'
  }
}

/** Too many attempts; the caller may try again after `retryAfterSeconds`. */
export class ThrottledError extends TesseraError {
  constructor(readonly retryAfterSeconds: number) {
    super('throttled', `Request was throttled. Expected available in ${retryAfterSeconds} seconds.`)
    this.name = 'ThrottledError'
  }
}

/** Adds `message` to `field` in `errors`, creating the list when needed. */
export function addFieldError(errors: FieldErrors, field: string, message: string): void {
  ;(errors[field] ??= []).push(message)
}
