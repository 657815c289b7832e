import type { UserPatch, UserRecord } from '../store/store.js'
import type { CoreContext } from './context.js'
import { addFieldError, TesseraError, ValidationError, type FieldErrors } from './errors.js'
import type { AdminAction } from './events.js'
import { checkEmail, checkUsername, identityKey } from './identity.js'
import type { PrincipalUser } from './principal.js'
import { revokeUserSessions } from './sessions.js'
import { applyUserPatch, getUser } from './users.js'

/**
 * What staff may do to other accounts (the Staff API, and any other face that offers it).
 *
 * - Only staff (superusers are always staff) may act at all.
 * - A staff user who is not a superuser may change `isActive`, `isStaff`, `email` and `username`,
 *   but never `isSuperuser`, and may not touch a superuser's account at all: changing a
 *   superuser's e-mail would let them reset the superuser's password, so it is refused with the flags.
 * - Nobody may deactivate or demote themselves: it prevents locking out the last admin (and an
 *   admin locking themselves out by mistake). Another admin has to do it.
 * - A superuser is always staff: granting `isSuperuser` grants `isStaff`, and `isStaff: false`
 *   on a superuser is refused unless `isSuperuser: false` goes with it.
 * - Acting on a superuser's sessions, tokens or password (revoking, minting, a reset mail, an
 *   unusable password) takes a superuser; seeing their sessions does not.
 * - Every change is announced as `admin.action`, with who acted and from where (the audit log).
 */

/** Who acts on another account, and from where (for the rules and the audit log). */
export interface StaffActor {
  user: PrincipalUser
  address: string | undefined
}

/** What an action on a user's sessions, tokens or password needs (see `checkStaffSessionAccess`). */
export type StaffAccess = 'read' | 'revoke' | 'mint'

/** Fields staff may change on an account. */
export interface StaffUserChanges {
  isActive?: boolean
  isStaff?: boolean
  isSuperuser?: boolean
  email?: string
  username?: string
}

/** Filters of the staff user listing; `afterId` is the previous page's last id. */
export interface StaffUserQuery {
  q?: string
  isActive?: boolean
  isStaff?: boolean
  afterId?: number
  /** 1–200. @default 50 */
  limit?: number
}

/** One page of users and the id to continue after, or null on the last page. */
export interface UserPage {
  users: UserRecord[]
  nextAfterId: number | null
}

export const USER_PAGE_DEFAULT = 50
export const USER_PAGE_MAX = 200

const DENIED = 'You do not have permission to perform this action.'
/** The fields `updateUserAsStaff` may change, in the order `user_updated` names them. */
const STAFF_FIELDS = ['isActive', 'isStaff', 'isSuperuser', 'email', 'username'] as const

function requireStaff(actor: PrincipalUser): void {
  if (!actor.isActive || !(actor.isStaff || actor.isSuperuser)) throw new TesseraError('permission_denied', DENIED)
}

/**
 * The user `userId` once `actor` is known to be staff and allowed `access` to them. Staff is
 * checked first, so that someone who is not cannot tell which ids exist. Throws
 * `permission_denied` or `not_found`.
 */
export async function staffTarget(ctx: CoreContext, actor: StaffActor, userId: number, access: StaffAccess): Promise<UserRecord> {
  requireStaff(actor.user)
  const target = await getUser(ctx, userId)
  checkStaffSessionAccess(actor.user, target, access)
  return target
}

/** Announces what `actor` did to `userId` (the audit log subscribes). */
export function announceAdminAction(
  ctx: CoreContext,
  actor: StaffActor,
  action: AdminAction,
  userId: number,
  detail?: Record<string, string | number | boolean>,
): void {
  ctx.events.emit('admin.action', { actorId: actor.user.id, address: actor.address, action, userId, ...(detail ? { detail } : {}) })
}

/** One page of users by id; throws `ValidationError` for a limit outside 1–200. */
export async function listUsersPage(ctx: CoreContext, query: StaffUserQuery): Promise<UserPage> {
  const limit = query.limit ?? USER_PAGE_DEFAULT
  const errors: FieldErrors = {}
  if (!Number.isInteger(limit) || limit < 1 || limit > USER_PAGE_MAX) {
    addFieldError(errors, 'limit', `Ensure this value is between 1 and ${USER_PAGE_MAX}.`)
  }
  if (query.afterId !== undefined && (!Number.isSafeInteger(query.afterId) || query.afterId < 0)) {
    addFieldError(errors, 'cursor', 'Invalid cursor.')
  }
  if (Object.keys(errors).length > 0) throw new ValidationError(errors)
  // PostgreSQL cannot compare text holding NUL, and no stored key holds one.
  // eslint-disable-next-line no-control-regex
  const q = query.q?.replace(/\u0000/g, '')
  // One row more than asked tells whether another page follows, so the last page says so itself.
  const rows = await ctx.store.listUsers({
    ...(q !== undefined ? { q } : {}),
    ...(query.isActive !== undefined ? { isActive: query.isActive } : {}),
    ...(query.isStaff !== undefined ? { isStaff: query.isStaff } : {}),
    ...(query.afterId !== undefined ? { afterId: query.afterId } : {}),
    limit: limit + 1,
  })
  const users = rows.slice(0, limit)
  return { users, nextAfterId: rows.length > limit ? users[users.length - 1]!.id : null }
}

