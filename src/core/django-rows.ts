import type { NewUser } from '../store/store.js'
import type { FieldErrors } from './errors.js'
import { checkEmail, checkUsername, identityKey, usernameFromEmail } from './identity.js'
import { inspectPasswordHash, makeUnusablePassword } from './passwords.js'
import { isDrfKey } from './tokens.js'

/**
 * Rows of a Django database as `tessera import-django` reads them, and the rules that turn one
 * into a Tessera user or session. The source (SQLite, PostgreSQL) only converts its engine's
 * types; every judgement about the data is made here.
 */

/** A row of Django's user table (`auth_user` or a custom model's), columns already mapped. */
export interface DjangoUserRow {
  id: number
  /** Django's encoded hash (`pbkdf2_sha256$…`, `!…` when unusable); null only in a broken row. */
  password: string | null
  /** Blank or null when the user has none (Django's `auth_user.email` is optional). */
  email: string | null
  /** Null when the table has no username column: one is then derived from the e-mail. */
  username: string | null
  isActive: boolean
  isStaff: boolean
  isSuperuser: boolean
  /** A `Date` (PostgreSQL) or Django's text form (SQLite, `2024-01-02 03:04:05.123456`); null when absent. */
  dateJoined: Date | string | null
  lastLogin: Date | string | null
}

/** A row of DRF's `authtoken_token`. */
export interface DjangoTokenRow {
  key: string
  userId: number
  created: Date | string | null
}

/** What an import reports about a row: skipped (`conflict`, `invalid`, `missing_user`) or imported with a caveat. */
export type ImportIssueKind =
  /** An e-mail or username another user holds (in Tessera, or earlier in the Django table): skipped. */
  | 'conflict'
  /** A row Tessera cannot take (a bad e-mail, username or key): skipped. */
  | 'invalid'
  /** A token whose user is not in the user table, or was not imported: skipped. */
  | 'missing_user'
  /** A password hash Tessera cannot verify (malformed, or a hasher it lacks): imported, but only a reset lets the user in. */
  | 'password'
  /** Imported with a change the operator should know of (a placeholder e-mail, a derived username, a new id). */
  | 'changed'

/** One reported row: which, what happened, and why. Never holds a key or a password hash. */
export interface ImportIssue {
  kind: ImportIssueKind
  /** Names the row: `auth_user id 17`, `authtoken_token of user 17`. */
  row: string
  message: string
}

/** A user row turned into what Tessera stores, or why it cannot be. */
export type MappedUser =
  | { ok: true; user: NewUser; usernameDerived: boolean; issues: ImportIssue[] }
  | { ok: false; issue: ImportIssue }

/** What mapping a user row needs to know beyond the row. */
export interface UserMapping {
  /** Names rows in messages (`auth_user`, `accounts_account`). */
  table: string
  now: Date
  /** Mark imported e-mails verified (the deployment verified them in Django). */
  emailsVerified: boolean
}

/** Where users without an e-mail get one: `.invalid` is reserved (RFC 2606), so no mail ever leaves. */
export const PLACEHOLDER_EMAIL_DOMAIN = 'no-email.invalid'
/** Django's text datetimes: naive UTC with `USE_TZ = True`, sometimes with an offset. */
const DJANGO_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:?\d{2})?$/
// Django's password column is varchar(128); a longer value is no hash of any hasher.
const MAX_HASH_LENGTH = 1024

/**
 * Turns a Django user row into a new Tessera user (with Tessera's id left to the caller), or says
 * why it cannot be imported. The hash is kept verbatim, so the old password keeps working.
 */
