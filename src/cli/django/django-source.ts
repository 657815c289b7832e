import type { DjangoTokenRow, DjangoUserRow } from '../../core/django-rows.js'
import { CommandError } from '../run-command.js'

/** Which column of the user table holds each field; null for a column the table lacks. */
export interface UserColumns {
  id: string
  password: string
  email: string
  username: string | null
  isActive: string | null
  isStaff: string | null
  isSuperuser: string | null
  dateJoined: string | null
  lastLogin: string | null
}

/** What a Django database holds, checked before anything is read. */
export interface DjangoSourceShape {
  userTable: string
  columns: UserColumns
  /** DRF's token table, or null when the database has none. */
  tokenTable: string | null
  userCount: number
  tokenCount: number
  /** What the operator should know before trusting the result (a missing table, a defaulted column). */
  warnings: string[]
}

/** A Django database opened for reading, page by page in key order. */
export interface DjangoSource {
  readonly shape: DjangoSourceShape
  /** Up to `limit` users with an id above `afterId`, by id. */
  readUsers(afterId: number, limit: number): Promise<DjangoUserRow[]>
  /** Up to `limit` tokens with a key above `afterKey`, by key. */
  readTokens(afterKey: string, limit: number): Promise<DjangoTokenRow[]>
  close(): Promise<void>
}

/** How the user table is named and mapped (`--user-table`, `--email-column`, `--username-column`). */
export interface UserTableOptions {
  userTable: string
  emailColumn: string
  /** A column name; undefined to use `username` when the table has one; false to derive every username. */
  usernameColumn?: string | false
}

/** The tables and columns of a database, as its engine lists them. */
export interface Catalog {
  tables: ReadonlySet<string>
  columns(table: string): Promise<ReadonlySet<string>>
}

export const TOKEN_TABLE = 'authtoken_token'
const MIGRATIONS_TABLE = 'django_migrations'
const TOKEN_COLUMNS = ['key', 'user_id', 'created']
// Django's own names for the optional fields (AbstractUser's); a custom model may lack any of them.
const OPTIONAL_COLUMNS = {
  isActive: ['is_active', 'imported as active'],
  isStaff: ['is_staff', 'imported as not staff'],
  isSuperuser: ['is_superuser', 'imported as not superusers'],
  dateJoined: ['date_joined', 'imported as joined now'],
  lastLogin: ['last_login', 'imported as never logged in'],
} as const
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

/**
 * Checks that the catalog is a Django database with the user table and columns the options name,
 * and says which column holds what; throws a `CommandError` naming what is missing.
 */
export async function planSource(
  catalog: Catalog,
  options: UserTableOptions,
  where: string,
): Promise<Omit<DjangoSourceShape, 'userCount' | 'tokenCount'>> {
  const warnings: string[] = []
  const { userTable } = options
  for (const name of [userTable, options.emailColumn, options.usernameColumn || 'username']) {
    if (!IDENTIFIER.test(name)) throw new CommandError(`"${name}" is not a table or column name`, 2)
  }
  const isDjango = catalog.tables.has(MIGRATIONS_TABLE)
  if (!catalog.tables.has(userTable)) {
    if (!isDjango) throw new CommandError(`${where} is not a Django database: it has neither a ${MIGRATIONS_TABLE} nor a ${userTable} table`)
    const candidates = [...catalog.tables].filter((table) => /user|account|member|person/i.test(table) && !table.startsWith('auth_group'))
    const hint = candidates.length > 0 ? ` (tables that may hold users: ${candidates.sort().join(', ')})` : ''
    throw new CommandError(`${where} has no ${userTable} table${hint}; name a custom user model's table with --user-table`)
  }
  if (!isDjango) warnings.push(`${where} has no ${MIGRATIONS_TABLE} table, so it may not be a Django database; reading ${userTable} anyway`)

  const present = await catalog.columns(userTable)
  const require = (column: string, option: string) => {
    if (present.has(column)) return column
    throw new CommandError(`${userTable} has no column ${column} (its columns: ${[...present].sort().join(', ')})${option}`)
  }
  const columns: UserColumns = {
    id: require('id', ''),
    password: require('password', ''),
    email: require(options.emailColumn, '; name the e-mail column with --email-column'),
    username: null,
    isActive: null,
    isStaff: null,
    isSuperuser: null,
    dateJoined: null,
    lastLogin: null,
  }
  if (typeof options.usernameColumn === 'string') columns.username = require(options.usernameColumn, '; name it with --username-column')
  else if (options.usernameColumn === undefined && present.has('username')) columns.username = 'username'
  else warnings.push(`${userTable} has no username column: usernames are derived from e-mails, as registration does`)
  for (const [field, [column, fallback]] of Object.entries(OPTIONAL_COLUMNS) as [keyof typeof OPTIONAL_COLUMNS, readonly [string, string]][]) {
    if (present.has(column)) columns[field] = column
    else warnings.push(`${userTable} has no ${column} column: users are ${fallback}`)
  }

  let tokenTable: string | null = null
  if (!catalog.tables.has(TOKEN_TABLE)) {
    warnings.push(`${where} has no ${TOKEN_TABLE} table (rest_framework.authtoken): no keys to import`)
  } else {
    const tokenColumns = await catalog.columns(TOKEN_TABLE)
    const missing = TOKEN_COLUMNS.filter((column) => !tokenColumns.has(column))
    if (missing.length > 0) throw new CommandError(`${TOKEN_TABLE} has no column ${missing.join(', ')}: it is not DRF's token table`)
    tokenTable = TOKEN_TABLE
  }
  return { userTable, columns, tokenTable, warnings }
}

