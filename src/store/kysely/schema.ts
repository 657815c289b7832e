import type { Generated, Insertable, Selectable, Updateable } from 'kysely'
import type {
  NewUser,
  OneTimePurpose,
  OneTimeTokenRecord,
  RefreshTokenRecord,
  SessionRecord,
  SessionCredential,
  SocialCodePurpose,
  UserPatch,
  UserRecord,
} from '../store.js'

/*
 * Tessera's tables as Kysely sees them, and the mapping of their rows to the Store's records.
 * Times are epoch milliseconds in `bigint` columns and booleans are 0/1 integers, so one set of
 * migrations and one mapping serve SQLite and PostgreSQL alike.
 */

/** Milliseconds since the epoch; exact in a double until the year 287396. */
type EpochMillis = number

/** 0 or 1; SQLite has no boolean type and PostgreSQL's would need a second mapping. */
type Flag = number

/** The `users` table. */
export interface UsersTable {
  id: Generated<number>
  email: string
  email_key: string
  username: string
  username_key: string
  password_hash: string
  is_active: Flag
  is_staff: Flag
  is_superuser: Flag
  email_verified: Flag
  bio: string | null
  image: string | null
  date_joined: EpochMillis
  last_login: EpochMillis | null
  password_changed_at: EpochMillis
}

/** The `sessions` table: one row per device login. */
export interface SessionsTable {
  id: string
  user_id: number
  secret_hash: string
  device: string
  created_at: EpochMillis
  last_used_at: EpochMillis
  expires_at: EpochMillis
  revoked_at: EpochMillis | null
  /** Set on sessions imported from DRF keys (migration 0008). */
  imported_at: EpochMillis | null
}

/** The `settings` table: values the server generates for itself (keys, secrets). */
export interface SettingsTable {
  key: string
  value: string
}

/** The `refresh_tokens` table: one row per refresh token a session was given, deleted with it. */
export interface RefreshTokensTable {
  id: string
  session_id: string
  token_hash: string
  created_at: EpochMillis
  expires_at: EpochMillis
  used_at: EpochMillis | null
}

/** The `one_time_tokens` table: password-reset and e-mail-verification tokens. */
export interface OneTimeTokensTable {
  token_hash: string
  user_id: number
  /** A plain text column; only the store writes it, and only with a `OneTimePurpose`. */
  purpose: OneTimePurpose
  email: string
  created_at: EpochMillis
  expires_at: EpochMillis
  used_at: EpochMillis | null
}

/** The `audit_events` table: the append-only log of auth events, newest by highest id. */
export interface AuditEventsTable {
  id: Generated<number>
  at: EpochMillis
  kind: string
  user_id: number | null
  actor_id: number | null
  address: string | null
  /** A JSON object. */
  detail: string
}

/** The `social_identities` table: a user's accounts at external identity providers. */
export interface SocialIdentitiesTable {
  id: Generated<number>
  user_id: number
  provider: string
  subject: string
  email: string | null
  email_verified: Flag
  created_at: EpochMillis
  last_used_at: EpochMillis
}

/** The `social_codes` table: single-use codes of the social browser flow, stored hashed. */
export interface SocialCodesTable {
  code_hash: string
  /** A plain text column; only the store writes it, and only with a `SocialCodePurpose`. */
  purpose: SocialCodePurpose
  user_id: number
  provider: string
  device: string
  challenge: string | null
  created_at: EpochMillis
  expires_at: EpochMillis
}

/** The `django_users` table: which Tessera user each imported Django user became. */
export interface DjangoUsersTable {
  django_id: number
  /** Null once the Tessera user was deleted; the row stays so a second import skips them. */
  user_id: number | null
  imported_at: EpochMillis
}

/** The `django_tokens` table: the SHA-256 of every DRF key ever imported. */
export interface DjangoTokensTable {
  secret_hash: string
  imported_at: EpochMillis
}

