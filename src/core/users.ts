import type { NewUser, UniqueConflict, UserPatch, UserRecord } from '../store/store.js'
import type { CoreContext } from './context.js'
import { addFieldError, TesseraError, ValidationError, type FieldErrors } from './errors.js'
import { checkEmail, checkUsername, identityKey, usernameFromEmail } from './identity.js'
import { validatePassword } from './password-validators.js'
import { hashPassword, makeUnusablePassword } from './passwords.js'
import { toPublicUser } from './public-json.js'
import { revokeUserSessions } from './sessions.js'

/** What a new account is made of; privilege flags are set only by trusted callers (CLI, staff). */
export interface NewAccount {
  email: string
  password: string
  /** Defaults to the e-mail's local part, made unique. */
  username?: string
}

/** Privileges granted at creation; never reachable from a request body. */
export interface AccountPrivileges {
  isStaff?: boolean
  isSuperuser?: boolean
}

/** Profile fields a user may change about themselves. */
export interface ProfileChanges {
  email?: string
  username?: string
  bio?: string | null
  image?: string | null
}

const CONFLICT_MESSAGE: Record<UniqueConflict, string> = {
  email: 'A user with that email already exists.',
  username: 'A user with that username already exists.',
}

/**
 * Creates a user after every validator has passed; throws `ValidationError` naming each bad field.
 * `address` (a registration's client) goes into `user.created` for the audit log.
 */
export async function createUser(
  ctx: CoreContext,
  account: NewAccount,
  privileges: AccountPrivileges = {},
  address?: string,
): Promise<UserRecord> {
  const errors: FieldErrors = {}
  const email = checkEmail(account.email, errors)
  const username =
    account.username === undefined ? await freeUsername(ctx, email) : checkUsername(account.username, email, errors)
  for (const message of validatePassword(account.password, { email, username }, {
    minLength: ctx.settings.passwordMinLength,
    maxLength: ctx.settings.passwordMaxLength,
  })) {
    addFieldError(errors, 'password', message)
  }
  if (!errors.email && (await ctx.store.findUserByEmailKey(identityKey(email)))) {
    addFieldError(errors, 'email', CONFLICT_MESSAGE.email)
  }
  if (!errors.username && (await ctx.store.findUserByUsernameKey(identityKey(username)))) {
    addFieldError(errors, 'username', CONFLICT_MESSAGE.username)
  }
  if (Object.keys(errors).length > 0) throw new ValidationError(errors)

  const now = ctx.clock.now()
  const record: NewUser = {
    email,
    emailKey: identityKey(email),
    username,
    usernameKey: identityKey(username),
    passwordHash: await hashPassword(account.password),
    isActive: true,
    isStaff: privileges.isStaff === true || privileges.isSuperuser === true,
    isSuperuser: privileges.isSuperuser === true,
    emailVerified: false,
    bio: null,
    image: null,
    dateJoined: now,
    lastLogin: null,
    passwordChangedAt: now,
  }
  return insertNewUser(ctx, record, address)
}

/**
 * Creates a user who signs in elsewhere (social login): a username derived from the e-mail, an
 * unusable password (a reset mail can set one later), and `emailVerified` as the provider vouched;
 * `address` goes into `user.created`. Throws `ValidationError` for a malformed or taken e-mail.
 */
export async function createPasswordlessUser(
  ctx: CoreContext,
  rawEmail: string,
  emailVerified: boolean,
  address?: string,
): Promise<UserRecord> {
  const errors: FieldErrors = {}
  const email = checkEmail(rawEmail, errors)
  if (!errors.email && (await ctx.store.findUserByEmailKey(identityKey(email)))) {
    addFieldError(errors, 'email', CONFLICT_MESSAGE.email)
  }
  if (Object.keys(errors).length > 0) throw new ValidationError(errors)
  const username = await freeUsername(ctx, email)
  const now = ctx.clock.now()
  return insertNewUser(ctx, {
    email,
    emailKey: identityKey(email),
    username,
    usernameKey: identityKey(username),
    passwordHash: makeUnusablePassword(),
    isActive: true,
    isStaff: false,
    isSuperuser: false,
    emailVerified,
    bio: null,
    image: null,
    dateJoined: now,
    lastLogin: null,
    passwordChangedAt: now,
  }, address)
}