/** The SELECT list reading a user row under the planned columns; absent ones read as NULL. */
export function userSelectList(columns: UserColumns): string {
  const pick = (column: string | null, alias: string) => `${column === null ? 'NULL' : quote(column)} AS ${alias}`
  return [
    pick(columns.id, 'id'),
    pick(columns.password, 'password'),
    pick(columns.email, 'email'),
    pick(columns.username, 'username'),
    pick(columns.isActive, 'is_active'),
    pick(columns.isStaff, 'is_staff'),
    pick(columns.isSuperuser, 'is_superuser'),
    pick(columns.dateJoined, 'date_joined'),
    pick(columns.lastLogin, 'last_login'),
  ].join(', ')
}

/** A user row as either engine returns it under `userSelectList`. */
export interface RawUserRow {
  id: unknown
  password: unknown
  email: unknown
  username: unknown
  is_active: unknown
  is_staff: unknown
  is_superuser: unknown
  date_joined: unknown
  last_login: unknown
}

/** A raw row in the core's shape: engine types converted, nothing judged but the id (the keyset needs it). */
export function toDjangoUserRow(raw: RawUserRow, table: string): DjangoUserRow {
  const id = Number(raw.id)
  if (!Number.isSafeInteger(id)) throw new CommandError(`${table} has a non-integer id (${String(raw.id)}); Tessera imports integer primary keys only`)
  return {
    id,
    password: typeof raw.password === 'string' ? raw.password : null,
    email: raw.email === null || raw.email === undefined ? null : String(raw.email),
    username: raw.username === null || raw.username === undefined ? null : String(raw.username),
    isActive: flag(raw.is_active, true),
    isStaff: flag(raw.is_staff, false),
    isSuperuser: flag(raw.is_superuser, false),
    dateJoined: time(raw.date_joined),
    lastLogin: time(raw.last_login),
  }
}

/** A raw token row in the core's shape. */
export function toDjangoTokenRow(raw: { key: unknown; user_id: unknown; created: unknown }): DjangoTokenRow {
  return { key: typeof raw.key === 'string' ? raw.key : String(raw.key), userId: Number(raw.user_id), created: time(raw.created) }
}

/** A name double-quoted for SQL; only names `planSource` accepted reach here. */
export function quote(name: string): string {
  return `"${name}"`
}

/** A boolean column: SQLite's 0/1, PostgreSQL's true/false; absent columns take Django's default. */
function flag(value: unknown, absent: boolean): boolean {
  if (value === null || value === undefined) return absent
  if (typeof value === 'boolean') return value
  if (typeof value === 'number' || typeof value === 'bigint') return Number(value) !== 0
  return /^(1|t|true)$/i.test(String(value))
}

function time(value: unknown): Date | string | null {
  if (value === null || value === undefined) return null
  return value instanceof Date ? value : String(value)
}
