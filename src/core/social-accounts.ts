import type { SocialIdentityRecord, UserRecord } from '../store/store.js'
import type { CoreContext } from './context.js'
import { TesseraError, ValidationError } from './errors.js'
import { hasControlCharacters, identityKey } from './identity.js'
import { UNUSABLE_PASSWORD_PREFIX } from './passwords.js'
import { createPasswordlessUser, getUser } from './users.js'

/**
 * Social login's account rules: who a provider's account signs in as, when it may join an
 * existing account by e-mail, and when an identity may be unlinked. The provider work (OIDC,
 * OAuth 2) is done before, in src/social; what reaches this module is what the provider vouched for.
 */

/** What a provider said about the person who signed in there, after its tokens were checked. */
export interface SocialProfile {
  /** The configured provider's id (`google`, `github`, …). */
  provider: string
  /** The provider's stable id of the account (OIDC `sub`). */
  subject: string
  email: string | null
  /** True only when the provider said so explicitly (`email_verified: true`, GitHub's `verified`). */
  emailVerified: boolean
}

/** Who a social sign-in signed in, with which identity, and whether the account was just made. */
export interface SocialSignIn {
  user: UserRecord
  identity: SocialIdentityRecord
  created: boolean
}

const SUBJECT_MAX = 255
const EMAIL_MAX = 254

/**
 * Signs in with a provider's account: its linked user; else the account with the same e-mail,
 * when both the provider and the account have verified that address; else a new user. Throws
 * `social_account_conflict` when an account has the e-mail but it cannot be joined,
 * `social_login_failed` when a new account would need an e-mail the provider did not give,
 * `permission_denied` for an inactive user (or an unverified one under `requireVerifiedEmail`).
 */
export async function signInWithSocial(ctx: CoreContext, profile: SocialProfile, address?: string): Promise<SocialSignIn> {
  checkProfile(profile)
  const known = await ctx.store.findSocialIdentity(profile.provider, profile.subject)
  if (known) {
    const user = await activeUser(ctx, known.userId)
    const identity = (await ctx.store.touchSocialIdentity(known.id, seenNow(ctx, profile))) ?? known
    return { user: await recordLogin(ctx, user, address), identity, created: false }
  }
  if (profile.email === null) {
    throw new TesseraError(
      'social_login_failed',
      `${profile.provider} did not share an e-mail address, which a new account needs. Allow access to your e-mail ` +
        `address at ${profile.provider}, or sign up with a password and link ${profile.provider} afterwards.`,
    )
  }
  const existing = await ctx.store.findUserByEmailKey(identityKey(profile.email))
  if (existing) {
    const identity = await joinByEmail(ctx, existing, profile)
    return { user: await recordLogin(ctx, existing, address), identity, created: false }
  }
  let user: UserRecord
  try {
    user = await createPasswordlessUser(ctx, profile.email, profile.emailVerified, address)
  } catch (error) {
    // Someone took the e-mail between the lookup and the insert (this person's concurrent first
    // sign-in, or a registration): decide again, as an existing account.
    const taken = error instanceof ValidationError && (await ctx.store.findUserByEmailKey(identityKey(profile.email)))
    if (!taken) throw error
    return signInWithSocial(ctx, profile, address)
  }
  const identity = await insertIdentity(ctx, user.id, profile, 'sign_up')
  return { user: await recordLogin(ctx, user, address), identity, created: true }
}

/**
 * Links a provider's account to a signed-in user; linking one already theirs records its use.
 * Throws `social_account_conflict` when it is linked to someone else.
 */
export async function linkSocialIdentity(ctx: CoreContext, userId: number, profile: SocialProfile): Promise<SocialIdentityRecord> {
  checkProfile(profile)
  await activeUser(ctx, userId)
  const known = await ctx.store.findSocialIdentity(profile.provider, profile.subject)
  if (known) {
    if (known.userId !== userId) throw linkedElsewhere(profile.provider)
    return (await ctx.store.touchSocialIdentity(known.id, seenNow(ctx, profile))) ?? known
  }
  return insertIdentity(ctx, userId, profile, 'link')
}

/**
 * Unlinks one of the user's identities. Throws `not_found` when it is not theirs, and
 * `last_sign_in_method` when it is their only way to sign in (no usable password, no other identity).
 */
export async function unlinkSocialIdentity(ctx: CoreContext, userId: number, identityId: number): Promise<void> {
  const user = await getUser(ctx, userId)
  const identity = (await ctx.store.listSocialIdentities(userId)).find((candidate) => candidate.id === identityId)
  if (!identity) throw new TesseraError('not_found', 'No such social identity.')
  // Django's has_usable_password(): an unusable marker means the account has no password at all.
  const passwordless = user.passwordHash.startsWith(UNUSABLE_PASSWORD_PREFIX)
  // The store checks "not the last one" atomically with the delete, so two concurrent unlinks cannot both pass.
  const outcome = await ctx.store.deleteSocialIdentity(identityId, userId, passwordless)
  if (outcome === 'not_found') throw new TesseraError('not_found', 'No such social identity.')
  if (outcome === 'last') {
    throw new TesseraError(
      'last_sign_in_method',
      `${identity.provider} is the only way to sign in to this account. Set a password first (request a ` +
        'password-reset mail) or link another provider, then unlink it.',
    )
  }
  ctx.events.emit('social.unlinked', { userId, provider: identity.provider, identityId })
}

