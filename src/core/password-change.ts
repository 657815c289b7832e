import type { UserPatch, UserRecord } from '../store/store.js'
import type { CoreContext } from './context.js'
import { addFieldError, TesseraError, ValidationError, type FieldErrors } from './errors.js'
import { validatePassword } from './password-validators.js'
import { hashPassword, verifyPassword } from './passwords.js'
import { revokeUserSessions } from './sessions.js'
import { accountKeyOf, accountThrottle } from './login.js'
import { clearAttempts, takeAttempt } from './throttle.js'
import { getUser, setUserActive, updateProfile, type ProfileChanges } from './users.js'

/** How `setPassword` treats the user's sessions and reports errors. */
export interface SetPasswordOptions {
  /** The session that survives (the caller's own); every other one is revoked. @default none: all are revoked */
  keepSessionId?: string
  /** The field a weak password is reported under (`password` on the Conduit face). @default 'newPassword' */
  field?: string
}

// Django's PasswordChangeForm message.
const WRONG_CURRENT = 'Your old password was entered incorrectly. Please enter it again.'

/** Adds the validators' complaints about `password` for `user` to `errors` under `field`. */
export function addPasswordErrors(ctx: CoreContext, user: UserRecord, password: string, field: string, errors: FieldErrors): void {
  const messages = validatePassword(password, { email: user.email, username: user.username }, {
    minLength: ctx.settings.passwordMinLength,
    maxLength: ctx.settings.passwordMaxLength,
  })
  for (const message of messages) addFieldError(errors, field, message)
}

/**
 * Hashes and stores a password already validated, moves `passwordChangedAt` (which kills every
 * reset link issued before it), revokes every session but `keepSessionId`, and emits
 * `password.changed`. Returns the updated user; throws `not_found` when the user is gone.
 */
export async function storePassword(
  ctx: CoreContext,
  user: UserRecord,
  password: string,
  keepSessionId?: string,
  extra: UserPatch = {},
): Promise<UserRecord> {
  return storePasswordHash(ctx, user, await hashPassword(password), keepSessionId, extra)
}

/**
 * `storePassword` with the hash already made, or an unusable marker (`makeUnusablePassword`):
 * whatever the hash, it counts as a password change, with the same consequences.
 */
export async function storePasswordHash(
  ctx: CoreContext,
  user: UserRecord,
  passwordHash: string,
  keepSessionId?: string,
  extra: UserPatch = {},
): Promise<UserRecord> {
  const result = await ctx.store.updateUser(user.id, { ...extra, passwordHash, passwordChangedAt: ctx.clock.now() })
  if (!result) throw new TesseraError('not_found', 'No such user.')
  if (!result.ok) throw new TesseraError('internal_error', `Unexpected ${result.conflict} conflict while setting a password.`)
  await revokeUserSessions(ctx, user.id, 'password_changed', keepSessionId)
  ctx.events.emit('password.changed', { userId: user.id })
  return result.user
}

/**
 * Sets a new password without asking for the current one (Conduit's PUT /api/user, staff tools,
 * a reset): the validators apply, then `storePassword`. Throws `ValidationError` under
 * `options.field`, or `not_found`.
 */
export async function setPassword(
  ctx: CoreContext,
  userId: number,
  newPassword: string,
  options: SetPasswordOptions = {},
): Promise<UserRecord> {
  const user = await getUser(ctx, userId)
  const errors: FieldErrors = {}
  addPasswordErrors(ctx, user, newPassword, options.field ?? 'newPassword', errors)
  if (Object.keys(errors).length > 0) throw new ValidationError(errors)
  return storePassword(ctx, user, newPassword, options.keepSessionId)
}

/**
 * Changes a password after checking the current one; every session but `keepSessionId` is
 * revoked. A wrong `currentPassword` and a weak `newPassword` are reported together as a
 * `ValidationError`. Wrong current passwords count against the login throttle's limit, per user,
 * so a stolen token cannot be used to guess the password behind it; throws `ThrottledError`.
 */
export async function changePassword(
  ctx: CoreContext,
  userId: number,
  currentPassword: string,
  newPassword: string,
  keepSessionId?: string,
): Promise<UserRecord> {
  const user = await getUser(ctx, userId)
  const ok = await isCurrentPassword(ctx, user, currentPassword)
  const errors: FieldErrors = {}
  if (!ok) addFieldError(errors, 'currentPassword', WRONG_CURRENT)
  addPasswordErrors(ctx, user, newPassword, 'newPassword', errors)
  if (Object.keys(errors).length > 0) throw new ValidationError(errors)
  return storePassword(ctx, user, newPassword, keepSessionId)
}

/**
 * A user closing their own account (djoser's `DELETE users/me/`) with their current password: the
 * account is deactivated, which ends every session at once (the core deletes no user). Throws
 * `ValidationError` (field `currentPassword`) for a wrong password, `ThrottledError` past the
 * account's limit on guesses.
 */
export async function deactivateOwnAccount(ctx: CoreContext, userId: number, currentPassword: string): Promise<void> {
  const user = await getUser(ctx, userId)
  if (!(await isCurrentPassword(ctx, user, currentPassword))) throw new ValidationError({ currentPassword: [WRONG_CURRENT] })
  await setUserActive(ctx, user.id, false)
}

/** True when `password` is the user's; a wrong one is a guess at the account, counted with failed logins. */
async function isCurrentPassword(ctx: CoreContext, user: UserRecord, password: string): Promise<boolean> {
  const throttle = accountThrottle(ctx)
  const key = accountKeyOf(user, '')
  if (throttle) await takeAttempt(ctx.counters, throttle, key, ctx.clock.now())
  const { ok } = await verifyPassword(password, user.passwordHash)
  if (ok && throttle) await clearAttempts(ctx.counters, throttle, key)
  return ok
}

/**
 * A user's own account update with an optional new password (Conduit's PUT /api/user). The new
 * password is checked against the e-mail and username the account will have, before anything is
 * written, so a refused password leaves the profile unchanged too. Every session but
 * `keepSessionId` ends when the password changes. Throws `ValidationError` (the password under
 * `password`).
 */
export async function updateAccount(
  ctx: CoreContext,
  userId: number,
  changes: ProfileChanges & { password?: string },
  keepSessionId?: string,
): Promise<UserRecord> {
  const { password, ...profile } = changes
  if (password !== undefined) {
    const current = await getUser(ctx, userId)
    const errors: FieldErrors = {}
    const future = { ...current, email: profile.email ?? current.email, username: profile.username ?? current.username }
    addPasswordErrors(ctx, future, password, 'password', errors)
    if (Object.keys(errors).length > 0) throw new ValidationError(errors)
  }
  const user = await updateProfile(ctx, userId, profile)
  return password === undefined ? user : storePassword(ctx, user, password, keepSessionId)
}
