import type { UserRecord } from '../store/store.js'
import { emailVerificationMail } from '../mail/templates.js'
import type { CoreContext } from './context.js'
import { runInBackground } from './background.js'
import { defaultLinkPage, oneTimeLink, siteName } from './one-time-links.js'
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
export async function requestEmailVerification(ctx: CoreContext, userId: number): Promise<VerificationRequest> {
  const user = await getUser(ctx, userId)
  if (user.emailVerified) return 'already_verified'
  await takeAttempt(ctx.counters, { limit: VERIFY_USER_LIMIT, prefix: USER_PREFIX }, String(user.id), ctx.clock.now())
  const token = await issueOneTimeToken(ctx, user, 'email_verify', ctx.settings.verifyTtlSeconds)
  ctx.events.emit('email.verification_requested', { userId: user.id })
  const message = emailVerificationMail({
    to: user.email,
    username: user.username,
    link: verifyLink(ctx, token),
    ttlSeconds: ctx.settings.verifyTtlSeconds,
    site: siteName(ctx.settings.publicUrl),
  })
  runInBackground(ctx, 'mail: e-mail verification', () => ctx.mailer.send(message))
  return 'sent'
}

/** The link a verification mail carries for `token`: `verifyUrl` filled in, or Tessera's own page. */
export function verifyLink(ctx: CoreContext, token: string): string {
  return oneTimeLink(ctx.settings.verifyUrl ?? defaultLinkPage(ctx.settings.publicUrl, VERIFY_PAGE_PATH), token)
}

/**
 * Marks the token's user's e-mail verified and spends the token. A token sent to an address the
 * user has since changed is dead. Throws `invalid_one_time_token`.
 */
export async function confirmEmailVerification(ctx: CoreContext, token: string): Promise<UserRecord> {
  const live = await findLiveOneTimeToken(ctx, token, 'email_verify')
  if (!live) throw invalidOneTimeToken()
  await spendOneTimeToken(ctx, live)
  const user = await applyUserPatch(ctx, live.user, { emailVerified: true })
  ctx.events.emit('email.verified', { userId: user.id, email: user.email })
  return user
}