/** The user's social identities, oldest first. */
export function listSocialIdentities(ctx: CoreContext, userId: number): Promise<SocialIdentityRecord[]> {
  return ctx.store.listSocialIdentities(userId)
}

/**
 * Links a provider's account to the existing account that has its e-mail, or says why not. Both
 * sides must have verified the address: the provider, or anyone could claim an address they do
 * not own and take the account over; the account, or whoever registered it with someone else's
 * address (and a password of their own) would share the account with its real owner afterwards
 * ("pre-hijacking").
 */
async function joinByEmail(ctx: CoreContext, existing: UserRecord, profile: SocialProfile): Promise<SocialIdentityRecord> {
  const provider = profile.provider
  if (!profile.emailVerified) {
    throw new TesseraError(
      'social_account_conflict',
      `An account with the e-mail address ${profile.email} already exists, and ${provider} does not confirm that ` +
        `this address is verified, so signing in with ${provider} cannot be joined to that account automatically. ` +
        `Sign in to the account with its password, then link ${provider} from your account.`,
    )
  }
  if (!existing.emailVerified) {
    throw new TesseraError(
      'social_account_conflict',
      `An account with the e-mail address ${profile.email} already exists, but its address has not been verified ` +
        `yet, so signing in with ${provider} cannot be joined to it automatically. Sign in to the account with its ` +
        `password (or reset the password by e-mail, which verifies the address), then link ${provider}.`,
    )
  }
  if (!existing.isActive) throw inactive()
  return insertIdentity(ctx, existing.id, profile, 'email_match')
}

/** Inserts a user's identity; when a concurrent request linked the same account first, uses that one if it is theirs. */
async function insertIdentity(
  ctx: CoreContext,
  userId: number,
  profile: SocialProfile,
  via: 'sign_up' | 'email_match' | 'link',
): Promise<SocialIdentityRecord> {
  const now = ctx.clock.now()
  const inserted = await ctx.store.insertSocialIdentity({
    userId,
    provider: profile.provider,
    subject: profile.subject,
    email: profile.email,
    emailVerified: profile.emailVerified,
    createdAt: now,
    lastUsedAt: now,
  })
  if (inserted) {
    ctx.events.emit('social.linked', { userId, provider: profile.provider, identityId: inserted.id, via })
    return inserted
  }
  const winner = await ctx.store.findSocialIdentity(profile.provider, profile.subject)
  if (winner?.userId === userId) return winner
  throw linkedElsewhere(profile.provider)
}

/** The user `id`, who must be active to sign in or link. */
async function activeUser(ctx: CoreContext, id: number): Promise<UserRecord> {
  const user = await getUser(ctx, id)
  if (!user.isActive) throw inactive()
  return user
}

/** Checks the account may start a session now, and records the login as a password login does. */
async function recordLogin(ctx: CoreContext, user: UserRecord, address: string | undefined): Promise<UserRecord> {
  if (!user.isActive) throw inactive()
  if (ctx.settings.requireVerifiedEmail && !user.emailVerified) {
    throw new TesseraError('permission_denied', 'E-mail address is not verified.')
  }
  const updated = await ctx.store.updateUser(user.id, { lastLogin: ctx.clock.now() })
  ctx.events.emit('login.succeeded', { userId: user.id, address })
  return updated?.ok ? updated.user : user
}

/** What a sign-in with an identity records about it. */
function seenNow(ctx: CoreContext, profile: SocialProfile) {
  return { email: profile.email, emailVerified: profile.emailVerified, lastUsedAt: ctx.clock.now() }
}

/** Refuses what a provider should never send, before it reaches the store (PostgreSQL cannot even hold NUL). */
function checkProfile(profile: SocialProfile): void {
  const { subject, email } = profile
  if (subject.length === 0 || subject.length > SUBJECT_MAX || hasControlCharacters(subject)) {
    throw new TesseraError('social_login_failed', `${profile.provider} sent an account id Tessera cannot use.`)
  }
  if (email !== null && (email.length > EMAIL_MAX || hasControlCharacters(email))) {
    throw new TesseraError('social_login_failed', `${profile.provider} sent an e-mail address Tessera cannot use.`)
  }
}

function inactive(): TesseraError {
  return new TesseraError('permission_denied', 'This account is inactive.')
}

function linkedElsewhere(provider: string): TesseraError {
  return new TesseraError('social_account_conflict', `This ${provider} account is already linked to another user.`)
}
