import { describe, expect, it } from 'vitest'
import { at, T0 } from './fixtures.contract.js'
import type { AuditEventRecord, NewAuditEvent, Store } from './store.js'

/** A valid audit row at `T0`, with `overrides` applied. */
function newAuditEvent(overrides: Partial<NewAuditEvent> = {}): NewAuditEvent {
  return { at: T0, kind: 'login.succeeded', userId: 1, actorId: null, address: '127.0.0.1', detail: {}, ...overrides }
}

/**
 * Declares the audit-log part of the store contract; called inside `describeStoreContract`, whose
 * hooks give each test an empty store, which `current` returns.
 */
export function describeAuditStoreContract(current: () => Store): void {
  describe('audit log', () => {
    /** Every row, newest first. */
    const all = () => current().listAuditEvents({ limit: 100_000 })
    const ids = (rows: AuditEventRecord[]) => rows.map((row) => row.id)

    it('appendAuditEvents() round-trips every field: nulls, unicode, NUL, nested detail, ms dates', async () => {
      const store = current()
      const full = newAuditEvent({
        at: at(1.001),
        kind: 'admin.action',
        userId: 7,
        actorId: 3,
        address: '2001:db8::1',
        detail: { action: 'user_updated', changed: 'isActive,email', isActive: false, n: 2, text: 'zoë 🚀 "q" \u0000 end', nested: { a: [1, null] } },
      })
      const sparse = newAuditEvent({ at: at(2.999), kind: 'login.failed', userId: null, address: null, detail: {} })
      await store.appendAuditEvents([full, sparse])
      const [second, first] = await all()
      expect(first).toEqual({ ...full, id: expect.any(Number) })
      expect(second).toEqual({ ...sparse, id: expect.any(Number) })
      expect(second!.id).toBeGreaterThan(first!.id)
    })

    it('appendAuditEvents() of nothing writes nothing; rows need no user that exists', async () => {
      const store = current()
      await store.appendAuditEvents([])
      expect(await all()).toEqual([])
      await store.appendAuditEvents([newAuditEvent({ userId: 999_999, actorId: 888_888 })])
      expect(await all()).toEqual([expect.objectContaining({ userId: 999_999, actorId: 888_888 })])
    })

    it('appendAuditEvents() keeps the order of a batch beyond one statement (2,500 rows)', async () => {
      const store = current()
      const batch = Array.from({ length: 2500 }, (_, i) => newAuditEvent({ userId: i, detail: { i } }))
      await store.appendAuditEvents(batch)
      const rows = await all()
      expect(rows).toHaveLength(2500)
      expect(rows.map((row) => row.userId)).toEqual(batch.map((event) => event.userId).reverse())
      expect(ids(rows)).toEqual([...ids(rows)].sort((a, b) => b - a))
    })

    it('listAuditEvents() is newest first and filters by user, by kind, and by both', async () => {
      const store = current()
      await store.appendAuditEvents([
        newAuditEvent({ userId: 1, kind: 'login.succeeded' }),
        newAuditEvent({ userId: 2, kind: 'login.succeeded' }),
        newAuditEvent({ userId: 1, kind: 'login.failed' }),
        newAuditEvent({ userId: null, kind: 'login.failed' }),
        newAuditEvent({ userId: 1, kind: 'login.succeeded' }),
      ])
      const rows = await all()
      const [e5, e4, e3, e2, e1] = ids(rows) as [number, number, number, number, number]
      expect(e5 > e4 && e4 > e3 && e3 > e2 && e2 > e1).toBe(true)
      expect(ids(await store.listAuditEvents({ userId: 1, limit: 10 }))).toEqual([e5, e3, e1])
      expect(ids(await store.listAuditEvents({ kind: 'login.failed', limit: 10 }))).toEqual([e4, e3])
      expect(ids(await store.listAuditEvents({ userId: 1, kind: 'login.succeeded', limit: 10 }))).toEqual([e5, e1])
      expect(await store.listAuditEvents({ userId: 3, limit: 10 })).toEqual([])
      expect(await store.listAuditEvents({ kind: 'LOGIN.FAILED', limit: 10 })).toEqual([])
    })

    it('listAuditEvents() pages by id with beforeId and limit, with every filter', async () => {
      const store = current()
      await store.appendAuditEvents(Array.from({ length: 7 }, (_, i) => newAuditEvent({ userId: i % 2 })))
      const every = ids(await all())
      expect(ids(await store.listAuditEvents({ limit: 3 }))).toEqual(every.slice(0, 3))
      expect(ids(await store.listAuditEvents({ limit: 3, beforeId: every[2]! }))).toEqual(every.slice(3, 6))
      expect(ids(await store.listAuditEvents({ limit: 3, beforeId: every[5]! }))).toEqual(every.slice(6))
      expect(await store.listAuditEvents({ limit: 3, beforeId: every[6]! })).toEqual([])
      const evens = ids(await store.listAuditEvents({ userId: 0, limit: 10 }))
      expect(evens).toHaveLength(4)
      expect(ids(await store.listAuditEvents({ userId: 0, limit: 2, beforeId: evens[1]! }))).toEqual(evens.slice(2))
    })

    it('listAuditEvents() answers ids beyond 32 bits with nothing, not an error', async () => {
      const store = current()
      await store.appendAuditEvents([newAuditEvent()])
      expect(await store.listAuditEvents({ userId: 2 ** 31, limit: 10 })).toEqual([])
      expect(await store.listAuditEvents({ userId: Number.MAX_SAFE_INTEGER, limit: 10 })).toEqual([])
      expect(await store.listAuditEvents({ beforeId: Number.MAX_SAFE_INTEGER, limit: 10 })).toHaveLength(1)
    })

    it('deleteAuditEventsBefore() deletes exactly the rows before `before`, in batches beyond 5,000', async () => {
      const store = current()
      const old = Array.from({ length: 6001 }, (_, i) => newAuditEvent({ at: at(-1 - i / 1000) }))
      await store.appendAuditEvents([...old, newAuditEvent({ at: T0 }), newAuditEvent({ at: at(1) })])
      expect(await store.deleteAuditEventsBefore(T0)).toBe(6001)
      expect((await all()).map((row) => row.at)).toEqual([at(1), T0])
      expect(await store.deleteAuditEventsBefore(T0)).toBe(0)
    })

    it('ids only grow: deleting the newest rows never lets an id come back', async () => {
      const store = current()
      await store.appendAuditEvents([newAuditEvent(), newAuditEvent()])
      const before = Math.max(...ids(await all()))
      expect(await store.deleteAuditEventsBefore(at(10))).toBe(2)
      await store.appendAuditEvents([newAuditEvent()])
      expect(ids(await all())[0]).toBeGreaterThan(before)
    })
  })
}