/**
 * Applies a staff member's changes to a user under the rules above. Throws `permission_denied`,
 * `not_found` or `ValidationError`; deactivation revokes every session of the user at once. A
 * change announces `admin.action` `user_updated` with the fields changed and their new values
 * (flags, e-mail, username: none of them a secret).
 */
export async function updateUserAsStaff(
  ctx: CoreContext,
  staff: StaffActor,
  userId: number,
  changes: StaffUserChanges,
): Promise<UserRecord> {
  const actor = staff.user
  requireStaff(actor)
  const current = await getUser(ctx, userId)

  const differs = <K extends 'isActive' | 'isStaff' | 'isSuperuser'>(key: K) =>
    changes[key] !== undefined && changes[key] !== current[key]
  if (!actor.isSuperuser) {
    if (differs('isSuperuser')) throw new TesseraError('permission_denied', 'Only a superuser may grant or revoke superuser status.')
    if (current.isSuperuser && (differs('isActive') || differs('isStaff') || changes.email !== undefined || changes.username !== undefined)) {
      throw new TesseraError('permission_denied', "Only a superuser may change a superuser's account.")
    }
  }
  if (actor.id === current.id && (changes.isActive === false || (changes.isStaff === false && current.isStaff) || (changes.isSuperuser === false && current.isSuperuser))) {
    throw new TesseraError(
      'permission_denied',
      'You cannot deactivate or demote yourself; ask another admin (this prevents locking out the last admin).',
    )
  }

  const errors: FieldErrors = {}
  const patch: UserPatch = {}
  if (changes.email !== undefined) {
    patch.email = checkEmail(changes.email, errors)
    patch.emailKey = identityKey(patch.email)
  }
  if (changes.username !== undefined) {
    patch.username = checkUsername(changes.username, patch.email ?? current.email, errors)
    patch.usernameKey = identityKey(patch.username)
  }
  if (changes.isActive !== undefined) patch.isActive = changes.isActive
  if (changes.isSuperuser !== undefined) patch.isSuperuser = changes.isSuperuser
  if (changes.isStaff !== undefined) patch.isStaff = changes.isStaff
  if (patch.isSuperuser === true) {
    if (changes.isStaff === false) addFieldError(errors, 'isStaff', 'A superuser is always staff.')
    patch.isStaff = true
  } else if (changes.isStaff === false && current.isSuperuser && patch.isSuperuser !== false) {
    addFieldError(errors, 'isStaff', 'A superuser is always staff; revoke isSuperuser as well.')
  }
  if (Object.keys(errors).length > 0) throw new ValidationError(errors)

  // A new address is unproven, as when users change it themselves.
  if (patch.emailKey !== undefined && patch.emailKey !== current.emailKey) patch.emailVerified = false
  const user = await applyUserPatch(ctx, current, patch)
  // As setUserActive: a deactivated user keeps no live session (and none made in a race survives).
  if (patch.isActive === false) await revokeUserSessions(ctx, current.id, 'user_deactivated')
  const changed = STAFF_FIELDS.filter((field) => user[field] !== current[field])
  if (changed.length > 0) {
    const detail: Record<string, string | number | boolean> = { changed: changed.join(',') }
    for (const field of changed) detail[field] = user[field]
    announceAdminAction(ctx, staff, 'user_updated', user.id, detail)
  }
  return user
}

/**
 * Checks that `actor` may see (`read`), end (`revoke`: sessions, the password) or mint sessions
 * of `target`. Minting a token is acting as the user, so a staff user who is not a superuser may
 * not do it for a superuser; throws `permission_denied`.
 */
export function checkStaffSessionAccess(actor: PrincipalUser, target: UserRecord, action: StaffAccess): void {
  requireStaff(actor)
  if (action !== 'read' && target.isSuperuser && !actor.isSuperuser) {
    throw new TesseraError('permission_denied', "Only a superuser may act on a superuser's sessions, tokens or password.")
  }
}
