import type { OneTimePurpose, OneTimeTokenRecord, UserRecord } from '../store/store.js'
import { addSeconds } from './clock.js'
import type { CoreContext } from './context.js'
import { TesseraError } from './errors.js'
import { identityKey } from './identity.js'
import { constantTimeEqual, generateToken, hashSecret, isWellFormedToken } from './tokens.js'

/**
 * One-time tokens (password reset, e-mail verification): `tsro_` + 43 base64url characters (256
 * random bits), mailed to the user and stored only as SHA-256. The prefix differs from session
 * (`tsr_`) and refresh (`tsrf_`) tokens, so a leaked one is recognisable and can never be
 * mistaken for a credential. A token is live until it is used, it expires, the user's e-mail
 * changes, or the password changes by any path.
 */
export const ONE_TIME_PREFIX = 'tsro_'

const INVALID_MESSAGE = 'This link is invalid or has expired.'

/** The error for a one-time token that is unknown, used, expired or outdated; one answer for all. */
export function invalidOneTimeToken(): TesseraError {
  return new TesseraError('invalid_one_time_token', INVALID_MESSAGE)
}

/** A live one-time token's record and the user it is for. */
export interface LiveOneTimeToken {
  record: OneTimeTokenRecord
  user: UserRecord
}

/** Makes a one-time token for `user`, stores its hash, and returns the plain token (to mail, once). */
export async function issueOneTimeToken(
  ctx: CoreContext,
  user: UserRecord,
  purpose: OneTimePurpose,
  ttlSeconds: number,
): Promise<string> {
  const now = ctx.clock.now()
  const { token, secretHash } = generateToken(ONE_TIME_PREFIX)
  await ctx.store.insertOneTimeToken({
    tokenHash: secretHash,
    userId: user.id,
    purpose,
    email: user.email,
    createdAt: now,
    expiresAt: addSeconds(now, ttlSeconds),
    usedAt: null,
  })
  return token
}

/**
 * The record and user of `token` when it is live for `purpose`; null otherwise (malformed,
 * unknown, for another purpose or another user than `forUserId`, used, expired, its user gone or
 * inactive, sent to an address the user no longer has, or issued before the last password change:
 * a new password ends every link mailed before it, verification links too). Never throws
 * for a bad token, and marks nothing: a page may check a link before showing its form.
 */
export async function findLiveOneTimeToken(
  ctx: CoreContext,
  token: string,
  purpose: OneTimePurpose,
  forUserId?: number,
): Promise<LiveOneTimeToken | null> {
  if (!token.startsWith(ONE_TIME_PREFIX) || !isWellFormedToken(token, ONE_TIME_PREFIX)) return null
  const tokenHash = hashSecret(token)
  const record = await ctx.store.findOneTimeToken(tokenHash)
  // The index found the row by hash; the constant-time check keeps that independent of the engine.
  if (!record || !constantTimeEqual(record.tokenHash, tokenHash)) return null
  if (forUserId !== undefined && record.userId !== forUserId) return null
  if (record.purpose !== purpose || record.usedAt !== null || record.expiresAt <= ctx.clock.now()) return null
  const user = await ctx.store.findUserById(record.userId)
  if (!user || !user.isActive) return null
  // A link mailed to an address the account no longer has must not act for the account.
  if (identityKey(record.email) !== user.emailKey) return null
  // A new password ends every link mailed before it: whoever changed it may be locking out someone
  // who holds the old mailbox. A reset issued in the same millisecond as a change counts as older
  // (`<=`), so a tie never keeps one alive; a verification link may share the millisecond of the
  // account's creation, which sets passwordChangedAt, and stays live then.
  if (purpose === 'password_reset' ? record.createdAt <= user.passwordChangedAt : record.createdAt < user.passwordChangedAt) return null
  return { record, user }
}

/**
 * Spends a live token: atomically, so of concurrent uses exactly one succeeds. Throws
 * `invalid_one_time_token` for the others.
 */
export async function spendOneTimeToken(ctx: CoreContext, live: LiveOneTimeToken): Promise<void> {
  if (!(await ctx.store.markOneTimeTokenUsed(live.record.tokenHash, ctx.clock.now()))) throw invalidOneTimeToken()
}

/** Deletes one-time tokens that have expired; returns how many. */
export async function clearExpiredOneTimeTokens(ctx: CoreContext): Promise<number> {
  return ctx.store.deleteExpiredOneTimeTokens(ctx.clock.now())
}
