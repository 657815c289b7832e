import { describe, expect, it } from 'vitest'
import type { SessionTouch } from '../store/store.js'
import { TouchWriter } from './touch-writer.js'

/** A store that records each batch it is given, and refuses the ones `refuse` names. */
function recordingStore(refuse: (batch: readonly SessionTouch[]) => boolean = () => false) {
  const batches: Array<Array<[string, number, number]>> = []
  return {
    batches,
    async touchSessions(touches: readonly SessionTouch[]): Promise<void> {
      await new Promise((resolve) => setTimeout(resolve, 1))
      if (refuse(touches)) throw new Error('store down')
      batches.push(touches.map((t) => [t.id, t.lastUsedAt.getTime(), t.expiresAt.getTime()]))
    },
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('TouchWriter', () => {
  it('writes the touches of many sessions in one batch, flushDelayMs after the first', async () => {
    const store = recordingStore()
    const writer = new TouchWriter(store, () => {}, { flushDelayMs: 30 })
    writer.add('a', 1, 10)
    writer.add('b', 2, 20)
    await sleep(5)
    writer.add('c', 3, 30)
    expect(store.batches).toEqual([])
    await sleep(60)
    expect(store.batches).toEqual([
      [
        ['a', 1, 10],
        ['b', 2, 20],
        ['c', 3, 30],
      ],
    ])
  })

  it('keeps the latest touch of a session that is touched again before the write', async () => {
    const store = recordingStore()
    const writer = new TouchWriter(store, () => {}, { flushDelayMs: 1000 })
    writer.add('a', 1, 10)
    writer.add('b', 2, 20)
    writer.add('a', 5, 50)
    await writer.flush()
    expect(store.batches).toEqual([
      [
        ['a', 5, 50],
        ['b', 2, 20],
      ],
    ])
  })

  it('writes at once when batchSize touches wait, and splits a bigger backlog into batches', async () => {
    const store = recordingStore()
    const writer = new TouchWriter(store, () => {}, { flushDelayMs: 60_000, batchSize: 3 })
    for (const id of ['a', 'b', 'c']) writer.add(id, 1, 2)
    await sleep(20)
    expect(store.batches.map((batch) => batch.map(([id]) => id))).toEqual([['a', 'b', 'c']])
    // While nothing fires, a flush writes everything, batchSize rows per call.
    const many = new TouchWriter(store, () => {}, { flushDelayMs: 60_000, batchSize: 1000 })
    for (let i = 0; i < 2500; i++) many.add(`s${i}`, i, i + 1)
    await many.flush()
    expect(store.batches.slice(1).map((batch) => batch.length)).toEqual([1000, 1000, 500])
  })

  it('reports a refused batch, drops it, and writes the next ones', async () => {
    const errors: string[] = []
    const store = recordingStore((batch) => batch.some((touch) => touch.id === 'bad'))
    const writer = new TouchWriter(store, (_error, what) => errors.push(what), { flushDelayMs: 1000 })
    writer.add('bad', 1, 2)
    await writer.flush()
    writer.add('good', 3, 4)
    await writer.flush()
    expect(errors).toEqual(["touchSessions: 1 sessions' lastUsedAt not written"])
    expect(store.batches).toEqual([[['good', 3, 4]]])
  })

  it('writes batches in the order they were taken, even when a flush overlaps a running write', async () => {
    const store = recordingStore()
    const writer = new TouchWriter(store, () => {}, { flushDelayMs: 1000 })
    writer.add('a', 1, 2)
    const first = writer.flush()
    writer.add('a', 9, 10)
    await Promise.all([first, writer.flush()])
    expect(store.batches).toEqual([[['a', 1, 2]], [['a', 9, 10]]])
    // Nothing queued: a flush waits for nothing and writes nothing.
    await writer.flush()
    expect(store.batches).toHaveLength(2)
  })

  it('answers queued() with the latest unwritten touch, through the write, and nothing once stored', async () => {
    const store = recordingStore()
    const writer = new TouchWriter(store, () => {}, { flushDelayMs: 1000 })
    expect(writer.queued('a')).toBeUndefined()
    writer.add('a', 1, 10)
    expect(writer.queued('a')).toEqual({ lastUsedAt: 1, expiresAt: 10 })
    const writing = writer.flush()
    // Taken for the write but not stored yet: still told.
    expect(writer.queued('a')).toEqual({ lastUsedAt: 1, expiresAt: 10 })
    writer.add('a', 2, 20)
    expect(writer.queued('a')).toEqual({ lastUsedAt: 2, expiresAt: 20 })
    await writing
    await writer.flush()
    expect(writer.queued('a')).toBeUndefined()
    expect(store.batches).toEqual([[['a', 1, 10]], [['a', 2, 20]]])
  })

  it('refuses options it cannot work with', () => {
    const store = recordingStore()
    expect(() => new TouchWriter(store, () => {}, { batchSize: 0 })).toThrow(RangeError)
    expect(() => new TouchWriter(store, () => {}, { flushDelayMs: -1 })).toThrow(RangeError)
  })
})
