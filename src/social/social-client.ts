import type { SocialProfile } from '../core/social-accounts.js'
import { constantTimeEqual } from '../core/tokens.js'
import { signInFailed } from './provider-errors.js'

/** The checks a browser flow's start made up, which its callback must see answered. */
export interface AuthorizationChecks {
  state: string
  /** Null for providers without ID tokens (GitHub). */
  nonce: string | null
  /** The PKCE verifier whose challenge went to the provider. */
  verifier: string
}

/** Where the start of a browser flow sends the person, and the checks it made up for the callback. */
export interface AuthorizationStart extends AuthorizationChecks {
  url: URL
}

/** A code an app obtained at the provider itself (native flow), with what the token endpoint needs to accept it. */
export interface AppCode {
  code: string
  codeVerifier: string
  /** The redirect address the app used; the provider compares it with the one the code was issued for. */
  redirectUri: string
  /** The client the code was issued to, when it is one of the provider's `mobileClientIds`. @default the provider's client id */
  clientId?: string
  /** The nonce the app sent, if it sent one. */
  nonce?: string
}

/**
 * One identity provider, as the social routes use it: start and complete a browser sign-in, or
 * check what an app obtained itself. Every method answers with the person's `SocialProfile` or
 * throws a `TesseraError` (`social_login_failed` or `provider_unavailable`), never a library's error.
 */
export interface SocialClient {
  readonly id: string
  /** Shown to people ("Google"). */
  readonly name: string
  /** False for GitHub, whose plain OAuth 2 has no ID tokens (and so no nonce). */
  readonly issuesIdTokens: boolean
  /** Makes up state, nonce and PKCE verifier, and the provider's authorization URL carrying them. */
  startAuthorization(redirectUri: string): Promise<AuthorizationStart>
  /** Checks the provider's answer at the callback against `checks`, redeems its code, and reads the profile. */
  completeAuthorization(callbackUrl: URL, checks: AuthorizationChecks): Promise<SocialProfile>
  /** Redeems a code an app obtained with its own PKCE verifier, and reads the profile. */
  exchangeAppCode(code: AppCode): Promise<SocialProfile>
  /** Checks an ID token an app obtained (signature, issuer, audience, expiry, nonce), and reads the profile. */
  verifyIdToken(idToken: string, nonce?: string): Promise<SocialProfile>
  /** Fetches what the first sign-in would need (discovery), so a provider that is down shows in the log at start. */
  warmUp(): Promise<void>
}

/**
 * Refuses a callback whose `state` is not the one this browser's flow sent: an answer meant for
 * another sign-in (someone else's, pasted or forged), which must not sign this browser in.
 */
export function checkCallbackState(callbackUrl: URL, expected: string, name: string): void {
  const state = callbackUrl.searchParams.get('state')
  // Compared in constant time: the state is the secret that binds the answer to this browser.
  if (state === null || !constantTimeEqual(state, expected)) {
    throw signInFailed(`The answer from ${name} belongs to a sign-in this browser did not start (its state does not match). Start again.`)
  }
}

/** The OIDC `email_verified` claim as a boolean: only an explicit true (some providers send the string). */
export function isVerifiedClaim(value: unknown): boolean {
  return value === true || value === 'true'
}
