import { sql, type Kysely } from 'kysely'
import { SESSION_SLOTS, slotBaseSql, usesSessionSlots } from '../session-slots.js'

/**
 * Moves every SQLite session to a slot of its secret hash (see session-slots.ts), so sessions
 * made before slots get the one-descent token check too. Rows stay findable through the index
 * throughout, so a start interrupted half-way loses nothing and the next start finishes the
 * work. PostgreSQL has no rowids and nothing to do.
 */
export async function up(db: Kysely<any>): Promise<void> {
  if (!usesSessionSlots(db)) return
  const base = slotBaseSql('secret_hash')
  const misplaced = sql.raw(`NOT (rowid BETWEEN ${base} AND ${base} + ${SESSION_SLOTS - 1})`)
  const { rows: [cache] } = await sql<{ cache_size: number }>`PRAGMA cache_size`.execute(db)
  // Every row moves to a random place in the table and in each of its indexes; a bigger page cache
  // for the while halves the time (4.4 s for 200,000 sessions here), and is given back afterwards.
  await sql`PRAGMA cache_size = -65536`.execute(db)
  try {
    for (let slot = 0; slot < SESSION_SLOTS; slot++) {
      // OR IGNORE: a row whose slot is taken stays where it is, for the next slot's pass.
      await sql`UPDATE OR IGNORE sessions SET rowid = ${sql.raw(base)} + ${slot} WHERE ${misplaced}`.execute(db)
      const { rows } = await sql<{ left: number }>`SELECT count(*) AS "left" FROM sessions WHERE ${misplaced}`.execute(db)
      if (Number(rows[0]?.left ?? 0) === 0) break
    }
  } finally {
    await sql.raw(`PRAGMA cache_size = ${Number(cache?.cache_size ?? -2000)}`).execute(db)
    await sql`PRAGMA shrink_memory`.execute(db)
  }
}

/** Nothing to undo: a rowid is no part of the schema, and every read still matches `secret_hash`. */
export async function down(): Promise<void> {}
