import type { UserRecord } from '../store/store.js'
import type { CoreContext } from './context.js'
import { TesseraError, ValidationError } from './errors.js'
import { storePasswordHash } from './password-change.js'
import { countResetMail, mailResetLink } from './password-reset.js'
import { makeUnusablePassword } from './passwords.js'
import { announceAdminAction, staffTarget, type StaffActor } from './staff.js'

/*
 * Staff acting on another user's password, under the rules of staff.ts: ending a superuser's
 * password (or mailing them a way to replace it) takes a superuser, as ending their sessions does.
 */

const INACTIVE = 'This account is inactive; activate it first.'
const NO_EMAIL = 'This account has no e-mail address to send a link to.'
const SELF = 'You cannot make your own password unusable; ask another admin (this prevents locking yourself out).'

/**
 * Mails the user the same reset link the self-service form sends, and announces
 * `password_reset_sent`. Unlike the form it also serves accounts without a usable password (that
 * is how staff give one to an imported or social account). The mail counts against the per-e-mail
 * limit the form uses, so staff cannot flood a mailbox either. Throws `permission_denied`,
 * `not_found`, `ValidationError` (inactive, no e-mail), `ThrottledError`, or `service_unavailable`
 * when the mail could not be sent.
 */
export async function sendPasswordResetAsStaff(ctx: CoreContext, actor: StaffActor, userId: number): Promise<void> {
  const user = await staffTarget(ctx, actor, userId, 'revoke')
  if (!user.isActive) throw new ValidationError({ user: [INACTIVE] })
  if (user.email.trim() === '') throw new ValidationError({ user: [NO_EMAIL] })
  await countResetMail(ctx, user.emailKey)
  // Sent before the answer, unlike the form's (whose timing must not tell whether an account
  // exists): staff should learn that the mail did not go.
  try {
    await mailResetLink(ctx, user, actor.address)
  } catch (error) {
    // A database that is down says so itself; anything else failed on the way to the mailbox.
    if (error instanceof TesseraError) throw error
    throw new TesseraError('service_unavailable', 'The reset mail could not be sent; try again later.', { cause: error })
  }
  announceAdminAction(ctx, actor, 'password_reset_sent', user.id)
}

/**
 * Makes the user's password unusable, as Django's `set_unusable_password()`: no password signs in
 * until a reset sets a new one. It counts as a password change: reset links already sent die and
 * every session ends. Announces `password_unusable`. Throws `permission_denied` (also for one's
 * own account) or `not_found`.
 */
export async function setUnusablePasswordAsStaff(ctx: CoreContext, actor: StaffActor, userId: number): Promise<UserRecord> {
  const user = await staffTarget(ctx, actor, userId, 'revoke')
  if (user.id === actor.user.id) throw new TesseraError('permission_denied', SELF)
  const updated = await storePasswordHash(ctx, user, makeUnusablePassword())
  announceAdminAction(ctx, actor, 'password_unusable', user.id)
  return updated
}
