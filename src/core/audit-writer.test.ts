import { describe, expect, it, vi } from 'vitest'
import type { NewAuditEvent } from '../store/store.js'
import { AuditWriter } from './audit-writer.js'

const row = (n: number): NewAuditEvent => ({
  at: new Date(Date.UTC(2026, 0, 1) + n),
  kind: 'login.succeeded',
  userId: n,
  actorId: null,
  address: null,
  detail: {},
})

/** A store that records every batch, and fails while `failing` says so. */
function recordingStore() {
  const batches: NewAuditEvent[][] = []
  const store = {
    batches,
    failing: (): boolean => false,
    written: (): number[] => batches.flat().map((r) => r.userId!),
    async appendAuditEvents(events: NewAuditEvent[]): Promise<void> {
      // The writer may reuse its queue: keep a copy, as a database would.
      const copy = [...events]
      await new Promise((resolve) => setImmediate(resolve))
      if (store.failing()) throw new Error('database is down')
      batches.push(copy)
    },
  }
  return store
}

const reports = () => {
  const seen: Array<{ message: string; what: string }> = []
  const report = (error: unknown, what: string) => seen.push({ message: error instanceof Error ? error.message : String(error), what })
  return { seen, report }
}

describe('AuditWriter', () => {
  it('writes nothing while rows are added; flushDelayMs after the first, it writes them in one batch', async () => {
    const store = recordingStore()
    const writer = new AuditWriter(store, () => {}, { flushDelayMs: 40 })
    for (let i = 0; i < 3; i++) writer.add(row(i))
    expect(store.batches).toEqual([])
    expect(writer.backlog()).toEqual({ pending: 3, dropped: 0 })
    await vi.waitFor(() => expect(store.batches).toHaveLength(1))
    expect(store.written()).toEqual([0, 1, 2])
    expect(writer.backlog()).toEqual({ pending: 0, dropped: 0 })
  })

  it('writes a burst of 5,000 rows in batches of batchSize, in order, without waiting for the delay', async () => {
    const store = recordingStore()
    const writer = new AuditWriter(store, () => {}, { batchSize: 100, flushDelayMs: 60_000 })
    for (let i = 0; i < 5000; i++) writer.add(row(i))
    await vi.waitFor(() => expect(store.written()).toHaveLength(5000), { timeout: 5000 })
    expect(store.batches).toHaveLength(50)
    expect(store.batches.every((batch) => batch.length === 100)).toBe(true)
    expect(store.written()).toEqual(Array.from({ length: 5000 }, (_, i) => i))
  })

  it('keeps a trickle in batches: rows that come during a write wait for the next full batch or the delay', async () => {
    const store = recordingStore()
    const writer = new AuditWriter(store, () => {}, { batchSize: 10, flushDelayMs: 50 })
    for (let i = 0; i < 12; i++) writer.add(row(i))
    await vi.waitFor(() => expect(store.batches).toHaveLength(1))
    expect(store.batches[0]).toHaveLength(10)
    for (let i = 12; i < 15; i++) writer.add(row(i))
    await vi.waitFor(() => expect(store.written()).toHaveLength(15))
    expect(store.batches.map((batch) => batch.length)).toEqual([10, 5])
  })

  it('a failing store: add() never throws, the failure is reported, and the rows are written once it recovers', async () => {
    const store = recordingStore()
    let down = true
    store.failing = () => down
    const { seen, report } = reports()
    const writer = new AuditWriter(store, report, { flushDelayMs: 1, retryDelayMs: 5 })
    for (let i = 0; i < 5; i++) writer.add(row(i))
    await vi.waitFor(() => expect(seen.length).toBeGreaterThanOrEqual(2))
    expect(seen[0]).toEqual({ message: 'database is down', what: 'audit log: writing 5 events failed (attempt 1 of 8)' })
    expect(writer.backlog().pending).toBe(5)
    down = false
    await vi.waitFor(() => expect(store.written()).toEqual([0, 1, 2, 3, 4]))
    expect(writer.backlog()).toEqual({ pending: 0, dropped: 0 })
  })

  it('caps the queue: while the store is down, rows beyond maxBuffered are dropped, counted and reported', async () => {
    const store = recordingStore()
    store.failing = () => true
    const { seen, report } = reports()
    const writer = new AuditWriter(store, report, { batchSize: 10, maxBuffered: 100, retryDelayMs: 60_000 })
    for (let i = 0; i < 250; i++) writer.add(row(i))
    expect(writer.backlog()).toEqual({ pending: 100, dropped: 150 })
    expect(seen.find((r) => r.what === 'audit log')?.message).toMatch(/^audit log: 1 event dropped \(the queue is full\)/)
    await writer.flush()
    // The stop says how many went in all, though the interval held the later reports back.
    expect(seen.at(-1)?.message).toMatch(/149 events dropped .*150 events since the start/)
  })

  it('drops a batch the store refused maxAttempts times (one bad row must not wedge the log), and goes on', async () => {
    const store = recordingStore()
    store.failing = () => store.batches.length === 0 && poisoned
    let poisoned = true
    const { seen, report } = reports()
    const writer = new AuditWriter(store, report, { batchSize: 2, flushDelayMs: 1, maxAttempts: 3, retryDelayMs: 1 })
    writer.add(row(0))
    writer.add(row(1))
    await vi.waitFor(() => expect(writer.backlog().dropped).toBe(2))
    expect(seen.filter((r) => r.what.startsWith('audit log: writing'))).toHaveLength(3)
    poisoned = false
    writer.add(row(2))
    await writer.flush()
    expect(store.written()).toEqual([2])
  })

  it('flush() writes every queued row now, after a write in progress, and never rejects', async () => {
    const store = recordingStore()
    const writer = new AuditWriter(store, () => {}, { batchSize: 100, flushDelayMs: 60_000 })
    for (let i = 0; i < 150; i++) writer.add(row(i))
    // The full batch is being written (a timer at 0); flush waits for it, then writes the rest.
    await new Promise((resolve) => setTimeout(resolve, 0))
    await writer.flush()
    expect(store.written()).toEqual(Array.from({ length: 150 }, (_, i) => i))
    store.failing = () => true
    writer.add(row(150))
    await expect(writer.flush()).resolves.toBeUndefined()
    expect(writer.backlog().pending).toBe(1)
  })

  it('refuses options that make no sense, naming them', () => {
    const store = recordingStore()
    expect(() => new AuditWriter(store, () => {}, { batchSize: 0 })).toThrow(/options\.audit\.batchSize/)
    expect(() => new AuditWriter(store, () => {}, { flushDelayMs: 1.5 })).toThrow(/options\.audit\.flushDelayMs/)
    expect(() => new AuditWriter(store, () => {}, { batchSize: 50, maxBuffered: 10 })).toThrow(/maxBuffered/)
  })
})
