import type { UserRecord } from '../store/store.js'
import { emailVerificationMail } from '../mail/templates.js'
import type { CoreContext } from './context.js'
import { runInBackground } from './background.js'
import { encodeUid } from './django-uid.js'
import { checkEmail, identityKey } from './identity.js'
import { ThrottledError, ValidationError, type FieldErrors } from './errors.js'
import { defaultLinkPage, oneTimeLink, siteName, uidTokenLink, type LinkStyle } from './one-time-links.js'
import { findLiveOneTimeToken, invalidOneTimeToken, issueOneTimeToken, spendOneTimeToken } from './one-time-tokens.js'
import type { RateLimit } from './settings.js'
import { takeAttempt } from './throttle.js'
import { applyUserPatch, getUser } from './users.js'

/** Where Tessera's own verification page lives; a verification mail links here unless `verifyUrl` names another. */
export const VERIFY_PAGE_PATH = '/auth/email/verify'

/** Verification mails per user: 5 an hour, so a stolen token cannot turn the server into a mail cannon. */
export const VERIFY_USER_LIMIT: RateLimit = Object.freeze({ limit: 5, windowSeconds: 3600 })

const USER_PREFIX = 'verify:user:'

/** What `requestEmailVerification` did. */
export type VerificationRequest = 'sent' | 'already_verified'

/**
 * Mails the user a link that verifies their current e-mail address, unless it is verified
 * already. Delivers after the answer; a failed delivery is reported. Throws `not_found` or
 * `ThrottledError`.
 */
export async function requestEmailVerification(ctx: CoreContext, userId: number, link: LinkStyle = 'tessera'): Promise<VerificationRequest> {
  const user = await getUser(ctx, userId)
  if (user.emailVerified) return 'already_verified'
  await mailVerificationLink(ctx, user, link)
  return 'sent'
}

/**
 * djoser's `resend_activation` and dj-rest-auth's `resend-email`: mails a verification link when
 * `email` names an active account that has not verified it, and resolves alike, after the same
 * work, otherwise: the per-user limit, the token and the mail all come after the answer, so
 * neither a 429 nor a slower answer tells which addresses have accounts. Past the limit no mail
 * goes, and nothing says so. Throws `ValidationError` for a malformed e-mail.
 */
export async function resendEmailVerification(ctx: CoreContext, email: string, link: LinkStyle = 'tessera'): Promise<void> {
  const errors: FieldErrors = {}
  checkEmail(email, errors)
  if (Object.keys(errors).length > 0) throw new ValidationError(errors)
  const user = await ctx.store.findUserByEmailKey(identityKey(email))
  if (!user || !user.isActive || user.emailVerified) return
  runInBackground(ctx, 'mail: e-mail verification', () =>
    mailVerificationLink(ctx, user, link).catch((error: unknown) => {
      if (!(error instanceof ThrottledError)) throw error
    }),
  )
}

/** Counts one mail against the user's limit, issues the token and mails its link after the answer. */
async function mailVerificationLink(ctx: CoreContext, user: UserRecord, link: LinkStyle): Promise<void> {
  await takeAttempt(ctx.counters, { limit: VERIFY_USER_LIMIT, prefix: USER_PREFIX }, String(user.id), ctx.clock.now())
  const token = await issueOneTimeToken(ctx, user, 'email_verify', ctx.settings.verifyTtlSeconds)
  ctx.events.emit('email.verification_requested', { userId: user.id })
  const message = emailVerificationMail({
    to: user.email,
    username: user.username,
    link: verifyLink(ctx, token, user, link),
    ttlSeconds: ctx.settings.verifyTtlSeconds,
    site: siteName(ctx.settings.publicUrl),
  })
  runInBackground(ctx, 'mail: e-mail verification', () => ctx.mailer.send(message))
}

/** The link a verification mail carries for `token`: `verifyUrl` filled in, or Tessera's own page; for the Django faces, their `{uid}/{token}` page. */
export function verifyLink(ctx: CoreContext, token: string, user: UserRecord, style: LinkStyle = 'tessera'): string {
  if (style === 'django') return uidTokenLink(ctx.settings.activationUrl, ctx.settings.publicUrl, encodeUid(user.id), token)
  return oneTimeLink(ctx.settings.verifyUrl ?? defaultLinkPage(ctx.settings.publicUrl, VERIFY_PAGE_PATH), token)
}

/**
 * Marks the token's user's e-mail verified and spends the token. A token sent to an address the
 * user has since changed is dead; with `forUserId` (the Django faces' `uid`), so is another
 * user's. Throws `invalid_one_time_token`.
 */
export async function confirmEmailVerification(ctx: CoreContext, token: string, forUserId?: number): Promise<UserRecord> {
  const live = await findLiveOneTimeToken(ctx, token, 'email_verify', forUserId)
  if (!live) throw invalidOneTimeToken()
  await spendOneTimeToken(ctx, live)
  const user = await applyUserPatch(ctx, live.user, { emailVerified: true })
  ctx.events.emit('email.verified', { userId: user.id, email: user.email })
  return user
}
