import type { SocialCodePurpose, SocialCodeRecord, UserRecord } from '../store/store.js'
import { addSeconds } from './clock.js'
import type { CoreContext } from './context.js'
import { TesseraError } from './errors.js'
import { createSession, type IssuedToken } from './sessions.js'
import { constantTimeEqual, generateToken, hashSecret, isWellFormedToken, s256Challenge } from './tokens.js'

/**
 * Social codes: `tsrx_` + 43 base64url characters (256 random bits), stored only as SHA-256,
 * single use, short-lived. A `sign_in` code is what the browser flow hands the app on its
 * redirect instead of a session token: the app swaps it (with a POST, within a minute) for the
 * session. A `link` code lets a signed-in user's browser start a flow that links a provider to
 * their account, since a browser navigation carries no `Authorization` header.
 */
export const SOCIAL_CODE_PREFIX = 'tsrx_'

/** Long enough for a redirect and one request from the app; short enough that a leaked code is stale. */
export const SIGN_IN_CODE_TTL_SECONDS = 60
/** Long enough for the app to send the browser to the start URL. */
export const LINK_CODE_TTL_SECONDS = 120

const INVALID_SIGN_IN_CODE = 'This sign-in code is invalid, used or expired. Sign in again.'

/** What a new code is issued for. */
export interface SocialCodeGrant {
  purpose: SocialCodePurpose
  user: UserRecord
  provider: string
  /** The device the session of a `sign_in` code will be named after. */
  device?: string
  /** The app's PKCE `S256` challenge, which the exchange must answer. */
  challenge?: string | null
}

/** Makes a code, stores its hash, and returns the plain code (to hand over once). */
export async function issueSocialCode(ctx: CoreContext, grant: SocialCodeGrant): Promise<string> {
  const now = ctx.clock.now()
  // Expired codes are few and indexed by expiry; clearing them here keeps the table small without a job.
  await ctx.store.deleteExpiredSocialCodes(now)
  const { token, secretHash } = generateToken(SOCIAL_CODE_PREFIX)
  const ttl = grant.purpose === 'sign_in' ? SIGN_IN_CODE_TTL_SECONDS : LINK_CODE_TTL_SECONDS
  await ctx.store.insertSocialCode({
    codeHash: secretHash,
    purpose: grant.purpose,
    userId: grant.user.id,
    provider: grant.provider,
    device: grant.device ?? '',
    challenge: grant.challenge ?? null,
    createdAt: now,
    expiresAt: addSeconds(now, ttl),
  })
  return token
}

/** Spends a live code of `purpose`: its record, or null when it is malformed, unknown, used or expired. */
export async function takeSocialCode(ctx: CoreContext, code: string, purpose: SocialCodePurpose): Promise<SocialCodeRecord | null> {
  if (!code.startsWith(SOCIAL_CODE_PREFIX) || !isWellFormedToken(code, SOCIAL_CODE_PREFIX)) return null
  const codeHash = hashSecret(code)
  const record = await ctx.store.takeSocialCode(codeHash, purpose, ctx.clock.now())
  // The index found the row by hash; the constant-time check keeps that independent of the engine.
  return record && constantTimeEqual(record.codeHash, codeHash) ? record : null
}

/**
 * Swaps a `sign_in` code for a new session of its user. The code is spent whatever happens next,
 * so a stolen one is worth one try. Throws `social_login_failed` for a bad code or a verifier
 * that does not answer the code's challenge, `permission_denied` when the user is inactive.
 * `address` (the exchanging client's) goes into `session.created`.
 */
export async function exchangeSignInCode(
  ctx: CoreContext,
  code: string,
  verifier?: string,
  address?: string,
): Promise<IssuedToken & { user: UserRecord }> {
  const record = await takeSocialCode(ctx, code, 'sign_in')
  if (!record) throw new TesseraError('social_login_failed', INVALID_SIGN_IN_CODE)
  if (record.challenge !== null) {
    // The app that started the flow holds the verifier; whoever only intercepted the redirect does not.
    if (verifier === undefined || !constantTimeEqual(s256Challenge(verifier), record.challenge)) {
      throw new TesseraError('social_login_failed', 'The code verifier does not match the code challenge this sign-in was started with.')
    }
  }
  const user = await ctx.store.findUserById(record.userId)
  if (!user?.isActive) throw new TesseraError('permission_denied', 'This account is inactive.')
  return { user, ...(await createSession(ctx, user, record.device, address)) }
}
