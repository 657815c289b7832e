/**
 * The one contract between the core and a storage engine. Each method maps to one query (or one
 * transaction); the core never sees SQL, and an engine never holds a rule of the domain.
 */

/** A user as stored. `passwordHash` never leaves the core (see core/public-json.ts). */
export interface UserRecord {
  id: number
  /** As entered, trimmed. */
  email: string
  /** Unicode NFC + lower case: the unique key e-mails are compared by. */
  emailKey: string
  username: string
  /** Unicode NFC + lower case: usernames are unique without regard to case. */
  usernameKey: string
  /** argon2id PHC string, a Django hash (`pbkdf2_sha256$…`), or an unusable marker (`!…`). */
  passwordHash: string
  isActive: boolean
  isStaff: boolean
  isSuperuser: boolean
  emailVerified: boolean
  bio: string | null
  image: string | null
  dateJoined: Date
  lastLogin: Date | null
  /** Moves on every password change; one-time tokens issued before it are dead. */
  passwordChangedAt: Date
}

/** The fields a new user is created with; the engine assigns `id` unless one is given (imports). */
export type NewUser = Omit<UserRecord, 'id'> & { id?: number }

/** Fields that may change after creation. */
export type UserPatch = Partial<Omit<UserRecord, 'id' | 'dateJoined'>>

/** A device's login: the truth behind every credential it holds. */
export interface SessionRecord {
  id: string
  userId: number
  /** SHA-256 (hex) of the session's opaque token; the token itself is never stored. */
  secretHash: string
  device: string
  createdAt: Date
  lastUsedAt: Date
  /** When the session dies unless used: min(lastUsedAt + idle TTL, (importedAt ?? createdAt) + max age). */
  expiresAt: Date
  revokedAt: Date | null
  /**
   * When the session was imported (a DRF key, whose `createdAt` is DRF's `created`): its
   * absolute lifetime counts from here. Absent (or null) for sessions Tessera started.
   */
  importedAt?: Date | null
}

/** A session's use, as the core writes it: when, and the expiry that use slid it to. */
export interface SessionTouch {
  id: string
  lastUsedAt: Date
  expiresAt: Date
}

/** The user fields a principal carries (core/principal.ts's `PrincipalUser`). */
export type CredentialUser = Pick<UserRecord, 'id' | 'email' | 'username' | 'isActive' | 'isStaff' | 'isSuperuser'>

/** A user's principal fields, copied out of the record. */
export function credentialUserOf(user: UserRecord): CredentialUser {
  return {
    id: user.id,
    email: user.email,
    username: user.username,
    isActive: user.isActive,
    isStaff: user.isStaff,
    isSuperuser: user.isSuperuser,
  }
}

/**
 * What a credential check reads on a cache miss: a session's state, its times in epoch ms, and the
 * principal's user fields. Narrow on purpose, since every column read costs on the hot path, and
 * in numbers, since the core computes with them and a `Date` per field is an allocation.
 */
export interface SessionCredential {
  sessionId: string
  secretHash: string
  createdAt: number
  /** Set for an imported session (see `SessionRecord.importedAt`), else null. */
  importedAt: number | null
  lastUsedAt: number
  expiresAt: number
  revokedAt: number | null
  user: CredentialUser
}

/** Why a write of a user was refused: a unique key already taken. */
export type UniqueConflict = 'email' | 'username'

export type UserWriteResult = { ok: true; user: UserRecord } | { ok: false; conflict: UniqueConflict }

/** Filters of a user listing; keyset pagination by id. */
export interface UserQuery {
  /** Substring of e-mail or username, any case. */
  q?: string
  isActive?: boolean
  isStaff?: boolean
  /** Only users with `id` greater than this. */
  afterId?: number
  limit: number
}

/** A refresh token: opaque, stored hashed, one link in a session's rotation chain. */
export interface RefreshTokenRecord {
  id: string
  sessionId: string
  /** SHA-256 (hex) of the refresh token. */
  tokenHash: string
  createdAt: Date
  expiresAt: Date
  /** Set once, when the token is exchanged; presenting it again after that is reuse. */
  usedAt: Date | null
}

/** What a one-time token is for. */
export type OneTimePurpose = 'password_reset' | 'email_verify'

/** A single-use token mailed to a user (password reset, e-mail verification), stored hashed. */
export interface OneTimeTokenRecord {
  /** SHA-256 (hex) of the token; the primary key. */
  tokenHash: string
  userId: number
  purpose: OneTimePurpose
  /** The e-mail the token was sent to; a token for an address the user no longer has is dead. */
  email: string
  createdAt: Date
  expiresAt: Date
  usedAt: Date | null
}

/** One row of the append-only audit log, as the core writes it. */
export interface NewAuditEvent {
  at: Date
  /** The event's name (`login.succeeded`, `admin.action`, …); only the core writes it. */
  kind: string
  /** The account the event is about, when there is one. */
  userId: number | null
  /** Who acted on `userId` when it was someone else (staff). */
  actorId: number | null
  /** The client's address, when the event came from a request. */
  address: string | null
  /** The event's other facts; never a secret (no token, hash or password). */
  detail: Record<string, unknown>
}

