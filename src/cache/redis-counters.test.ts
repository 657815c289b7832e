import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { freePort } from '../../test/support/child-server.js'
import { deleteKeys, openTestClient, testRedisUrl, uniquePrefix } from '../../test/support/redis.js'
import { createMemoryCounters } from './memory-counters.js'
import { createRedisCounters } from './redis-counters.js'
import type { RedisLike, RedisLog } from './redis-like.js'

const redisUrl = await testRedisUrl()

function silentLog(): RedisLog & { warn: ReturnType<typeof vi.fn>; info: ReturnType<typeof vi.fn> } {
  return { warn: vi.fn(), info: vi.fn() }
}

describe.skipIf(!redisUrl)('createRedisCounters() against Redis', () => {
  const prefix = uniquePrefix()
  let client: Redis
  let other: Redis
  beforeAll(() => {
    client = openTestClient(redisUrl!)
    other = openTestClient(redisUrl!)
  })
  afterAll(async () => {
    await deleteKeys(client, prefix)
    await Promise.all([client?.quit(), other?.quit()])
  })

  it('starts a window at the first increment and counts up within it', async () => {
    const counters = createRedisCounters(client, { prefix })
    const now = new Date()
    expect(await counters.peek('a', now)).toBeNull()
    const first = await counters.increment('a', 60, now)
    expect(first.count).toBe(1)
    expect(first.resetAt.getTime() - now.getTime()).toBe(60_000)
    expect((await counters.increment('a', 60, now)).count).toBe(2)
    const peeked = await counters.peek('a', now)
    expect(peeked?.count).toBe(2)
    expect(peeked!.resetAt.getTime() - now.getTime()).toBeGreaterThan(55_000)
    expect(peeked!.resetAt.getTime() - now.getTime()).toBeLessThanOrEqual(60_000)
  })

  it('keeps every counter under its prefix, with an expiry', async () => {
    const counters = createRedisCounters(client, { prefix })
    await counters.increment('login:account:alice', 900, new Date())
    expect(await client.get(`${prefix}login:account:alice`)).toBe('1')
    const ttl = await client.pttl(`${prefix}login:account:alice`)
    expect(ttl).toBeGreaterThan(890_000)
    expect(ttl).toBeLessThanOrEqual(900_000)
  })

  it('uses "tessera:" as the prefix by default', async () => {
    const key = `${uniquePrefix()}default`
    const counters = createRedisCounters(client)
    await counters.increment(key, 60, new Date())
    expect(await client.get(`tessera:${key}`)).toBe('1')
    await client.del(`tessera:${key}`)
  })

  it('shares one count between two stores on two connections, as between two processes', async () => {
    const a = createRedisCounters(client, { prefix })
    const b = createRedisCounters(other, { prefix })
    const now = new Date()
    await a.increment('shared', 60, now)
    await b.increment('shared', 60, now)
    expect((await a.increment('shared', 60, now)).count).toBe(3)
    expect((await b.peek('shared', now))?.count).toBe(3)
  })

  it('counts concurrent increments from two connections exactly once each', async () => {
    const a = createRedisCounters(client, { prefix })
    const b = createRedisCounters(other, { prefix })
    const now = new Date()
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).increment('race', 60, now)))
    expect(results.map((r) => r.count).sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1))
  })

  it('forgets a counter when its window has passed', async () => {
    const counters = createRedisCounters(client, { prefix })
    await counters.increment('short', 0.1, new Date())
    await counters.increment('short', 0.1, new Date())
    const deadline = Date.now() + 5_000
    while ((await counters.peek('short', new Date())) !== null) {
      expect(Date.now()).toBeLessThan(deadline)
      await new Promise((wait) => setTimeout(wait, 20))
    }
    expect((await counters.increment('short', 60, new Date())).count).toBe(1)
  })

  it('decrements within the window, never below zero, without stretching the window', async () => {
    const counters = createRedisCounters(client, { prefix })
    const now = new Date()
    await counters.increment('dec', 60, now)
    await counters.increment('dec', 60, now)
    const before = await client.pttl(`${prefix}dec`)
    await counters.decrement('dec', now)
    expect((await counters.peek('dec', now))?.count).toBe(1)
    await counters.decrement('dec', now)
    await counters.decrement('dec', now)
    expect((await counters.peek('dec', now))?.count).toBe(0)
    expect(await client.pttl(`${prefix}dec`)).toBeLessThanOrEqual(before)
    // No counter, no window: decrementing creates nothing.
    await counters.decrement('never-counted', now)
    expect(await client.exists(`${prefix}never-counted`)).toBe(0)
  })

  it('reset removes the counter', async () => {
    const counters = createRedisCounters(client, { prefix })
    await counters.increment('gone', 60, new Date())
    await counters.reset('gone')
    expect(await counters.peek('gone', new Date())).toBeNull()
    expect(await client.exists(`${prefix}gone`)).toBe(0)
  })

  it('counts in the fallback while Redis fails, warns once, and says when it is back', async () => {
    let down = false
    const failing = (): Promise<never> => Promise.reject(new Error("Stream isn't writeable and enableOfflineQueue options is false"))
    const flaky: Pick<RedisLike, 'eval' | 'del'> = {
      eval: (...args) => (down ? failing() : client.eval(...args)),
      del: (key) => (down ? failing() : client.del(key)),
    }
    const log = silentLog()
    const counters = createRedisCounters(flaky, { prefix, fallback: createMemoryCounters(), log })
    const now = new Date()
    expect((await counters.increment('flaky', 60, now)).count).toBe(1)

    down = true
    expect((await counters.increment('flaky', 60, now)).count).toBe(1)
    expect((await counters.increment('flaky', 60, now)).count).toBe(2)
    expect((await counters.peek('flaky', now))?.count).toBe(2)
    await counters.decrement('flaky', now)
    await counters.reset('other')
    expect(log.warn).toHaveBeenCalledTimes(1)

    down = false
    // Back on the shared count, which never saw the outage's attempts.
    expect((await counters.increment('flaky', 60, now)).count).toBe(2)
    expect(log.info).toHaveBeenCalledTimes(1)
    expect(log.warn).toHaveBeenCalledTimes(1)
  })
})

describe('createRedisCounters() without Redis', () => {
  it('never fails a call when nothing listens: the in-process counters answer', async () => {
    const port = await freePort()
    const dead = new Redis({ host: '127.0.0.1', port, lazyConnect: false, enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => 1_000 })
    dead.on('error', () => {})
    try {
      const log = silentLog()
      const counters = createRedisCounters(dead, { log })
      const now = new Date()
      expect((await counters.increment('k', 60, now)).count).toBe(1)
      expect((await counters.increment('k', 60, now)).count).toBe(2)
      expect((await counters.peek('k', now))?.count).toBe(2)
      await counters.decrement('k', now)
      await counters.reset('k')
      expect(await counters.peek('k', now)).toBeNull()
      expect(log.warn).toHaveBeenCalledTimes(1)
    } finally {
      dead.disconnect()
    }
  })
})