/** The Kysely view of Tessera's database. */
export interface Database {
  users: UsersTable
  sessions: SessionsTable
  settings: SettingsTable
  refresh_tokens: RefreshTokensTable
  one_time_tokens: OneTimeTokensTable
  django_users: DjangoUsersTable
  django_tokens: DjangoTokensTable
  audit_events: AuditEventsTable
  social_identities: SocialIdentitiesTable
  social_codes: SocialCodesTable
}

/**
 * The hot path's columns, in the order `toSessionCredential` reads them: each has a name of its
 * own, so an engine that answers with objects keeps them all, in this order.
 */
export const CREDENTIAL_COLUMNS = [
  'sessions.id as session_id',
  'sessions.secret_hash',
  'sessions.created_at',
  'sessions.imported_at',
  'sessions.last_used_at',
  'sessions.expires_at',
  'sessions.revoked_at',
  'users.id as user_id',
  'users.email',
  'users.username',
  'users.is_active',
  'users.is_staff',
  'users.is_superuser',
] as const

// PostgreSQL's driver returns `bigint` as a string unless told otherwise; Number() reads both.
const toDate = (ms: EpochMillis): Date => new Date(Number(ms))
const toDateOrNull = (ms: EpochMillis | null): Date | null => (ms === null ? null : toDate(ms))
const toMillisOrNull = (at: Date | null): EpochMillis | null => (at === null ? null : at.getTime())
const toFlag = (value: boolean): Flag => (value ? 1 : 0)

/** The record a `users` row stands for. */
export function toUser(row: Selectable<UsersTable>): UserRecord {
  return {
    id: row.id,
    email: row.email,
    emailKey: row.email_key,
    username: row.username,
    usernameKey: row.username_key,
    passwordHash: row.password_hash,
    isActive: row.is_active !== 0,
    isStaff: row.is_staff !== 0,
    isSuperuser: row.is_superuser !== 0,
    emailVerified: row.email_verified !== 0,
    bio: row.bio,
    image: row.image,
    dateJoined: toDate(row.date_joined),
    lastLogin: toDateOrNull(row.last_login),
    passwordChangedAt: toDate(row.password_changed_at),
  }
}

/** The `users` row for a new user; `id` only when one is given, so the engine assigns the rest. */
export function toUserRow(user: NewUser): Insertable<UsersTable> {
  const row: Insertable<UsersTable> = {
    email: user.email,
    email_key: user.emailKey,
    username: user.username,
    username_key: user.usernameKey,
    password_hash: user.passwordHash,
    is_active: toFlag(user.isActive),
    is_staff: toFlag(user.isStaff),
    is_superuser: toFlag(user.isSuperuser),
    email_verified: toFlag(user.emailVerified),
    bio: user.bio,
    image: user.image,
    date_joined: user.dateJoined.getTime(),
    last_login: toMillisOrNull(user.lastLogin),
    password_changed_at: user.passwordChangedAt.getTime(),
  }
  if (user.id !== undefined) row.id = user.id
  return row
}

/** The columns a patch changes; keys left undefined in the patch are left alone. */
export function toUserPatchRow(patch: UserPatch): Updateable<UsersTable> {
  const row: Updateable<UsersTable> = {}
  if (patch.email !== undefined) row.email = patch.email
  if (patch.emailKey !== undefined) row.email_key = patch.emailKey
  if (patch.username !== undefined) row.username = patch.username
  if (patch.usernameKey !== undefined) row.username_key = patch.usernameKey
  if (patch.passwordHash !== undefined) row.password_hash = patch.passwordHash
  if (patch.isActive !== undefined) row.is_active = toFlag(patch.isActive)
  if (patch.isStaff !== undefined) row.is_staff = toFlag(patch.isStaff)
  if (patch.isSuperuser !== undefined) row.is_superuser = toFlag(patch.isSuperuser)
  if (patch.emailVerified !== undefined) row.email_verified = toFlag(patch.emailVerified)
  if (patch.bio !== undefined) row.bio = patch.bio
  if (patch.image !== undefined) row.image = patch.image
  if (patch.lastLogin !== undefined) row.last_login = toMillisOrNull(patch.lastLogin)
  if (patch.passwordChangedAt !== undefined) row.password_changed_at = patch.passwordChangedAt.getTime()
  return row
}