/** An audit row as stored: ids grow with every insert and are never reused. */
export interface AuditEventRecord extends NewAuditEvent {
  id: number
}

/** Filters of an audit listing: newest first, keyset pagination by id. */
export interface AuditEventQuery {
  userId?: number
  kind?: string
  /** Only rows with `id` less than this. */
  beforeId?: number
  limit: number
}

/** A user's account at an external identity provider (social login), linked to a Tessera user. */
export interface SocialIdentityRecord {
  id: number
  userId: number
  /** The configured provider's id (`google`, `github`, …). */
  provider: string
  /** The provider's stable id of the account (OIDC `sub`; GitHub's numeric user id). */
  subject: string
  /** The e-mail the provider last gave, if any; it may differ from the user's own. */
  email: string | null
  /** Whether the provider said it has verified `email`. */
  emailVerified: boolean
  createdAt: Date
  lastUsedAt: Date
}

/** The fields a new social identity is created with; the engine assigns `id`. */
export type NewSocialIdentity = Omit<SocialIdentityRecord, 'id'>

/** What a social code is for: finishing a sign-in (exchanged for a session) or starting a link. */
export type SocialCodePurpose = 'sign_in' | 'link'

/** A short-lived, single-use code that hands a social-login flow between browser and app, stored hashed. */
export interface SocialCodeRecord {
  /** SHA-256 (hex) of the code; the primary key. */
  codeHash: string
  purpose: SocialCodePurpose
  userId: number
  provider: string
  /** The device the session made from a `sign_in` code is named after ('' for `link`). */
  device: string
  /** S256 PKCE challenge the exchange must answer with its verifier, when the app sent one. */
  challenge: string | null
  createdAt: Date
  expiresAt: Date
}

/** What `deleteSocialIdentity` did. */
export type SocialIdentityDeletion = 'deleted' | 'not_found' | 'last'

/** A user to import from Django, and the Django id it comes from. */
export interface NewDjangoUser {
  djangoId: number
  /** With `id` equal to `djangoId` when that id is free in Tessera, without one otherwise. */
  user: NewUser
}

/** Which Tessera user a Django user was imported as; `userId` is null once that user was deleted. */
export interface DjangoUserLink {
  djangoId: number
  userId: number | null
}

/** The keys an import checks a batch of users against. */
export interface UserKeys {
  ids: number[]
  emailKeys: string[]
  usernameKeys: string[]
}

export interface Store {
  /** Inserts a user; a taken e-mail or username comes back as a conflict, never a throw. */
  insertUser(user: NewUser): Promise<UserWriteResult>
  /** Inserts many users in one transaction (imports, benchmarks); returns how many were written. */
  insertUsers(users: NewUser[]): Promise<number>
  findUserById(id: number): Promise<UserRecord | null>
  findUserByEmailKey(emailKey: string): Promise<UserRecord | null>
  findUserByUsernameKey(usernameKey: string): Promise<UserRecord | null>
  /** Applies `patch`; null when no such user; a taken e-mail or username is a conflict. */
  updateUser(id: number, patch: UserPatch): Promise<UserWriteResult | null>
  listUsers(query: UserQuery): Promise<UserRecord[]>

  insertSession(session: SessionRecord): Promise<void>
  /** Inserts many sessions in one transaction (imports, benchmarks). */
  insertSessions(sessions: SessionRecord[]): Promise<number>
  /**
   * The hot path: one indexed read of a session (revoked or not) and its user, by the session's
   * secret hash. An engine with a synchronous driver may answer without a promise; callers
   * handle both (`await` does).
   */
  findCredentialBySecretHash(secretHash: string): SessionCredential | null | Promise<SessionCredential | null>
  /** As `findCredentialBySecretHash`, by session id (a JWT's session on a cache miss). */
  findCredentialBySessionId(id: string): SessionCredential | null | Promise<SessionCredential | null>
  findSessionById(id: string): Promise<SessionRecord | null>
  /** Sessions of a user neither revoked nor expired at `now`, newest first. */
  listLiveSessions(userId: number, now: Date): Promise<SessionRecord[]>
  /**
   * Records use of sessions, in one transaction (the core writes each at most once per touch
   * interval, in batches); ids of sessions that are gone are skipped.
   */
  touchSessions(touches: readonly SessionTouch[]): Promise<void>
  /** Replaces a live session's secret; false when the session is gone or revoked. */
  replaceSessionSecret(id: string, secretHash: string): Promise<boolean>
  /** Revokes one live session; false when it was already revoked or does not exist. */
  revokeSession(id: string, at: Date): Promise<boolean>
  /** Revokes every live session of a user except `exceptId`; returns the ids revoked. */
  revokeUserSessions(userId: number, at: Date, exceptId?: string): Promise<string[]>
  /** Revokes the user's live sessions on `device`; returns the ids revoked. */
  revokeDeviceSessions(userId: number, device: string, at: Date): Promise<string[]>
  /**
   * Revokes the oldest live sessions beyond the newest `keep`; returns the ids revoked. `keepId`,
   * when given, counts as the newest whatever its `createdAt` (a session just made must survive
   * a tie in the same millisecond).
   */
  revokeSessionsBeyond(userId: number, keep: number, now: Date, keepId?: string): Promise<string[]>
  /** Deletes sessions expired before `before` or revoked before `before`; returns the count. */
  deleteDeadSessions(before: Date): Promise<number>

