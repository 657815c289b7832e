import { sql, type Insertable, type Kysely, type Selectable } from 'kysely'
import type { AuditStore } from '../audit-store.js'
import type { AuditEventQuery, AuditEventRecord, NewAuditEvent } from '../store.js'
import { insertChunked } from './insert-chunked.js'
import type { AuditEventsTable, Database } from './schema.js'

/** Rows one retention DELETE removes, about: short transactions, so logins never wait long on SQLite's lock. */
const DELETE_BATCH = 5000
/** Rows one INSERT carries (6 parameters each, well under both engines' limits). */
const ROWS_PER_INSERT = 1000

/** Builds the audit-log methods of the Kysely store; `createKyselyStore` composes them with the rest. */
export function createKyselyAuditStore(db: Kysely<Database>): AuditStore {
  return {
    async appendAuditEvents(events) {
      if (events.length === 0) return
      const rows = events.map(toAuditRow)
      // The writer's batches (about 100 rows) are one statement; only a larger call needs a transaction.
      if (rows.length <= ROWS_PER_INSERT) {
        await db.insertInto('audit_events').values(rows).execute()
        return
      }
      await db.transaction().execute((trx) => insertChunked(trx, rows, (chunk) => trx.insertInto('audit_events').values(chunk)))
    },

    async listAuditEvents(query) {
      const rows = await selectAuditEvents(db, query).execute()
      return rows.map(toAuditEvent)
    },

    async deleteAuditEventsBefore(before) {
      let deleted = 0
      for (;;) {
        const { top } = await oldestAuditBatch(db, before).executeTakeFirstOrThrow()
        if (top === null) return deleted
        const result = await deleteAuditRange(db, Number(top), before).executeTakeFirst()
        deleted += Number(result.numDeletedRows)
      }
    },
  }
}

/**
 * The listing's query: newest first by id, so each filter is one backward range of an index
 * (the primary key; `user_id, id`; `kind, id`; `user_id, kind, id`). Exported for the EXPLAIN tests.
 */
export function selectAuditEvents(db: Kysely<Database>, { userId, kind, beforeId, limit }: AuditEventQuery) {
  let query = db.selectFrom('audit_events').selectAll()
  // Cast, as users' ids elsewhere: PostgreSQL's integer column would refuse a number past 2^31 - 1
  // with an error where the answer is "no rows"; int4 = int8 still uses the index.
  if (userId !== undefined) query = query.where('user_id', '=', sql<number>`cast(${userId} as bigint)`)
  if (kind !== undefined) query = query.where('kind', '=', kind)
  if (beforeId !== undefined) query = query.where('id', '<', beforeId)
  return query.orderBy('id', 'desc').limit(limit)
}

/**
 * The highest id among the oldest `DELETE_BATCH` rows before `before` (found by the `at` index), or
 * null when none is left. Retention deletes up to it by primary key, batch by batch: ids and times
 * grow together, so a batch is about `DELETE_BATCH` rows, and the `at` condition keeps every newer row.
 * Exported for the EXPLAIN tests.
 */
export function oldestAuditBatch(db: Kysely<Database>, before: Date) {
  return db
    .selectFrom((eb) =>
      eb.selectFrom('audit_events').select('id').where('at', '<', before.getTime()).orderBy('at').limit(DELETE_BATCH).as('batch'),
    )
    .select((eb) => eb.fn.max('batch.id').as('top'))
}

/** The `audit_events` row for a new event; the engine assigns `id`. */
function toAuditRow(event: NewAuditEvent): Insertable<AuditEventsTable> {
  return {
    at: event.at.getTime(),
    kind: event.kind,
    user_id: event.userId,
    actor_id: event.actorId,
    address: event.address,
    detail: JSON.stringify(event.detail),
  }
}

/** The record an `audit_events` row stands for. */
function toAuditEvent(row: Selectable<AuditEventsTable>): AuditEventRecord {
  return {
    // PostgreSQL's bigint arrives as a number while exact (postgres.ts), which an id always is.
    id: Number(row.id),
    at: new Date(Number(row.at)),
    kind: row.kind,
    userId: row.user_id,
    actorId: row.actor_id,
    address: row.address,
    detail: parseDetail(row.detail),
  }
}

/** The detail object of a row; text that is not a JSON object (written by hand) is kept under `text`. */
function parseDetail(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text)
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>
  } catch {
    // Fall through: an unreadable detail must not make the whole page fail.
  }
  return { text }
}

/** Deletes the rows up to id `top` recorded before `before`: one primary-key range. Exported for the EXPLAIN tests. */
export function deleteAuditRange(db: Kysely<Database>, top: number, before: Date) {
  return db.deleteFrom('audit_events').where('id', '<=', top).where('at', '<', before.getTime())
}