/** The record a `sessions` row stands for. */
export function toSession(row: Selectable<SessionsTable>): SessionRecord {
  const session: SessionRecord = {
    id: row.id,
    userId: row.user_id,
    secretHash: row.secret_hash,
    device: row.device,
    createdAt: toDate(row.created_at),
    lastUsedAt: toDate(row.last_used_at),
    expiresAt: toDate(row.expires_at),
    revokedAt: toDateOrNull(row.revoked_at),
  }
  // Only imported sessions carry the field (see SessionRecord.importedAt).
  if (row.imported_at !== null && row.imported_at !== undefined) session.importedAt = toDate(row.imported_at)
  return session
}

/** The `sessions` row for a session record. */
export function toSessionRow(session: SessionRecord): Insertable<SessionsTable> {
  return {
    id: session.id,
    user_id: session.userId,
    secret_hash: session.secretHash,
    device: session.device,
    created_at: session.createdAt.getTime(),
    last_used_at: session.lastUsedAt.getTime(),
    expires_at: session.expiresAt.getTime(),
    revoked_at: toMillisOrNull(session.revokedAt),
    imported_at: toMillisOrNull(session.importedAt ?? null),
  }
}

/** The credential a hot-path row (`CREDENTIAL_COLUMNS`' values, in order) stands for. */
export function toSessionCredential(values: readonly unknown[]): SessionCredential {
  const revokedAt = values[6] as EpochMillis | null
  const importedAt = values[3] as EpochMillis | null
  return {
    sessionId: values[0] as string,
    secretHash: values[1] as string,
    createdAt: Number(values[2]),
    importedAt: importedAt === null ? null : Number(importedAt),
    lastUsedAt: Number(values[4]),
    expiresAt: Number(values[5]),
    revokedAt: revokedAt === null ? null : Number(revokedAt),
    user: {
      id: values[7] as number,
      email: values[8] as string,
      username: values[9] as string,
      isActive: values[10] !== 0,
      isStaff: values[11] !== 0,
      isSuperuser: values[12] !== 0,
    },
  }
}

/** The record a `refresh_tokens` row stands for. */
export function toRefreshToken(row: Selectable<RefreshTokensTable>): RefreshTokenRecord {
  return {
    id: row.id,
    sessionId: row.session_id,
    tokenHash: row.token_hash,
    createdAt: toDate(row.created_at),
    expiresAt: toDate(row.expires_at),
    usedAt: toDateOrNull(row.used_at),
  }
}

/** The `refresh_tokens` row for a refresh-token record. */
export function toRefreshTokenRow(token: RefreshTokenRecord): Insertable<RefreshTokensTable> {
  return {
    id: token.id,
    session_id: token.sessionId,
    token_hash: token.tokenHash,
    created_at: token.createdAt.getTime(),
    expires_at: token.expiresAt.getTime(),
    used_at: toMillisOrNull(token.usedAt),
  }
}

/** The record a `one_time_tokens` row stands for. */
export function toOneTimeToken(row: Selectable<OneTimeTokensTable>): OneTimeTokenRecord {
  return {
    tokenHash: row.token_hash,
    userId: row.user_id,
    purpose: row.purpose,
    email: row.email,
    createdAt: toDate(row.created_at),
    expiresAt: toDate(row.expires_at),
    usedAt: toDateOrNull(row.used_at),
  }
}

/** The `one_time_tokens` row for a one-time-token record. */
export function toOneTimeTokenRow(token: OneTimeTokenRecord): Insertable<OneTimeTokensTable> {
  return {
    token_hash: token.tokenHash,
    user_id: token.userId,
    purpose: token.purpose,
    email: token.email,
    created_at: token.createdAt.getTime(),
    expires_at: token.expiresAt.getTime(),
    used_at: toMillisOrNull(token.usedAt),
  }
}
