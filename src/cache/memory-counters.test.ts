import { describe, expect, it } from 'vitest'
import { createMemoryCounters } from './memory-counters.js'

const T0 = new Date('2026-01-01T00:00:00Z')
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000)

describe('createMemoryCounters()', () => {
  it('has no counter before the first increment', async () => {
    expect(await createMemoryCounters().peek('k', T0)).toBeNull()
  })

  it('counts within a window that starts at the first increment', async () => {
    const counters = createMemoryCounters()
    expect(await counters.increment('k', 60, T0)).toEqual({ count: 1, resetAt: at(60) })
    expect(await counters.increment('k', 60, at(30))).toEqual({ count: 2, resetAt: at(60) })
    expect(await counters.increment('k', 60, at(59))).toEqual({ count: 3, resetAt: at(60) })
    expect(await counters.peek('k', at(59.999))).toEqual({ count: 3, resetAt: at(60) })
  })

  it('starts again from zero when the window ends', async () => {
    const counters = createMemoryCounters()
    await counters.increment('k', 60, T0)
    await counters.increment('k', 60, T0)
    expect(await counters.peek('k', at(60))).toBeNull()
    expect(await counters.increment('k', 60, at(61))).toEqual({ count: 1, resetAt: at(121) })
  })

  it('keeps keys apart, and reset() clears only its key', async () => {
    const counters = createMemoryCounters()
    await counters.increment('a', 60, T0)
    await counters.increment('b', 60, T0)
    await counters.reset('a')
    await counters.reset('never-set')
    expect(await counters.peek('a', T0)).toBeNull()
    expect(await counters.peek('b', T0)).toMatchObject({ count: 1 })
    expect(await counters.increment('a', 60, T0)).toMatchObject({ count: 1 })
  })

  it('decrement() takes one back within the window, never below zero, and starts no window', async () => {
    const counters = createMemoryCounters()
    await counters.increment('k', 60, T0)
    await counters.increment('k', 60, T0)
    await counters.decrement('k', at(1))
    expect(await counters.peek('k', at(1))).toEqual({ count: 1, resetAt: at(60) })
    await counters.decrement('k', at(1))
    await counters.decrement('k', at(1))
    expect(await counters.peek('k', at(1))).toMatchObject({ count: 0 })
    expect(await counters.increment('k', 60, at(2))).toEqual({ count: 1, resetAt: at(60) })
    await counters.decrement('other', T0)
    expect(await counters.peek('other', T0)).toBeNull()
    await counters.decrement('k', at(60))
    expect(await counters.increment('k', 60, at(60))).toEqual({ count: 1, resetAt: at(120) })
  })

  it('hands out copies: changing a returned count changes nothing', async () => {
    const counters = createMemoryCounters()
    const state = await counters.increment('k', 60, T0)
    state.count = 100
    const peeked = await counters.peek('k', T0)
    peeked!.count = 50
    expect(await counters.peek('k', T0)).toEqual({ count: 1, resetAt: at(60) })
  })

  // `{ ...state }` copies the count but shares the Date: a caller that moves the returned resetAt
  // (say, to round it for a Retry-After header) moves the window itself.
  it('hands out copies: changing a returned resetAt changes nothing', async () => {
    const counters = createMemoryCounters()
    const state = await counters.increment('k', 60, T0)
    state.resetAt.setTime(0)
    ;(await counters.peek('k', T0))?.resetAt.setTime(0)
    expect(await counters.peek('k', T0)).toEqual({ count: 1, resetAt: at(60) })
  })

  describe('the maxKeys bound', () => {
    it('drops expired windows first when full', async () => {
      const counters = createMemoryCounters(3)
      await counters.increment('short', 10, T0)
      await counters.increment('b', 600, T0)
      await counters.increment('c', 600, T0)
      await counters.increment('d', 600, at(20))
      expect(await counters.peek('b', at(20))).toMatchObject({ count: 1 })
      expect(await counters.peek('c', at(20))).toMatchObject({ count: 1 })
      expect(await counters.peek('d', at(20))).toMatchObject({ count: 1 })
    })

    it('then drops the oldest windows, never holding more than maxKeys', async () => {
      const counters = createMemoryCounters(3)
      for (const key of ['a', 'b', 'c', 'd']) await counters.increment(key, 600, T0)
      expect(await counters.peek('a', T0)).toBeNull()
      for (const key of ['b', 'c', 'd']) expect(await counters.peek(key, T0), key).not.toBeNull()
      // A flood of new identifiers keeps only the newest maxKeys.
      for (let i = 0; i < 1000; i++) await counters.increment(`flood${i}`, 600, T0)
      const live = await Promise.all(['b', 'c', 'd', 'flood996', 'flood997', 'flood998', 'flood999'].map((k) => counters.peek(k, T0)))
      expect(live.map((state) => state !== null)).toEqual([false, false, false, false, true, true, true])
    })

    it('does not evict anything to count again a key it already holds', async () => {
      const counters = createMemoryCounters(2)
      await counters.increment('a', 600, T0)
      await counters.increment('b', 600, T0)
      expect(await counters.increment('a', 600, T0)).toMatchObject({ count: 2 })
      expect(await counters.peek('b', T0)).toMatchObject({ count: 1 })
    })
  })
})
