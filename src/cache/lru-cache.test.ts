import { afterEach, describe, expect, it } from 'vitest'
import type { CachedSession, PrincipalCache } from '../core/principal.js'
import { createLruPrincipalCache } from './lru-cache.js'

/** A cached session of `userId`. */
function entry(sessionId: string, userId: number): CachedSession {
  return {
    user: { id: userId, email: `u${userId}@example.com`, username: `u${userId}`, isActive: true, isStaff: false, isSuperuser: false },
    sessionId,
    createdAt: 0,
    persistedLastUsedAt: 0,
  }
}

/** Sets `hash` → `session` of `userId` at the current generation. */
function put(cache: PrincipalCache, hash: string, sessionId: string, userId: number): void {
  cache.set(hash, entry(sessionId, userId), cache.generation())
}

const RealMap = globalThis.Map
const RealSet = globalThis.Set
afterEach(() => {
  globalThis.Map = RealMap
  globalThis.Set = RealSet
})

/**
 * Builds a cache while recording every Map and Set it creates (its own indexes and the LRU's
 * internals), so a test can see whether they grow with traffic rather than with the cache size.
 */
function trackedCache(maxEntries: number): { cache: PrincipalCache; heldEntries: () => number } {
  const collections: Array<Map<unknown, unknown> | Set<unknown>> = []
  globalThis.Map = class extends RealMap<unknown, unknown> {
    constructor(entries?: Iterable<readonly [unknown, unknown]> | null) {
      super(entries)
      collections.push(this)
    }
  } as MapConstructor
  globalThis.Set = class extends RealSet<unknown> {
    constructor(values?: Iterable<unknown> | null) {
      super(values)
      collections.push(this)
    }
  } as SetConstructor
  try {
    const cache = createLruPrincipalCache(maxEntries)
    return { cache, heldEntries: () => collections.reduce((sum, c) => sum + c.size, 0) }
  } finally {
    globalThis.Map = RealMap
    globalThis.Set = RealSet
  }
}

