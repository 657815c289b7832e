import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose'
import { signInFailed } from './provider-errors.js'

/** What an ID token that an app sends must satisfy. */
export interface IdTokenExpectations {
  /** The provider's name, for messages. */
  name: string
  /** The discovered issuer; Microsoft's multi-tenant one holds a `{tenantid}` placeholder. */
  issuer: string
  /** The client ids the token may be for: the web client's and the apps' own. */
  audiences: string[]
  /** Asymmetric algorithms the provider signs with (HMAC would make the client secret a signing key). */
  algorithms: string[]
  /** The nonce the app sent, if any. */
  nonce: string | undefined
}

// Some seconds of difference between the provider's clock and ours are normal.
const CLOCK_TOLERANCE_SECONDS = 30

/** The provider's signing keys from `jwksUri`, fetched on demand and cached (jose refetches on an unknown `kid`). */
export function remoteKeySet(jwksUri: string, timeoutSeconds: number): JWTVerifyGetKey {
  return createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: timeoutSeconds * 1000 })
}

/**
 * Verifies an ID token an app obtained at the provider itself and returns its claims: signature
 * by the provider's keys, `iss`, `aud` (and `azp` when there are several audiences), `exp`,
 * `iat`, and `nonce`. Throws jose's errors, or `social_login_failed` for the checks made here.
 */
export async function verifyIdToken(idToken: string, keys: JWTVerifyGetKey, expected: IdTokenExpectations): Promise<JWTPayload> {
  const { payload } = await jwtVerify(idToken, keys, {
    audience: expected.audiences,
    algorithms: expected.algorithms,
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat'],
  })
  // Microsoft's "common" issuer names every tenant with a placeholder; the token's own tenant fills it.
  const issuer = typeof payload.tid === 'string' ? expected.issuer.replace('{tenantid}', payload.tid) : expected.issuer
  if (payload.iss !== issuer) throw signInFailed(`The ID token was issued by "${String(payload.iss)}", not by ${expected.name}.`)
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud]
  // OIDC Core 3.1.3.7: with several audiences, the party it was issued to must be one of ours.
  if ((audiences.length > 1 || payload.azp !== undefined) && !expected.audiences.includes(String(payload.azp))) {
    throw signInFailed(`The ID token was issued to another application ("azp" is not one of this server's client ids).`)
  }
  if (expected.nonce !== undefined ? payload.nonce !== expected.nonce : payload.nonce !== undefined) {
    throw signInFailed(
      expected.nonce !== undefined
        ? 'The ID token\'s nonce is not the one sent: it was requested for another sign-in.'
        : 'The ID token carries a nonce: send the nonce the app used, as "nonce".',
    )
  }
  return payload
}