/** Inserts a validated user and announces it; a key taken meanwhile becomes a `ValidationError`. */
async function insertNewUser(ctx: CoreContext, record: NewUser, address?: string): Promise<UserRecord> {
  // The lookups before give friendly messages; the unique index decides races between them.
  const result = await ctx.store.insertUser(record)
  if (!result.ok) throw new ValidationError({ [result.conflict]: [CONFLICT_MESSAGE[result.conflict]] })
  ctx.events.emit('user.created', { user: toPublicUser(result.user), address })
  return result.user
}

/** A username derived from the e-mail that no one holds yet (a number is added when needed). */
async function freeUsername(ctx: CoreContext, email: string): Promise<string> {
  for (let attempt = 0; attempt < 20; attempt++) {
    // Not a secret: the suffix only has to make a collision unlikely, and the unique index decides.
    const suffix = attempt === 0 ? '' : `-${Math.floor(1000 + Math.random() * 9000 * attempt)}`
    const username = usernameFromEmail(email, suffix)
    if (!(await ctx.store.findUserByUsernameKey(identityKey(username)))) return username
  }
  return usernameFromEmail(email, `-${Date.now()}`)
}

/** The user with `id`; throws `not_found` when there is none. */
export async function getUser(ctx: CoreContext, id: number): Promise<UserRecord> {
  const user = await ctx.store.findUserById(id)
  if (!user) throw new TesseraError('not_found', 'No such user.')
  return user
}

/** Applies a user's own profile changes; a new e-mail must be verified again. */
export async function updateProfile(ctx: CoreContext, id: number, changes: ProfileChanges): Promise<UserRecord> {
  const errors: FieldErrors = {}
  const patch: UserPatch = {}
  if (changes.email !== undefined) {
    patch.email = checkEmail(changes.email, errors)
    patch.emailKey = identityKey(patch.email)
  }
  const current = await getUser(ctx, id)
  if (changes.username !== undefined) {
    patch.username = checkUsername(changes.username, patch.email ?? current.email, errors)
    patch.usernameKey = identityKey(patch.username)
  }
  if (changes.bio !== undefined) patch.bio = changes.bio
  if (changes.image !== undefined) patch.image = changes.image
  // Text with NUL cannot be stored by every engine (PostgreSQL refuses it); refuse it everywhere alike.
  if (patch.bio?.includes('\u0000')) addFieldError(errors, 'bio', 'Null characters are not allowed.')
  if (patch.image?.includes('\u0000')) addFieldError(errors, 'image', 'Null characters are not allowed.')
  if (Object.keys(errors).length > 0) throw new ValidationError(errors)

  if (patch.emailKey !== undefined && patch.emailKey !== current.emailKey) patch.emailVerified = false
  return applyUserPatch(ctx, current, patch)
}

/** Writes `patch`, turns unique conflicts into validation errors, and refreshes cached principals. */
export async function applyUserPatch(ctx: CoreContext, current: UserRecord, patch: UserPatch): Promise<UserRecord> {
  const changed = Object.keys(patch).filter(
    (key) => patch[key as keyof UserPatch] !== current[key as keyof UserRecord],
  )
  if (changed.length === 0) return current
  const result = await ctx.store.updateUser(current.id, patch)
  if (!result) throw new TesseraError('not_found', 'No such user.')
  if (!result.ok) throw new ValidationError({ [result.conflict]: [CONFLICT_MESSAGE[result.conflict]] })
  // Cached principals carry e-mail, username and flags: drop them so the next request reads fresh ones.
  ctx.cache.deleteUser(current.id)
  ctx.events.emit('user.updated', { user: toPublicUser(result.user), changed })
  return result.user
}

/** Activates or deactivates a user; deactivation ends every session at once. */
export async function setUserActive(ctx: CoreContext, id: number, isActive: boolean): Promise<UserRecord> {
  const user = await applyUserPatch(ctx, await getUser(ctx, id), { isActive })
  if (!isActive) await revokeUserSessions(ctx, id, 'user_deactivated')
  return user
}

/** Finds a user by e-mail or username (either key), as the CLI and staff tools name them. */
export async function findUserByIdentifier(ctx: CoreContext, identifier: string): Promise<UserRecord | null> {
  const key = identityKey(identifier)
  const byName = (await ctx.store.findUserByEmailKey(key)) ?? (await ctx.store.findUserByUsernameKey(key))
  if (byName || !/^\d{1,15}$/.test(key)) return byName
  return ctx.store.findUserById(Number(key))
}
