import { errors as jose } from 'jose'
import { AuthorizationResponseError, ClientError, ResponseBodyError, WWWAuthenticateChallengeError } from 'openid-client'
import { TesseraError } from '../core/errors.js'

/*
 * What went wrong talking to a provider, in the core's terms: the person's sign-in failed (400,
 * `social_login_failed`: a refused or replayed code, a response for another sign-in, an ID token
 * that does not check out), or the provider could not be used (502, `provider_unavailable`: down,
 * slow, or answering nonsense). The details a client should not see stay on `cause`, for the log.
 */

// openid-client's codes for a provider that answered something unusable, or not at all in time.
const UNAVAILABLE_CODES = new Set([
  'OAUTH_TIMEOUT',
  'OAUTH_ABORT',
  'OAUTH_RESPONSE_IS_NOT_CONFORM',
  'OAUTH_RESPONSE_IS_NOT_JSON',
  'OAUTH_INVALID_SERVER_METADATA',
  'OAUTH_MISSING_SERVER_METADATA',
  'OAUTH_HTTP_REQUEST_FORBIDDEN',
  'OAUTH_REQUEST_PROTOCOL_FORBIDDEN',
])

/** The provider could not be used; `cause` keeps why, for the log. */
export function providerUnavailable(name: string, cause?: unknown): TesseraError {
  return new TesseraError('provider_unavailable', `${name} could not be reached, or answered unexpectedly. Try again later.`, { cause })
}

/** The person's sign-in at the provider failed, for the reason given. */
export function signInFailed(message: string, cause?: unknown): TesseraError {
  return new TesseraError('social_login_failed', message, { cause })
}

/**
 * The domain error for anything thrown while talking to provider `name`: openid-client's and
 * jose's errors, fetch's network failures. Anything unrecognised is the provider's failure, not
 * a 500 of ours; its details reach the log through `cause`.
 */
export function providerFailure(error: unknown, name: string): TesseraError {
  if (error instanceof TesseraError) return error
  if (error instanceof AuthorizationResponseError) {
    return signInFailed(`${name} did not sign you in: ${describe(error.error, error.error_description)}.`, error)
  }
  if (error instanceof ResponseBodyError) {
    if (error.status >= 500) return providerUnavailable(name, error)
    return signInFailed(
      `${name} refused the authorization code: ${describe(error.error, error.error_description)}. A code works once, ` +
        'for a few minutes, with the verifier and redirect address it was issued for.',
      error,
    )
  }
  if (error instanceof WWWAuthenticateChallengeError) {
    return signInFailed(`${name} refused the access token it had just issued.`, error)
  }
  if (error instanceof ClientError) {
    if (error.code !== undefined && UNAVAILABLE_CODES.has(error.code)) return providerUnavailable(name, error)
    // The library's message is generic ("unexpected JWT claim value encountered"); its cause says which.
    const detail = error.cause instanceof Error ? error.cause.message : error.message
    return signInFailed(`The answer from ${name} failed validation: ${detail}.`, error)
  }
  if (error instanceof jose.JWKSTimeout) return providerUnavailable(name, error)
  if (error instanceof jose.JWTExpired) return signInFailed(`The ID token from ${name} has expired.`, error)
  if (error instanceof jose.JWTClaimValidationFailed) {
    return signInFailed(`The ID token's "${error.claim}" claim is not what ${name} issues for this application (${error.reason}).`, error)
  }
  if (error instanceof jose.JWSSignatureVerificationFailed || error instanceof jose.JWKSNoMatchingKey) {
    return signInFailed(`The ID token was not signed by ${name}.`, error)
  }
  if (error instanceof jose.JOSEAlgNotAllowed) return signInFailed(`The ID token is signed with an algorithm ${name} does not use.`, error)
  if (error instanceof jose.JWSInvalid || error instanceof jose.JWTInvalid) return signInFailed('The ID token is not a well-formed JWT.', error)
  return providerUnavailable(name, error)
}

/** An OAuth error code and its description, as one phrase. */
function describe(code: string, description: string | undefined): string {
  return description ? `${code} (${description})` : code
}