  insertRefreshToken(token: RefreshTokenRecord): Promise<void>
  findRefreshTokenByHash(tokenHash: string): Promise<RefreshTokenRecord | null>
  /**
   * Marks a refresh token used, atomically: true for the one caller that spent it, false when it
   * was already used (or does not exist) — concurrent refreshes cannot both win.
   */
  markRefreshTokenUsed(id: string, at: Date): Promise<boolean>

  insertOneTimeToken(token: OneTimeTokenRecord): Promise<void>
  findOneTimeToken(tokenHash: string): Promise<OneTimeTokenRecord | null>
  /** Marks a one-time token used, atomically: true for the one caller that spent it. */
  markOneTimeTokenUsed(tokenHash: string, at: Date): Promise<boolean>
  /** Deletes one-time tokens that expired before `before`; returns how many. */
  deleteExpiredOneTimeTokens(before: Date): Promise<number>

  /** Appends audit rows in one multi-row insert (chunked only past the engines' parameter limits). */
  appendAuditEvents(events: NewAuditEvent[]): Promise<void>
  /** Audit rows matching `query`, newest (highest id) first, at most `query.limit`. */
  listAuditEvents(query: AuditEventQuery): Promise<AuditEventRecord[]>
  /** Deletes audit rows recorded before `before`; returns how many. */
  deleteAuditEventsBefore(before: Date): Promise<number>

  /** Inserts a social identity; null when its (provider, subject) is already linked to someone. */
  insertSocialIdentity(identity: NewSocialIdentity): Promise<SocialIdentityRecord | null>
  findSocialIdentity(provider: string, subject: string): Promise<SocialIdentityRecord | null>
  /** A user's social identities, oldest first. */
  listSocialIdentities(userId: number): Promise<SocialIdentityRecord[]>
  /** Records a sign-in with an identity: the e-mail the provider gave now, and when; null when it is gone. */
  touchSocialIdentity(
    id: number,
    seen: Pick<SocialIdentityRecord, 'email' | 'emailVerified' | 'lastUsedAt'>,
  ): Promise<SocialIdentityRecord | null>
  /**
   * Deletes the user's identity `id`. With `keepLast`, atomically refuses ('last') when it is the
   * user's only one, so concurrent unlinks cannot remove the last way to sign in.
   */
  deleteSocialIdentity(id: number, userId: number, keepLast: boolean): Promise<SocialIdentityDeletion>
  insertSocialCode(code: SocialCodeRecord): Promise<void>
  /**
   * Deletes and returns the code when it exists for `purpose` and has not expired at `now`;
   * atomically, so of concurrent takers exactly one gets it.
   */
  takeSocialCode(codeHash: string, purpose: SocialCodePurpose, now: Date): Promise<SocialCodeRecord | null>
  /** Deletes social codes that expired before `before`; returns how many. */
  deleteExpiredSocialCodes(before: Date): Promise<number>

  /** The links of those of `djangoIds` that were imported before (`tessera import-django`). */
  findDjangoUserLinks(djangoIds: number[]): Promise<DjangoUserLink[]>
  /** Users holding any of the given ids, e-mail keys or username keys (an import's conflict check). */
  findUsersByAnyKey(keys: UserKeys): Promise<UserRecord[]>
  /**
   * Inserts users imported from Django and links each to its Django id, all in one transaction
   * (nothing is written when one is refused); returns the users' Tessera ids, in order.
   */
  insertDjangoUsers(users: NewDjangoUser[]): Promise<number[]>
  /** Those of `secretHashes` that were imported as DRF keys before, whatever became of their sessions. */
  findImportedTokenHashes(secretHashes: string[]): Promise<string[]>
  /** Inserts sessions imported from DRF keys and records each key's hash as imported, in one transaction. */
  insertDjangoSessions(sessions: SessionRecord[]): Promise<number>

  /** A value the server keeps for itself (cookie secrets, signing keys), or null. */
  getSetting(key: string): Promise<string | null>
  /** Stores `value` under `key` unless one is there; returns the value that is kept. */
  putSettingIfAbsent(key: string, value: string): Promise<string>
  /** Replaces `key`'s value if it is still `expected` (compare-and-set); false when it changed meanwhile. */
  replaceSetting(key: string, expected: string, value: string): Promise<boolean>

  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>
  close(): Promise<void>
}
