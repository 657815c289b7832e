import type { OneTimePurpose, SessionRecord, SocialIdentityRecord, Store, UserRecord } from '../store/store.js'
import { addSeconds, systemClock, type Clock } from './clock.js'
import type { CoreContext } from './context.js'
import { TesseraError } from './errors.js'
import { TesseraEventBus, type TesseraEventName, type TesseraEvents } from './events.js'
import { verifyLogin, type LoginAttempt } from './login.js'
import { noCache, type CredentialCheck, type Principal, type PrincipalCache } from './principal.js'
import {
  clearDeadSessions,
  createSession,
  listSessions,
  revokeDeviceSessions,
  revokeSession,
  revokeUserSessions,
  rotateSessionToken,
  validateToken,
  type IssuedToken,
} from './sessions.js'
import { resolveSettings, type TesseraSettings } from './settings.js'
import type { CounterStore } from './throttle.js'
import type { JWK } from 'jose'
import { AccessTokens, type IssuedAccessToken } from './access-tokens.js'
import { isSessionId, TOKEN_PREFIX } from './tokens.js'
import { JwtKeyring } from './jwt-keys.js'
import { RefreshTokens, type JwtPair } from './refresh-tokens.js'
import { unconfiguredMailer, type Mailer } from './mailer.js'
import { confirmEmailVerification, requestEmailVerification, resendEmailVerification, type VerificationRequest } from './email-verification.js'
import type { LinkStyle } from './one-time-links.js'
import { clearExpiredOneTimeTokens, findLiveOneTimeToken } from './one-time-tokens.js'
import { changePassword, deactivateOwnAccount, setPassword, updateAccount, type SetPasswordOptions } from './password-change.js'
import { confirmPasswordReset, requestPasswordReset } from './password-reset.js'
import { listUsersPage, updateUserAsStaff, type StaffActor, type StaffUserChanges, type StaffUserQuery, type UserPage } from './staff.js'
import { createTokenAsStaff, listSessionsAsStaff, revokeSessionAsStaff, revokeUserSessionsAsStaff } from './staff-sessions.js'
import { sendPasswordResetAsStaff, setUnusablePasswordAsStaff } from './staff-passwords.js'
import { listAuditPage, subscribeAuditLog, type AuditPage, type AuditQuery } from './audit.js'
import { AuditWriter, type AuditBacklog, type AuditWriterOptions } from './audit-writer.js'
import { TouchWriter, type TouchWriterOptions } from './touch-writer.js'
import {
  linkSocialIdentity,
  listSocialIdentities,
  signInWithSocial,
  unlinkSocialIdentity,
  type SocialProfile,
} from './social-accounts.js'
import { exchangeSignInCode, issueSocialCode, takeSocialCode } from './social-codes.js'
import { DjangoImport, type DjangoImportOptions } from './django-import.js'
import {
  createUser,
  findUserByIdentifier,
  getUser,
  setUserActive,
  updateProfile,
  type AccountPrivileges,
  type NewAccount,
  type ProfileChanges,
} from './users.js'

/** What `createTessera` needs; everything but the store has a default. */
export interface TesseraOptions {
  store: Store
  /** Counters for login throttling; in-process when not given. */
  counters: CounterStore
  /** @default no cache: every credential is checked against the store */
  cache?: PrincipalCache
  /** @default the wall clock */
  clock?: Clock
  settings?: Partial<TesseraSettings>
  /** Where mails go (the server passes its SMTP or log mailer). @default none: a send fails, reported through `reportError` */
  mailer?: Mailer
  /** Where failures that must not fail a request are reported. @default ignored */
  reportError?: (error: unknown, what: string) => void
  /**
   * The audit log: core events written to the store in batches, after the requests that caused
   * them (src/core/audit.ts). `false` turns it off, for embedders who keep their own. @default on
   */
  audit?: boolean | AuditWriterOptions
  /** How sessions' `lastUsedAt` writes are batched (src/core/touch-writer.ts). */
  touches?: TouchWriterOptions
}

/** A user, a new session and its token: what register and login hand back. */
export interface SignedIn extends IssuedToken {
  user: UserRecord
}