describe('createLruPrincipalCache()', () => {
  it('refuses a size that is not a positive integer', () => {
    for (const size of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => createLruPrincipalCache(size), String(size)).toThrow(RangeError)
    }
  })

  it('returns what was set, and nothing for an unknown hash', () => {
    const cache = createLruPrincipalCache(10)
    const stored = entry('s1', 1)
    cache.set('h1', stored, cache.generation())
    expect(cache.get('h1')).toBe(stored)
    expect(cache.get('h2')).toBeUndefined()
  })

  it('evicts the least recently used entry, counting a get as a use', () => {
    const cache = createLruPrincipalCache(2)
    put(cache, 'a', 'sa', 1)
    put(cache, 'b', 'sb', 1)
    cache.get('a')
    put(cache, 'c', 'sc', 2)
    expect(cache.get('b')).toBeUndefined()
    expect(cache.get('a')).toBeDefined()
    expect(cache.get('c')).toBeDefined()
  })

  it('deleteSession() forgets exactly that session', () => {
    const cache = createLruPrincipalCache(10)
    put(cache, 'a', 'sa', 1)
    put(cache, 'b', 'sb', 1)
    cache.deleteSession('sa')
    expect(cache.get('a')).toBeUndefined()
    expect(cache.get('b')).toBeDefined()
    expect(() => cache.deleteSession('unknown')).not.toThrow()
  })

  it('deleteUser() forgets every session of that user and no one else’s', () => {
    const cache = createLruPrincipalCache(10)
    put(cache, 'a', 'sa', 1)
    put(cache, 'b', 'sb', 1)
    put(cache, 'c', 'sc', 2)
    cache.deleteUser(1)
    expect(cache.get('a')).toBeUndefined()
    expect(cache.get('b')).toBeUndefined()
    expect(cache.get('c')).toBeDefined()
    expect(() => cache.deleteUser(99)).not.toThrow()
  })

  it('keeps its indexes right after eviction: deleting an evicted session or user touches nothing else', () => {
    const cache = createLruPrincipalCache(2)
    put(cache, 'a', 'sa', 1)
    put(cache, 'b', 'sb', 2)
    put(cache, 'c', 'sc', 1) // evicts a (user 1)
    expect(cache.get('a')).toBeUndefined()
    expect(() => cache.deleteSession('sa')).not.toThrow()
    expect(cache.get('c')).toBeDefined()
    cache.deleteUser(1)
    expect(cache.get('c')).toBeUndefined()
    expect(cache.get('b')).toBeDefined()
    // An evicted hash set again is indexed afresh.
    put(cache, 'a', 'sa', 1)
    cache.deleteSession('sa')
    expect(cache.get('a')).toBeUndefined()
    expect(cache.get('b')).toBeDefined()
  })

  it('re-indexes an entry replaced under the same hash', () => {
    const cache = createLruPrincipalCache(10)
    put(cache, 'h', 's1', 1)
    put(cache, 'h', 's2', 2)
    cache.deleteSession('s1')
    cache.deleteUser(1)
    expect(cache.get('h')?.sessionId).toBe('s2')
    cache.deleteUser(2)
    expect(cache.get('h')).toBeUndefined()
  })

  it('a session under two keys (its token hash and its id, for JWTs) is forgotten under both', () => {
    const cache = createLruPrincipalCache(10)
    put(cache, 'hash', 's1', 1)
    put(cache, 'sid:s1', 's1', 1)
    put(cache, 'other', 's2', 1)
    cache.deleteSession('s1')
    expect(cache.get('hash')).toBeUndefined()
    expect(cache.get('sid:s1')).toBeUndefined()
    expect(cache.get('other')).toBeDefined()
    put(cache, 'hash', 's1', 1)
    put(cache, 'sid:s1', 's1', 1)
    cache.deleteUser(1)
    for (const key of ['hash', 'sid:s1', 'other']) expect(cache.get(key), key).toBeUndefined()
  })

  it('after one of a session’s two keys is evicted, the other is still forgotten with the session', () => {
    const cache = createLruPrincipalCache(2)
    put(cache, 'hash', 's1', 1)
    put(cache, 'sid:s1', 's1', 1)
    put(cache, 'x', 's2', 2) // evicts 'hash', the oldest unread
    expect(cache.get('hash')).toBeUndefined()
    cache.deleteSession('s1')
    expect(cache.get('sid:s1')).toBeUndefined()
    expect(cache.get('x')).toBeDefined()
  })

  it('holds memory in proportion to its size, not to the traffic that went through it', () => {
    const { cache, heldEntries } = trackedCache(10)
    for (let i = 0; i < 5000; i++) {
      put(cache, `h${i}`, `s${i}`, i % 700)
      if (i % 3 === 0) cache.deleteSession(`s${i - 1}`)
      if (i % 7 === 0) cache.deleteUser((i * 13) % 700)
    }
    // The LRU's key map plus one index entry per session and per (user, hash): a few per entry.
    expect(heldEntries()).toBeGreaterThan(0)
    expect(heldEntries()).toBeLessThanOrEqual(10 * 4)
    for (let i = 0; i < 700; i++) cache.deleteUser(i)
    expect(heldEntries()).toBe(0)
  })

  describe('generation guard', () => {
    it('drops a set whose read began before an invalidation', () => {
      const cache = createLruPrincipalCache(10)
      const before = cache.generation()
      cache.deleteSession('s1')
      expect(cache.generation()).not.toBe(before)
      cache.set('h1', entry('s1', 1), before)
      expect(cache.get('h1')).toBeUndefined()

      const again = cache.generation()
      cache.deleteUser(1)
      cache.set('h1', entry('s1', 1), again)
      expect(cache.get('h1')).toBeUndefined()
    })

    it('keeps a set whose read saw no invalidation', () => {
      const cache = createLruPrincipalCache(10)
      const generation = cache.generation()
      put(cache, 'other', 'so', 2)
      cache.get('other')
      cache.set('h1', entry('s1', 1), generation)
      expect(cache.get('h1')).toBeDefined()
    })
  })
})
