import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { TesseraError, ThrottledError, ValidationError, type TesseraErrorCode } from '../core/errors.js'
import { DatabaseUnavailableError } from '../store/unavailable.js'
import { REFRESH_PREFIX } from '../core/refresh-tokens.js'
import { renderBody, WireError } from './error-bodies.js'
import type { CredentialFailure, Face } from './types.js'
import { failedReadingMultipart } from './body-parsers.js'

/** Each error code's HTTP status and its title; the only place statuses are decided. */
export const ERROR_STATUS: Record<TesseraErrorCode, { status: number; title: string }> = {
  validation_failed: { status: 400, title: 'Validation failed' },
  invalid_credentials: { status: 400, title: 'Invalid credentials' },
  not_authenticated: { status: 401, title: 'Not authenticated' },
  invalid_token: { status: 401, title: 'Invalid token' },
  refresh_reused: { status: 401, title: 'Refresh token reused' },
  invalid_one_time_token: { status: 400, title: 'Invalid or expired link' },
  permission_denied: { status: 403, title: 'Permission denied' },
  not_found: { status: 404, title: 'Not found' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  throttled: { status: 429, title: 'Too many requests' },
  service_unavailable: { status: 503, title: 'Service unavailable' },
  social_login_failed: { status: 400, title: 'Social sign-in failed' },
  social_account_conflict: { status: 409, title: 'Account conflict' },
  last_sign_in_method: { status: 409, title: 'Last way to sign in' },
  provider_unavailable: { status: 502, title: 'Identity provider unavailable' },
  internal_error: { status: 500, title: 'Internal error' },
}

/** DRF's own messages for each way a credential fails, which its clients match on. */
export const CREDENTIAL_MESSAGES: Record<CredentialFailure | 'not_authenticated', string> = {
  not_authenticated: 'Authentication credentials were not provided.',
  no_credentials: 'Invalid token header. No credentials provided.',
  contains_spaces: 'Invalid token header. Token string should not contain spaces.',
  invalid_characters: 'Invalid token header. Token string should not contain invalid characters.',
  invalid_token: 'Invalid token.',
  user_inactive: 'User inactive or deleted.',
}

/**
 * One error per way a credential fails, made once, as the shared 403 is: they are only read, and
 * an Error's stack capture cost ~15 µs, more than accepting a valid token, which made every
 * request with a bad token the dearer kind.
 */
const CREDENTIAL_ERRORS = Object.fromEntries(
  Object.entries(CREDENTIAL_MESSAGES).map(([failure, message]) => [
    failure,
    // An inactive user's credential is an invalid one on the wire; only DRF's message tells them apart.
    new TesseraError(failure === 'not_authenticated' ? 'not_authenticated' : 'invalid_token', message),
  ]),
) as Record<CredentialFailure | 'not_authenticated', TesseraError>

/** The error for a credential that failed, in the core's terms (the same instance every time). */
export function credentialError(failure: CredentialFailure | 'not_authenticated'): TesseraError {
  return CREDENTIAL_ERRORS[failure]
}

/**
 * A refused `Bearer` credential in Simple JWT 5.2's words (`JWTAuthentication`): a header without
 * exactly one credential, an inactive user, or a token that is not a live access token (a refresh
 * token is "of the wrong type"; anything else "invalid or expired").
 */
export function simplejwtBearerError(failure: CredentialFailure, credential: string | null): TesseraError {
  if (failure === 'no_credentials' || failure === 'contains_spaces') {
    const detail = 'Authorization header must contain two space-delimited values'
    return new WireError('invalid_token', detail, { detail, code: 'bad_authorization_header' })
  }
  if (failure === 'user_inactive') return new WireError('invalid_token', 'User is inactive', { detail: 'User is inactive', code: 'user_inactive' })
  const detail = 'Given token not valid for any token type'
  const message = credential?.startsWith(REFRESH_PREFIX) ? 'Token has wrong type' : 'Token is invalid or expired'
  return new WireError('invalid_token', detail, {
    detail,
    code: 'token_not_valid',
    messages: [{ token_class: 'AccessToken', token_type: 'access', message }],
  })
}

const PERMISSION_DENIED = new TesseraError('permission_denied', 'You do not have permission to perform this action.')
/** The shared 403. */
export function permissionDenied(): TesseraError {
  return PERMISSION_DENIED
}

const CHALLENGE: Record<Face, string> = { canonical: 'Bearer realm="tessera"', drf: 'Token', conduit: 'Token' }

/** Sends `error` in the shape `face` speaks, with the status and headers its code calls for. */
export function sendError(reply: FastifyReply, face: Face, error: TesseraError): FastifyReply {
  const { status: baseStatus, title } = ERROR_STATUS[error.code]
  const { status, body, contentType } = renderBody(face, error, baseStatus, title)
  if (status === 401) reply.header('www-authenticate', CHALLENGE[face])
  if (error instanceof ThrottledError) reply.header('retry-after', String(error.retryAfterSeconds))
  else if (error.code === 'service_unavailable') reply.header('retry-after', String(retryAfterOf(error)))
  return reply.code(status).type(contentType).send(body)
}

/** The 503 a client gets for `cause` (whose message, with the engine's details, stays in the log). */
function unavailable(cause: DatabaseUnavailableError): TesseraError {
  const error = new TesseraError('service_unavailable', 'The service is temporarily unavailable. Try again later.', { cause })
  return Object.assign(error, { retryAfterSeconds: cause.retryAfterSeconds })
}

/** Seconds a client should wait after a 503 when the error does not say. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5

/** The `retryAfterSeconds` an unavailable error carries (the store's DatabaseUnavailableError does), else the default. */
function retryAfterOf(error: TesseraError): number {
  const given = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds
  return typeof given === 'number' && Number.isFinite(given) && given > 0 ? Math.ceil(given) : UNAVAILABLE_RETRY_AFTER_SECONDS
}

/**
 * Turns what Fastify, a body parser or a handler threw into a domain error. Unknown errors stay
 * unknown (and become a 500), except while a body was being parsed, where they are the client's.
 */
export function toTesseraError(error: unknown, request: FastifyRequest): TesseraError | null {
  // A client learns that it should come back (503, Retry-After), not where the database lives.
  if (error instanceof DatabaseUnavailableError) return unavailable(error)
  if (error instanceof TesseraError) return error
  const fastifyError = error as Partial<FastifyError> & { validation?: unknown }
  if (Array.isArray(fastifyError.validation)) return validationFromAjv(fastifyError.validation, fastifyError.validationContext)
  const status = fastifyError.statusCode
  if (status === 413) return new TesseraError('payload_too_large', 'The request body is too large.')
  if (status === 415) {
    const type = String(request.headers['content-type'] ?? '').split(';')[0]
    return new TesseraError('unsupported_media_type', `Unsupported media type "${type}" in request.`)
  }
  if (status === 404) return new TesseraError('not_found', 'Not found.')
  if (failedReadingMultipart(request)) {
    // Busboy's errors (a missing or unterminated boundary, a truncated last part) carry no status: the body was bad.
    return new TesseraError('validation_failed', `Multipart form parse error - ${fastifyError.message ?? 'malformed body'}`)
  }
  if (status !== undefined && status >= 400 && status < 500) {
    return new TesseraError('validation_failed', fastifyError.message ?? 'Bad request.')
  }
  return null
}

interface AjvError {
  keyword: string
  instancePath: string
  message?: string
  params: Record<string, unknown>
}

const AJV_MESSAGES: Record<string, (params: Record<string, unknown>) => string> = {
  required: () => 'This field is required.',
  additionalProperties: () => 'Unknown field.',
  type: (p) => `Must be ${p.type === 'string' ? 'a string' : p.type === 'boolean' ? 'a boolean' : `of type ${String(p.type)}`}.`,
  maxLength: (p) => `Ensure this field has no more than ${String(p.limit)} characters.`,
  minLength: (p) => (p.limit === 1 ? 'This field may not be blank.' : `Ensure this field has at least ${String(p.limit)} characters.`),
}

/** Field errors from a JSON-schema failure, keyed by the field each one is about. */
function validationFromAjv(errors: AjvError[], part = 'body'): ValidationError {
  const fields: Record<string, string[]> = {}
  for (const error of errors) {
    const path = error.instancePath.split('/').filter(Boolean)
    const field =
      error.keyword === 'required' ? String(error.params.missingProperty)
      : error.keyword === 'additionalProperties' ? String(error.params.additionalProperty)
      : (path.at(-1) ?? part)
    const message = AJV_MESSAGES[error.keyword]?.(error.params) ?? `Invalid value (${error.message ?? error.keyword}).`
    const list = (fields[field] ??= [])
    if (!list.includes(message)) list.push(message)
  }
  return new ValidationError(fields)
}

/** The face of the route `request` hit, or of its path when no route matched. */
export function faceOf(request: FastifyRequest, fallback: Face, drfPrefixes: readonly string[] = []): Face {
  const configured = request.routeOptions.config?.face
  if (configured) return configured
  const url = request.url
  if (url.startsWith('/api-token-auth')) return 'drf'
  // Unrouted paths under a Django package's prefix (djoser, simplejwt, dj-rest-auth) speak DRF, even under /api/.
  if (drfPrefixes.some((prefix) => url === prefix || url.startsWith(`${prefix}/`) || url.startsWith(`${prefix}?`))) return 'drf'
  if (url.startsWith('/api/')) return 'conduit'
  return fallback
}