/**
 * The core API: every face (HTTP routes, the CLI, the admin page, an embedding app) calls these
 * methods, so each rule lives here once.
 */
export class Tessera {
  readonly #ctx: CoreContext
  readonly #keyring: JwtKeyring
  readonly #access: AccessTokens
  readonly #refresh: RefreshTokens
  readonly #audit: AuditWriter | null
  readonly #touches: TouchWriter

  constructor(options: TesseraOptions) {
    const reportError = options.reportError ?? (() => {})
    this.#touches = new TouchWriter(options.store, reportError, options.touches)
    this.#ctx = {
      store: options.store,
      counters: options.counters,
      cache: options.cache ?? noCache,
      clock: options.clock ?? systemClock,
      settings: resolveSettings(options.settings),
      mailer: options.mailer ?? unconfiguredMailer,
      events: new TesseraEventBus((error, event) => reportError(error, `event ${event}`)),
      reportError,
      touches: this.#touches,
      cacheLookups: { hits: 0, misses: 0 },
    }
    const settings = this.#ctx.settings
    this.#keyring = new JwtKeyring(options.store, this.#ctx.clock, () =>
      Math.max(settings.accessTtlSeconds, settings.conduitTokenTtlSeconds),
    )
    this.#access = new AccessTokens(this.#ctx, this.#keyring)
    this.#refresh = new RefreshTokens(this.#ctx, this.#access)
    const audit = options.audit ?? true
    this.#audit = audit === false ? null : new AuditWriter(options.store, reportError, audit === true ? {} : audit)
    if (this.#audit) {
      const writer = this.#audit
      subscribeAuditLog(this.#ctx.events, this.#ctx.clock, (row) => writer.add(row))
    }
  }

  get store(): Store {
    return this.#ctx.store
  }

  get settings(): Readonly<TesseraSettings> {
    return this.#ctx.settings
  }

  /** Principal-cache lookups answered from the cache (hits) or not (misses) since the start. */
  cacheLookups(): Readonly<{ hits: number; misses: number }> {
    return this.#ctx.cacheLookups
  }

  /** Subscribes to a core event (`user.created`, `session.revoked`, …); returns an unsubscribe function. */
  on<K extends TesseraEventName>(event: K, handler: (payload: TesseraEvents[K]) => void): () => void {
    return this.#ctx.events.on(event, handler)
  }

  /** Creates an account and its first session; `address` is the client's, for the audit log. Throws `ValidationError`. */
  async register(account: NewAccount, device: string, address?: string): Promise<SignedIn> {
    const user = await createUser(this.#ctx, account, {}, address)
    return { user, ...(await createSession(this.#ctx, user, device, address)) }
  }

  /** Creates a user with privileges (CLI, staff); throws `ValidationError`. */
  createUser(account: NewAccount, privileges: AccountPrivileges = {}): Promise<UserRecord> {
    return createUser(this.#ctx, account, privileges)
  }

  /** Checks a password login without starting a session; throws `invalid_credentials` or `throttled`. */
  verifyLogin(attempt: LoginAttempt): Promise<UserRecord> {
    return verifyLogin(this.#ctx, attempt)
  }

  /** Checks a password login and starts a session on `device`. */
  async login(attempt: LoginAttempt, device: string): Promise<SignedIn> {
    const user = await verifyLogin(this.#ctx, attempt)
    return { user, ...(await createSession(this.#ctx, user, device, attempt.address)) }
  }

  /** Checks an opaque token; never throws for a bad one. */
  async validateToken(token: string): Promise<CredentialCheck> {
    return validateToken(this.#ctx, token)
  }

  /** Checks any credential a client may send: an opaque token or an access JWT. */
  async checkCredential(credential: string): Promise<CredentialCheck> {
    return this.checkCredentialNow(credential)
  }

  /**
   * `checkCredential` for hot paths: answers synchronously when the cache holds the answer, and
   * returns a promise only when the store must be read. `await` works on both.
   */
  checkCredentialNow(credential: string): CredentialCheck | Promise<CredentialCheck> {
    // Opaque tokens start with their prefix (or are imported 40-hex DRF keys); anything else may be a JWT.
    return credential.startsWith(TOKEN_PREFIX) || credential.length === 40
      ? validateToken(this.#ctx, credential)
      : this.#access.verify(credential)
  }

  /** Checks an access JWT and the session it names; never throws for a bad one. */
  async verifyAccessToken(token: string): Promise<CredentialCheck> {
    return this.#access.verify(token)
  }

  /**
   * True when `token` is an unexpired access JWT this server signed, live session or not: how a
   * face tells "an access token where a refresh token belongs" from garbage (Simple JWT's words).
   */
  isSignedAccessToken(token: string): Promise<boolean> {
    return this.#access.isSigned(token)
  }

  /** Signs an access JWT for a user's session (the Conduit face's token, with its own lifetime). */
  issueAccessToken(user: Pick<UserRecord, 'id'>, sessionId: string, ttlSeconds?: number): Promise<IssuedAccessToken> {
    return this.#access.issue(user, sessionId, ttlSeconds)
  }

  /** Checks a password login and starts a JWT session: an access token and a refresh token. */
  async loginWithJwt(attempt: LoginAttempt, device: string): Promise<JwtPair & { user: UserRecord; session: SessionRecord }> {
    const user = await verifyLogin(this.#ctx, attempt)
    const { session } = await createSession(this.#ctx, user, device, attempt.address)
    return { user, session, ...(await this.#refresh.issue(user, session)) }
  }

  /** Exchanges a refresh token for a new pair; throws `invalid_token` or `refresh_reused`. */
  refreshJwt(refreshToken: string): Promise<JwtPair> {
    return this.#refresh.refresh(refreshToken)
  }

  /** Ends the session of a live refresh token (simplejwt's blacklist); throws `invalid_token` for any other. */
  revokeRefreshToken(refreshToken: string): Promise<void> {
    return this.#refresh.revoke(refreshToken)
  }

  /** True when a refresh token would be accepted now; spends nothing. */
  checkRefreshToken(refreshToken: string): Promise<boolean> {
    return this.#refresh.isLive(refreshToken)
  }

  /** The public signing keys, for other services to verify access JWTs offline. */
  jwks(): Promise<{ keys: JWK[] }> {
    return this.#keyring.jwks()
  }

  /** Makes a new signing key; tokens signed by older keys verify until they expire. Returns the new kid. */
  rotateSigningKey(): Promise<string> {
    return this.#keyring.rotate()
  }

  /**
   * Starts a new session for a user (the CLI's tokens, a face's own sign-in after `verifyLogin`);
   * `address` is the client's, for the audit log.
   */
  createSession(user: UserRecord, device: string, address?: string): Promise<IssuedToken> {
    return createSession(this.#ctx, user, device, address)
  }

  /** Ends the principal's session, and only it. */
  async logout(principal: Principal): Promise<void> {
    await revokeSession(this.#ctx, { id: principal.sessionId, userId: principal.user.id }, 'logout')
  }

  /** Ends every session of the principal's user. */
  async logoutAll(principal: Principal): Promise<void> {
    await revokeUserSessions(this.#ctx, principal.user.id, 'logout_all')
  }

  /** Gives the principal's session a new token; the old one dies at once. */
  async rotateToken(principal: Principal): Promise<IssuedToken> {
    const issued = await rotateSessionToken(this.#ctx, principal.sessionId)
    if (!issued) throw new TesseraError('invalid_token', 'Invalid token.')
    return issued
  }

  /** The user's live sessions, newest first. */
  listSessions(userId: number): Promise<SessionRecord[]> {
    return listSessions(this.#ctx, userId)
  }

  /** Revokes a session of `userId`; throws `not_found` when it is not theirs or not live. */
  async revokeOwnSession(userId: number, sessionId: string): Promise<void> {
    const session = isSessionId(sessionId) ? await this.#ctx.store.findSessionById(sessionId) : null
    if (!session || session.userId !== userId || !(await revokeSession(this.#ctx, session, 'session_deleted'))) {
      throw new TesseraError('not_found', 'No such session.')
    }
  }

  /** Revokes any session by id (CLI, staff); false when it was not live. */
  async revokeSessionById(sessionId: string): Promise<boolean> {
    const session = isSessionId(sessionId) ? await this.#ctx.store.findSessionById(sessionId) : null
    return session ? revokeSession(this.#ctx, session, 'admin') : false
  }

  /** Revokes every session of a user (staff); returns how many. */
  revokeUserSessions(userId: number): Promise<number> {
    return revokeUserSessions(this.#ctx, userId, 'admin')
  }

  /** Revokes a user's sessions on one device; returns how many. */
  revokeDeviceSessions(userId: number, device: string): Promise<number> {
    return revokeDeviceSessions(this.#ctx, userId, device)
  }

  /** The user with `id`; throws `not_found`. */
  getUser(id: number): Promise<UserRecord> {
    return getUser(this.#ctx, id)
  }

  /** The user with `id`, or null when there is none. */
  findUserById(id: number): Promise<UserRecord | null> {
    return this.#ctx.store.findUserById(id)
  }

  /** A user named by e-mail, username or id, or null. */
  findUser(identifier: string): Promise<UserRecord | null> {
    return findUserByIdentifier(this.#ctx, identifier)
  }

  /** Applies a user's own profile changes; throws `ValidationError`. */
  updateProfile(userId: number, changes: ProfileChanges): Promise<UserRecord> {
    return updateProfile(this.#ctx, userId, changes)
  }

  /** Activates or deactivates a user; deactivation revokes every session. */
  setUserActive(userId: number, isActive: boolean): Promise<UserRecord> {
    return setUserActive(this.#ctx, userId, isActive)
  }

  /**
   * The user closes their own account with their current password: deactivated, every session
   * ended. Throws `ValidationError` (field `currentPassword`) or `ThrottledError`.
   */
  deactivateOwnAccount(userId: number, currentPassword: string): Promise<void> {
    return deactivateOwnAccount(this.#ctx, userId, currentPassword)
  }

  /** Deletes revoked and expired sessions; returns how many. */
  clearDeadSessions(): Promise<number> {
    return clearDeadSessions(this.#ctx)
  }

  /**
   * Changes a password after checking the current one; every session but `keepSessionId` is
   * revoked. Throws `ValidationError` (`currentPassword`, `newPassword`) or `ThrottledError`.
   */
  changePassword(userId: number, currentPassword: string, newPassword: string, keepSessionId?: string): Promise<UserRecord> {
    return changePassword(this.#ctx, userId, currentPassword, newPassword, keepSessionId)
  }

  /**
   * Sets a password without the current one (Conduit's PUT /api/user, staff): validators apply,
   * reset links die, every session but `options.keepSessionId` is revoked. Throws `ValidationError`.
   */
  /** A user's own profile changes and, optionally, a new password, validated together first; throws `ValidationError`. */
  updateAccount(userId: number, changes: ProfileChanges & { password?: string }, keepSessionId?: string): Promise<UserRecord> {
    return updateAccount(this.#ctx, userId, changes, keepSessionId)
  }

  setPassword(userId: number, newPassword: string, options: SetPasswordOptions = {}): Promise<UserRecord> {
    return setPassword(this.#ctx, userId, newPassword, options)
  }

  /**
   * Mails a reset link when `email` has an account; resolves alike, and as fast, when it has not.
   * Throws `ValidationError` for a malformed e-mail, `ThrottledError` past the limits.
   */
  requestPasswordReset(email: string, address?: string, options: { link?: LinkStyle } = {}): Promise<void> {
    return requestPasswordReset(this.#ctx, email, address, options.link)
  }

  /**
   * Sets a new password with a reset token and revokes every session; `address` is the client's,
   * for the audit log; `options.userId` (a Django face's `uid`) must be the token's user. Throws
   * `invalid_one_time_token` or `ValidationError` (field `newPassword`).
   */
  confirmPasswordReset(token: string, newPassword: string, address?: string, options: { userId?: number } = {}): Promise<UserRecord> {
    return confirmPasswordReset(this.#ctx, token, newPassword, address, options.userId)
  }

  /** Mails the user a link to verify their e-mail, unless it is verified; throws `ThrottledError`. */
  requestEmailVerification(userId: number, options: { link?: LinkStyle } = {}): Promise<VerificationRequest> {
    return requestEmailVerification(this.#ctx, userId, options.link)
  }

  /**
   * Mails a verification link to the account with `email` when it is active, unverified and under
   * its mail limit, after the answer; resolves alike otherwise. Throws `ValidationError` (malformed e-mail).
   */
  resendEmailVerification(email: string, options: { link?: LinkStyle } = {}): Promise<void> {
    return resendEmailVerification(this.#ctx, email, options.link)
  }

  /** Marks the token's user's e-mail verified; `options.userId` must be that user. Throws `invalid_one_time_token`. */
  confirmEmailVerification(token: string, options: { userId?: number } = {}): Promise<UserRecord> {
    return confirmEmailVerification(this.#ctx, token, options.userId)
  }

  /** True when a reset or verification token would be accepted now; spends nothing (for pages). */
  async checkOneTimeToken(token: string, purpose: OneTimePurpose): Promise<boolean> {
    return (await findLiveOneTimeToken(this.#ctx, token, purpose)) !== null
  }

  /** Deletes expired reset and verification tokens; returns how many. */
  clearExpiredOneTimeTokens(): Promise<number> {
    return clearExpiredOneTimeTokens(this.#ctx)
  }

  /** One page of users by id (staff); throws `ValidationError` for a limit outside 1–200. */
  listUsers(query: StaffUserQuery): Promise<UserPage> {
    return listUsersPage(this.#ctx, query)
  }

  /**
   * Changes a user's flags, e-mail or username on behalf of `actor` under the staff rules
   * (src/core/staff.ts); throws `permission_denied`, `not_found` or `ValidationError`.
   */
  updateUserAsStaff(actor: StaffActor, userId: number, changes: StaffUserChanges): Promise<UserRecord> {
    return updateUserAsStaff(this.#ctx, actor, userId, changes)
  }

  /** A user's live sessions, newest first, for staff; throws `permission_denied` or `not_found`. */
  listSessionsAsStaff(actor: StaffActor, userId: number): Promise<SessionRecord[]> {
    return listSessionsAsStaff(this.#ctx, actor, userId)
  }

  /** Revokes one live session of a user, for staff; throws `not_found` unless it is one, or `permission_denied`. */
  revokeSessionAsStaff(actor: StaffActor, userId: number, sessionId: string): Promise<void> {
    return revokeSessionAsStaff(this.#ctx, actor, userId, sessionId)
  }

  /** Revokes every session of a user, for staff; returns how many. Throws `permission_denied` or `not_found`. */
  revokeUserSessionsAsStaff(actor: StaffActor, userId: number): Promise<number> {
    return revokeUserSessionsAsStaff(this.#ctx, actor, userId)
  }

  /**
   * A new session and token for a user on `device`, for staff (shown once); throws
   * `permission_denied`, `not_found`, or `ValidationError` when the account is inactive.
   */
  createTokenAsStaff(actor: StaffActor, userId: number, device: string): Promise<IssuedToken> {
    return createTokenAsStaff(this.#ctx, actor, userId, device)
  }

  /**
   * Mails a user the self-service reset link, for staff; throws `permission_denied`, `not_found`,
   * `ValidationError` (inactive, no e-mail), `ThrottledError`, or `service_unavailable` (mail not sent).
   */
  sendPasswordResetAsStaff(actor: StaffActor, userId: number): Promise<void> {
    return sendPasswordResetAsStaff(this.#ctx, actor, userId)
  }

  /**
   * Makes a user's password unusable (Django's `set_unusable_password`), for staff: reset links
   * die and every session ends. Throws `permission_denied` or `not_found`.
   */
  setUnusablePasswordAsStaff(actor: StaffActor, userId: number): Promise<UserRecord> {
    return setUnusablePasswordAsStaff(this.#ctx, actor, userId)
  }

  /**
   * One page of the audit log, newest first, filtered by user and kind (what this process still
   * holds unwritten is written first). Throws `ValidationError` for a bad limit, id or kind.
   */
  async listAuditEvents(query: AuditQuery): Promise<AuditPage> {
    await this.#audit?.flush()
    return listAuditPage(this.#ctx, query)
  }

  /**
   * Writes what this process still holds queued (audit rows, sessions' `lastUsedAt`); the server
   * calls it on close, before the store closes. Never rejects.
   */
  async flush(): Promise<void> {
    await Promise.all([this.#audit?.flush(), this.#touches.flush()])
  }

  /** Audit rows waiting to be written and rows dropped since the start (null when the log is off). */
  auditBacklog(): AuditBacklog | null {
    return this.#audit?.backlog() ?? null
  }

  /** Deletes audit rows older than `settings.auditRetentionSeconds`; returns how many. */
  clearOldAuditEvents(): Promise<number> {
    return this.#ctx.store.deleteAuditEventsBefore(addSeconds(this.#ctx.clock.now(), -this.#ctx.settings.auditRetentionSeconds))
  }

  /**
   * Signs in with an external provider's account (the rules of src/core/social-accounts.ts) and
   * starts a session on `device`; `created` tells whether the account was made just now. Throws
   * `social_account_conflict`, `social_login_failed` or `permission_denied`.
   */
  async signInWithSocial(profile: SocialProfile, device: string, address?: string): Promise<SignedIn & { created: boolean }> {
    const { user, created } = await signInWithSocial(this.#ctx, profile, address)
    return { user, created, ...(await createSession(this.#ctx, user, device, address)) }
  }

  /**
   * Signs in with an external provider's account as `signInWithSocial` does, but instead of a
   * session returns a single-use code (a minute) that `exchangeSocialSignInCode` turns into one:
   * what the browser flow's redirect carries to the app. `challenge` is the app's PKCE S256 challenge.
   */
  async issueSocialSignInCode(
    profile: SocialProfile,
    device: string,
    options: { challenge?: string | null; address?: string } = {},
  ): Promise<{ code: string; user: UserRecord; created: boolean }> {
    const { user, created } = await signInWithSocial(this.#ctx, profile, options.address)
    const code = await issueSocialCode(this.#ctx, { purpose: 'sign_in', user, provider: profile.provider, device, challenge: options.challenge ?? null })
    return { code, user, created }
  }

  /** Swaps a sign-in code (with the verifier of its challenge, if it has one) for a session; throws `social_login_failed`. */
  exchangeSocialSignInCode(code: string, verifier?: string, address?: string): Promise<SignedIn> {
    return exchangeSignInCode(this.#ctx, code, verifier, address)
  }

  /** A single-use code (two minutes) with which the user's browser may start a flow linking `provider` to the account. */
  async issueSocialLinkCode(userId: number, provider: string): Promise<string> {
    return issueSocialCode(this.#ctx, { purpose: 'link', user: await getUser(this.#ctx, userId), provider })
  }

  /** Spends a link code for `provider`: the user it was issued to, or null when it is bad, used, expired or for another provider. */
  async redeemSocialLinkCode(code: string, provider: string): Promise<number | null> {
    const record = await takeSocialCode(this.#ctx, code, 'link')
    return record && record.provider === provider ? record.userId : null
  }

  /** Links an external provider's account to the user; throws `social_account_conflict` when it is someone else's. */
  linkSocialIdentity(userId: number, profile: SocialProfile): Promise<SocialIdentityRecord> {
    return linkSocialIdentity(this.#ctx, userId, profile)
  }

  /** Unlinks one of the user's identities; throws `not_found`, or `last_sign_in_method` when it is their only way in. */
  unlinkSocialIdentity(userId: number, identityId: number): Promise<void> {
    return unlinkSocialIdentity(this.#ctx, userId, identityId)
  }

  /** The user's social identities, oldest first. */
  listSocialIdentities(userId: number): Promise<SocialIdentityRecord[]> {
    return listSocialIdentities(this.#ctx, userId)
  }

  /**
   * Starts an import of a Django deployment's users and DRF keys (`tessera import-django`): feed
   * the returned importer the rows batch by batch; a second run over the same rows changes nothing.
   */
  startDjangoImport(options: DjangoImportOptions): DjangoImport {
    return new DjangoImport(this.#ctx, options)
  }
}
