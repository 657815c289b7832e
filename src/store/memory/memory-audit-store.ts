import type { AuditStore } from '../audit-store.js'
import type { AuditEventRecord } from '../store.js'

/** The memory store's audit table: its Store methods, and `clear` for `close()`. */
export interface MemoryAuditTable {
  methods: AuditStore
  clear(): void
}

/**
 * Builds the audit log held in an array in id order, with the SQL engines' semantics (ids that
 * only grow, newest first); `createMemoryStore` composes it with the rest.
 */
export function createMemoryAuditTable(): MemoryAuditTable {
  let rows: AuditEventRecord[] = []
  let lastId = 0

  const methods: AuditStore = {
    async appendAuditEvents(events) {
      // All or nothing, as one INSERT: copy every row before any is added.
      const added = events.map((event) => copyAuditEvent({ ...event, id: 0 }))
      for (const row of added) {
        row.id = ++lastId
        rows.push(row)
      }
    },

    async listAuditEvents({ userId, kind, beforeId, limit }) {
      const found: AuditEventRecord[] = []
      for (let i = rows.length - 1; i >= 0 && found.length < limit; i--) {
        const row = rows[i]!
        if (beforeId !== undefined && row.id >= beforeId) continue
        if (userId !== undefined && row.userId !== userId) continue
        if (kind !== undefined && row.kind !== kind) continue
        found.push(copyAuditEvent(row))
      }
      return found
    },

    async deleteAuditEventsBefore(before) {
      const kept = rows.filter((row) => row.at.getTime() >= before.getTime())
      const deleted = rows.length - kept.length
      rows = kept
      return deleted
    },
  }

  return {
    methods,
    clear() {
      rows = []
    },
  }
}

/** Rows hold a mutable Date and detail, so the store never shares one with a caller. */
function copyAuditEvent(row: AuditEventRecord): AuditEventRecord {
  return {
    id: row.id,
    at: new Date(row.at),
    kind: row.kind,
    userId: row.userId,
    actorId: row.actorId,
    address: row.address,
    // A JSON round trip, as the SQL engines store it: what cannot be stored there fails here too.
    detail: JSON.parse(JSON.stringify(row.detail)) as Record<string, unknown>,
  }
}