export function mapDjangoUser(row: DjangoUserRow, mapping: UserMapping): MappedUser {
  const name = `${mapping.table} id ${row.id}`
  const issues: ImportIssue[] = []
  const errors: FieldErrors = {}
  const rawEmail = (row.email ?? '').trim()
  let email: string
  if (rawEmail === '') {
    email = `django-user-${row.id}@${PLACEHOLDER_EMAIL_DOMAIN}`
    issues.push({ kind: 'changed', row: name, message: `has no e-mail; imported with the placeholder ${email}` })
  } else {
    email = checkEmail(rawEmail, errors)
    if (errors.email) return invalid(name, `e-mail ${JSON.stringify(rawEmail)} is not one Tessera accepts (${errors.email.join(' ')})`)
  }
  const usernameDerived = row.username === null || row.username.trim() === ''
  const username = usernameDerived ? usernameFromEmail(email) : checkUsername(row.username!, email, errors)
  if (errors.username) return invalid(name, `username ${JSON.stringify(row.username)} is not one Tessera accepts (${errors.username.join(' ')})`)

  const passwordHash = importedHash(row.password, name, issues)
  const dateJoined = djangoTime(row.dateJoined, name, 'date_joined', issues) ?? mapping.now
  const lastLogin = djangoTime(row.lastLogin, name, 'last_login', issues)
  const user: NewUser = {
    email,
    emailKey: identityKey(email),
    username,
    usernameKey: identityKey(username),
    passwordHash,
    isActive: row.isActive,
    isStaff: row.isStaff,
    isSuperuser: row.isSuperuser,
    emailVerified: mapping.emailsVerified && rawEmail !== '',
    bio: null,
    image: null,
    dateJoined,
    lastLogin,
    // Reset links and the like count from here; nothing was issued by Tessera before the import.
    passwordChangedAt: mapping.now,
  }
  return { ok: true, user, usernameDerived, issues }
}

/** A derived username made distinct by the Django id, for when the plain one is taken. */
export function distinctUsername(user: NewUser, djangoId: number): Pick<NewUser, 'username' | 'usernameKey'> {
  const username = usernameFromEmail(user.email, `-${djangoId}`)
  return { username, usernameKey: identityKey(username) }
}

/** The row's hash as Tessera stores it: verbatim, reported when it cannot be verified. */
function importedHash(encoded: string | null, name: string, issues: ImportIssue[]): string {
  if (typeof encoded !== 'string' || encoded.length > MAX_HASH_LENGTH) {
    issues.push({ kind: 'password', row: name, message: 'has no password hash Tessera can read; imported with an unusable password (a reset sets one)' })
    return makeUnusablePassword()
  }
  const status = inspectPasswordHash(encoded)
  if (status.usable || status.reason === 'unusable') return encoded
  const what =
    status.reason === 'unsupported'
      ? `a ${status.algorithm} hash, a hasher Tessera does not verify`
      : `a malformed ${status.algorithm === null ? 'password' : status.algorithm} hash`
  issues.push({ kind: 'password', row: name, message: `has ${what}; imported as is, so only a password reset lets the user log in` })
  // Verbatim, as Django has it: verification fails safely, and a later Tessera may read it.
  return encoded
}

/** A Django datetime as a Date; null when absent, and when unreadable (reported). */
export function djangoTime(value: Date | string | null, name: string, column: string, issues: ImportIssue[]): Date | null {
  if (value === null || value === '') return null
  const parsed = value instanceof Date ? value : parseDjangoTime(value)
  if (parsed !== null && !Number.isNaN(parsed.getTime())) return parsed
  issues.push({ kind: 'changed', row: name, message: `has an unreadable ${column}; imported without it` })
  return null
}

/** Django's text form of a datetime (SQLite), read as UTC unless it names an offset; null when it is not one. */
function parseDjangoTime(text: string): Date | null {
  const match = DJANGO_TIME.exec(text.trim())
  if (match === null) return null
  const [, year, month, day, hour, minute, second, fraction = '', zone = 'Z'] = match
  const millis = Number(fraction.padEnd(3, '0').slice(0, 3))
  const utc = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second), millis)
  return new Date(utc - zoneOffsetMinutes(zone) * 60_000)
}

function zoneOffsetMinutes(zone: string): number {
  if (zone === 'Z') return 0
  const digits = zone.replace(':', '')
  const minutes = Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5))
  return digits.startsWith('-') ? -minutes : minutes
}

/** Why a DRF key cannot be imported, or null when it can; never repeats the key. */
export function checkDrfKey(row: DjangoTokenRow): ImportIssue | null {
  if (typeof row.key === 'string' && isDrfKey(row.key)) return null
  return {
    kind: 'invalid',
    row: tokenRowName(row),
    message: 'has a key that is not 40 lowercase hexadecimal characters, which DRF never makes; skipped',
  }
}

/** Names a token row by its user (DRF has one per user), never by its key, which is a secret. */
export function tokenRowName(row: Pick<DjangoTokenRow, 'userId'>): string {
  return `authtoken_token of user ${row.userId}`
}

function invalid(row: string, message: string): MappedUser {
  return { ok: false, issue: { kind: 'invalid', row, message: `${message}; skipped` } }
}
