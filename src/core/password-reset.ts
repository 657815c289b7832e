import type { UserRecord } from '../store/store.js'
import { passwordResetMail } from '../mail/templates.js'
import type { CoreContext } from './context.js'
import { ValidationError, type FieldErrors } from './errors.js'
import { checkEmail, identityKey } from './identity.js'
import { runInBackground } from './background.js'
import { encodeUid } from './django-uid.js'
import { defaultLinkPage, oneTimeLink, siteName, uidTokenLink, type LinkStyle } from './one-time-links.js'
import { findLiveOneTimeToken, invalidOneTimeToken, issueOneTimeToken, spendOneTimeToken } from './one-time-tokens.js'
import { addPasswordErrors, storePassword } from './password-change.js'
import { UNUSABLE_PASSWORD_PREFIX } from './passwords.js'
import type { RateLimit } from './settings.js'
import { takeAttempt } from './throttle.js'
import { applyUserPatch } from './users.js'

/** Where Tessera's own reset page lives; a reset mail links here unless `resetUrl` names another. */
export const RESET_PAGE_PATH = '/auth/password/reset/confirm'

/**
 * Reset mails per e-mail address: 5 an hour, whether or not the address has an account (so the
 * limit tells nothing either), enough for a person who lost a mail and too few to flood a mailbox.
 */
export const RESET_EMAIL_LIMIT: RateLimit = Object.freeze({ limit: 5, windowSeconds: 3600 })

const EMAIL_PREFIX = 'reset:email:'
const ADDRESS_PREFIX = 'reset:address:'

/**
 * Starts a password reset: when `email` belongs to an active account with a usable password (as
 * Django's PasswordResetForm decides), issues a reset token and mails its link, after the answer.
 * Resolves the same way, after the same work, whatever the e-mail, so neither the answer nor its
 * timing tells which addresses have accounts; a failure to issue or deliver is reported. Throws
 * `ValidationError` for a malformed e-mail and `ThrottledError` past the per-e-mail or per-address
 * limit.
 */
export async function requestPasswordReset(ctx: CoreContext, email: string, address?: string, link: LinkStyle = 'tessera'): Promise<void> {
  const errors: FieldErrors = {}
  checkEmail(email, errors)
  if (Object.keys(errors).length > 0) throw new ValidationError(errors)

  const key = identityKey(email)
  const now = ctx.clock.now()
  // Every request counts, known address or not: each one may send a mail.
  if (ctx.settings.addressThrottle && address) {
    await takeAttempt(ctx.counters, { limit: ctx.settings.addressThrottle, prefix: ADDRESS_PREFIX }, address, now)
  }
  await countResetMail(ctx, key)

  const user = await ctx.store.findUserByEmailKey(key)
  if (!user || !user.isActive || user.passwordHash.startsWith(UNUSABLE_PASSWORD_PREFIX)) return
  // Both paths have done the same work (one indexed read) when the request is answered; the
  // token's insert and the mail, which only a known address costs, come after the answer.
  runInBackground(ctx, 'mail: password reset', () => mailResetLink(ctx, user, address, link))
}

/**
 * Counts one reset mail to the e-mail whose key is `emailKey` against `RESET_EMAIL_LIMIT`, which
 * every sender shares (the form, staff); throws `ThrottledError` past it.
 */
export async function countResetMail(ctx: CoreContext, emailKey: string): Promise<void> {
  await takeAttempt(ctx.counters, { limit: RESET_EMAIL_LIMIT, prefix: EMAIL_PREFIX }, emailKey, ctx.clock.now())
}

/**
 * Issues a reset token for `user`, emits `password.reset_requested` (with the requester's
 * `address`) and mails the link; rejects when the token cannot be stored or the mail not sent.
 */
export async function mailResetLink(ctx: CoreContext, user: UserRecord, address?: string, link: LinkStyle = 'tessera'): Promise<void> {
  const token = await issueOneTimeToken(ctx, user, 'password_reset', ctx.settings.resetTtlSeconds)
  ctx.events.emit('password.reset_requested', { userId: user.id, address })
  await ctx.mailer.send(passwordResetMail({
    to: user.email,
    username: user.username,
    link: resetLink(ctx, token, user, link),
    ttlSeconds: ctx.settings.resetTtlSeconds,
    site: siteName(ctx.settings.publicUrl),
  }))
}

/** The link a reset mail carries for `token`: `resetUrl` filled in, or Tessera's own page; for the Django faces, their `{uid}/{token}` page. */
export function resetLink(ctx: CoreContext, token: string, user: UserRecord, style: LinkStyle = 'tessera'): string {
  if (style === 'django') return uidTokenLink(ctx.settings.passwordResetConfirmUrl, ctx.settings.publicUrl, encodeUid(user.id), token)
  return oneTimeLink(ctx.settings.resetUrl ?? defaultLinkPage(ctx.settings.publicUrl, RESET_PAGE_PATH), token)
}

/**
 * Finishes a reset: sets `newPassword` for the token's user and revokes every session. The token
 * is spent only once the new password passes the validators, so a person who chose a weak one can
 * try again with the same link. Following the link proves the mailbox is the user's, so the
 * e-mail counts as verified from then on; `password.reset` tells who, from `address`. With
 * `forUserId` (the Django faces' `uid`), a token of any other user is invalid. Throws
 * `invalid_one_time_token` or `ValidationError`.
 */
export async function confirmPasswordReset(
  ctx: CoreContext,
  token: string,
  newPassword: string,
  address?: string,
  forUserId?: number,
): Promise<UserRecord> {
  const live = await findLiveOneTimeToken(ctx, token, 'password_reset', forUserId)
  if (!live) throw invalidOneTimeToken()
  const errors: FieldErrors = {}
  addPasswordErrors(ctx, live.user, newPassword, 'newPassword', errors)
  if (Object.keys(errors).length > 0) throw new ValidationError(errors)
  await spendOneTimeToken(ctx, live)
  const stored = await storePassword(ctx, live.user, newPassword)
  const user = stored.emailVerified ? stored : await applyUserPatch(ctx, stored, { emailVerified: true })
  ctx.events.emit('password.reset', { userId: user.id, address })
  return user
}
