import { sql, SqliteAdapter, type Insertable, type Kysely, type RawBuilder, type Transaction } from 'kysely'
import { compileOncePerColumns, type QueryTarget } from './compiled-once.js'
import { insertChunked } from './insert-chunked.js'
import type { Database, SessionsTable } from './schema.js'

/**
 * SQLite keeps each session at a rowid taken from its secret hash, so a token check walks one
 * B-tree (the table's, with integer keys) instead of the 64-character `secret_hash` index and
 * then the table: at a million sessions that is a third fewer pages per cold check, and about a
 * fifth less CPU per request. The rowid is a hint, never the truth: every read also matches
 * `secret_hash`, and a session found at no slot (written by an older version, or whose slots
 * were all taken) is still found through the index.
 *
 * A hash's slots are the 8 rowids from `base` = its first 50 bits × 8, so two hashes share slots
 * only when their first 50 bits agree; `base + 7` stays a safe JavaScript integer (2^53 − 1).
 */
export const SESSION_SLOTS = 8

const HEX_50_BITS = /^[0-9a-f]{13}/

/** Whether `db` is SQLite, the one engine whose sessions sit at slots. */
export function usesSessionSlots(db: Kysely<Database>): boolean {
  return db.getExecutor().adapter instanceof SqliteAdapter
}

/** The first rowid of the slots of `secretHash` (a lowercase hex SHA-256), or null for any other string. */
export function slotBase(secretHash: string): number | null {
  if (!HEX_50_BITS.test(secretHash)) return null
  // 13 hex digits are 52 bits; dropping the last 2 leaves 50, and × 8 makes room for the slots.
  return Math.floor(parseInt(secretHash.slice(0, 13), 16) / 4) * SESSION_SLOTS
}

/** `slotBase` in SQL, of a column holding the hash (the migration places existing rows with it). */
export function slotBaseSql(column: string): string {
  const digits = Array.from({ length: 13 }, (_, i) => `((instr('0123456789abcdef', substr(${column}, ${i + 1}, 1)) - 1) << ${4 * (12 - i)})`)
  return `(((${digits.join(' + ')}) >> 2) * ${SESSION_SLOTS})`
}

/**
 * The lowest free slot from `base` to `last` (`base + SESSION_SLOTS - 1`), or NULL when all are
 * taken (an INSERT then lets SQLite pick a rowid, and the index finds the row). One expression, so
 * the choice and the write are atomic.
 */
function freeSlot(base: unknown, last: unknown): RawBuilder<number | null> {
  const offsets = Array.from({ length: SESSION_SLOTS }, (_, i) => `(${i})`).join(', ')
  return sql<number | null>`(select min(slot) from (select ${base} + column1 as slot from (values ${sql.raw(offsets)}))
    where slot not in (select rowid from sessions where rowid between ${base} and ${last}))`
}

/** The INSERT of `row`, at the lowest free slot from `slots[0]` to `slots[1]` when given. */
function insertAt(db: QueryTarget, row: Insertable<SessionsTable>, slots: readonly [unknown, unknown] | null) {
  // `rowid` is no column of the schema's types; SQLite takes it as the row's key.
  const values = slots === null ? row : ({ ...row, rowid: freeSlot(...slots) } as Insertable<SessionsTable>)
  return db.insertInto('sessions').values(values)
}

/** The INSERT of one session row, at its lowest free slot when `slotted`. */
export function insertSessionRow(db: QueryTarget, row: Insertable<SessionsTable>, slotted: boolean) {
  const base = slotted ? slotBase(row.secret_hash) : null
  return insertAt(db, row, base === null ? null : [base, base + SESSION_SLOTS - 1])
}

/**
 * `insertSessionRow` for a login: compiled once (at a slot, and without one), so no login builds a
 * query. The slots' names are no column's.
 */
export function compiledSessionInsert(db: Kysely<Database>, slotted: boolean): (row: Insertable<SessionsTable>) => Promise<void> {
  const atSlot = compileOncePerColumns(db, (columns, value) => insertAt(db, columns as Insertable<SessionsTable>, [value(':base'), value(':last')]))
  const anywhere = compileOncePerColumns(db, (columns) => insertAt(db, columns as Insertable<SessionsTable>, null))
  return async (row) => {
    const base = slotted ? slotBase(row.secret_hash) : null
    if (base === null) await anywhere(row)
    else await atSlot(row, { ':base': base, ':last': base + SESSION_SLOTS - 1 })
  }
}

/**
 * Inserts session rows in multi-row INSERTs (imports, benchmarks), with slots when `slotted`:
 * each row at the first slot of its hash, and a chunk where two rows (or a row and a stored
 * session) want one slot again row by row, each at its lowest free slot. A chunk that fails for
 * any other reason fails again row by row, with the same error.
 */
export async function insertSessionRows(trx: Transaction<Database>, rows: Insertable<SessionsTable>[], slotted: boolean): Promise<void> {
  if (!slotted) return insertChunked(trx, rows, (chunk) => trx.insertInto('sessions').values(chunk))
  const atFirstSlot = rows.map((row) => ({ ...row, rowid: slotBase(row.secret_hash) }) as Insertable<SessionsTable>)
  await insertChunked(
    trx,
    atFirstSlot,
    (chunk) => trx.insertInto('sessions').values(chunk),
    async (chunk) => {
      for (const row of chunk) await insertSessionRow(trx, row, true).execute()
    },
  )
}

/**
 * The columns an UPDATE sets when a session's secret becomes `secretHash`: when `slotted`, also
 * its rowid, to a free slot of the new hash (else it stays where it is, found by the index).
 */
export function secretHashChange(secretHash: string, slotted: boolean): { secret_hash: string } {
  const base = slotted ? slotBase(secretHash) : null
  if (base === null) return { secret_hash: secretHash }
  // `rowid` is no column of the schema's types; SQLite takes it as the row's key.
  return { secret_hash: secretHash, rowid: sql<number>`coalesce(${freeSlot(base, base + SESSION_SLOTS - 1)}, rowid)` } as { secret_hash: string }
}

/**
 * The condition "the row sits at a slot of its hash and holds it", with placeholders for `base`,
 * `base + SESSION_SLOTS - 1` and then the hash. The unary `+` keeps SQLite's planner off the
 * `secret_hash` index, which it would otherwise prefer for the equality.
 */
export function atSlotsCondition() {
  return sql<boolean>`sessions.rowid between ${0} and ${0} and +sessions.secret_hash = ${''}`
}
