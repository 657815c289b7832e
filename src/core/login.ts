import type { UserRecord } from '../store/store.js'
import type { CoreContext } from './context.js'
import { TesseraError, ThrottledError } from './errors.js'
import { IDENTIFIER_MAX } from './events.js'
import { identityKey, looksLikeEmail } from './identity.js'
import { hashPassword, verifyDummyPassword, verifyPassword } from './passwords.js'
import { clearAttempts, forgiveAttempt, takeAttempt, type Throttle } from './throttle.js'

/** What every login route of every face hands the core. */
export interface LoginAttempt {
  /** An e-mail or a username. */
  identifier: string
  password: string
  /** The client's address, for the per-address limit and the audit trail. */
  address?: string
}

const INVALID_CREDENTIALS = 'Unable to log in with provided credentials.'
const EMAIL_NOT_VERIFIED = 'E-mail address is not verified.'
const ACCOUNT = 'login:account:'
const ADDRESS = 'login:address:'

/**
 * Checks a password login and returns the user. Unknown user, wrong password and inactive user
 * all throw the same `invalid_credentials`, after the same amount of hashing work; throws
 * `ThrottledError` once the account or the address has used up its failures. With
 * `requireVerifiedEmail`, a correct password for an unverified e-mail throws `permission_denied`.
 */
export async function verifyLogin(ctx: CoreContext, attempt: LoginAttempt): Promise<UserRecord> {
  const key = identityKey(attempt.identifier)
  const now = ctx.clock.now()
  const user = await findLoginUser(ctx, key)
  const account = accountThrottle(ctx)
  const accountKey = accountKeyOf(user, key)
  const address: Throttle | null =
    ctx.settings.addressThrottle && attempt.address ? { limit: ctx.settings.addressThrottle, prefix: ADDRESS } : null
  // What failures report: the identifier as Django logs it (never the password), cut so a huge
  // one cannot bloat the audit log, and the account it names, when it names one.
  const failed = { identifier: key.slice(0, IDENTIFIER_MAX), userId: user?.id ?? null, address: attempt.address }
  try {
    // Every attempt is counted before the password is checked, and the count taken back on success.
    if (account) await takeAttempt(ctx.counters, account, accountKey, now)
    if (address) await takeAttempt(ctx.counters, address, attempt.address!, now)
  } catch (error) {
    if (error instanceof ThrottledError) {
      ctx.events.emit('login.failed', { ...failed, reason: 'throttled' })
    }
    throw error
  }

  let ok = false
  let needsRehash = false
  if (user) ({ ok, needsRehash } = await verifyPassword(attempt.password, user.passwordHash))
  // Same work for a user who does not exist, so timing does not tell which accounts do.
  else await verifyDummyPassword(attempt.password)

  if (!user || !ok || !user.isActive) {
    ctx.events.emit('login.failed', { ...failed, reason: 'invalid_credentials' })
    throw new TesseraError('invalid_credentials', INVALID_CREDENTIALS)
  }

  if (account) await clearAttempts(ctx.counters, account, accountKey)
  if (address) await forgiveAttempt(ctx.counters, address, attempt.address!, now)
  // Said only after the password proved right, so it tells nothing to someone guessing; the
  // person can verify through a reset link, which proves the mailbox as well.
  if (ctx.settings.requireVerifiedEmail && !user.emailVerified) {
    ctx.events.emit('login.failed', { ...failed, reason: 'email_unverified' })
    throw new TesseraError('permission_denied', EMAIL_NOT_VERIFIED)
  }
  const patch: Partial<UserRecord> = { lastLogin: now }
  // Old hashes (Django's PBKDF2, weaker argon2) are upgraded while the plain password is at hand.
  if (needsRehash) patch.passwordHash = await hashPassword(attempt.password)
  const updated = await ctx.store.updateUser(user.id, patch)
  ctx.events.emit('login.succeeded', { userId: user.id, address: attempt.address })
  return updated?.ok ? updated.user : user
}

/** The per-account limit on password guesses, shared by every path that checks a password. */
export function accountThrottle(ctx: CoreContext): Throttle | null {
  return ctx.settings.loginThrottle && { limit: ctx.settings.loginThrottle, prefix: ACCOUNT }
}

/**
 * What failures are counted under: the account when the identifier names one — so its e-mail and
 * its username share one budget — else the identifier as typed.
 */
export function accountKeyOf(user: UserRecord | null, identifierKey: string): string {
  return user ? `user:${user.id}` : `name:${identifierKey}`
}

/** The user a login identifier names: by e-mail when it has an @, then by username. */
async function findLoginUser(ctx: CoreContext, key: string): Promise<UserRecord | null> {
  if (looksLikeEmail(key)) {
    const byEmail = await ctx.store.findUserByEmailKey(key)
    if (byEmail) return byEmail
  }
  return ctx.store.findUserByUsernameKey(key)
}
