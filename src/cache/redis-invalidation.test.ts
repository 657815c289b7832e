import { EventEmitter } from 'node:events'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { CachedSession, PrincipalCache } from '../core/principal.js'
import { openTestClient, testRedisUrl, uniquePrefix } from '../../test/support/redis.js'
import { createLruPrincipalCache } from './lru-cache.js'
import { createBroadcastingCache, type BroadcastingCache } from './redis-invalidation.js'
import type { RedisLike, RedisLog } from './redis-like.js'

const redisUrl = await testRedisUrl()

/** A cached session of `userId`. */
function entry(sessionId: string, userId: number): CachedSession {
  return {
    user: { id: userId, email: `u${userId}@example.com`, username: `u${userId}`, isActive: true, isStaff: false, isSuperuser: false },
    sessionId,
    createdAt: 0,
    persistedLastUsedAt: 0,
  }
}

function put(cache: PrincipalCache, hash: string, sessionId: string, userId: number): void {
  cache.set(hash, entry(sessionId, userId), cache.generation())
}

/** Waits until `condition()` holds; fails after `timeoutMs`. */
async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((wait) => setTimeout(wait, 5))
  }
}

function quietLog(): RedisLog & { warn: ReturnType<typeof vi.fn>; info: ReturnType<typeof vi.fn> } {
  return { warn: vi.fn(), info: vi.fn() }
}

describe('the LRU cache clear()', () => {
  it('forgets every entry and drops a fill that read the store before it', () => {
    const cache = createLruPrincipalCache(10)
    put(cache, 'h1', 's1', 1)
    put(cache, 'h2', 's2', 2)
    const before = cache.generation()
    cache.clear()
    expect(cache.get('h1')).toBeUndefined()
    expect(cache.get('h2')).toBeUndefined()
    cache.set('h3', entry('s3', 3), before)
    expect(cache.get('h3')).toBeUndefined()
    // The indexes went too: a later eviction of the same session or user finds nothing stale.
    put(cache, 'h1', 's1', 1)
    cache.deleteUser(1)
    expect(cache.get('h1')).toBeUndefined()
  })
})

/** One simulated process: its own LRU, its own two connections, one shared channel. */
interface Node {
  local: PrincipalCache
  cache: BroadcastingCache
  publisher: Redis
  subscriber: Redis
  subscriberName: string
  log: ReturnType<typeof quietLog>
  close(): Promise<void>
}

describe('createBroadcastingCache() with a fake subscriber', () => {
  it('tries the subscription again when it fails on a live connection, and only then serves from the cache', async () => {
    const events = new EventEmitter()
    const subscribe = vi.fn<(channel: string) => Promise<unknown>>().mockRejectedValueOnce(new Error('Command timed out')).mockResolvedValue(1)
    const subscriber: Pick<RedisLike, 'status' | 'subscribe' | 'on' | 'off'> = {
      status: 'ready',
      subscribe,
      on: events.on.bind(events),
      off: events.off.bind(events),
    }
    const publisher: Pick<RedisLike, 'status' | 'publish' | 'on' | 'off'> = { ...subscriber, publish: async () => 0 }
    const log = quietLog()
    const cache = createBroadcastingCache(createLruPrincipalCache(10), publisher, subscriber, { log })
    try {
      put(cache, 'tok', 's-1', 1)
      expect(cache.get('tok')).toBeUndefined()
      expect(await cache.whenLive(5_000)).toBe(true)
      expect(subscribe).toHaveBeenCalledTimes(2)
      expect(log.warn).toHaveBeenCalledTimes(1)
      put(cache, 'tok', 's-1', 1)
      expect(cache.get('tok')?.sessionId).toBe('s-1')
    } finally {
      await cache.close()
    }
  })
})

describe.skipIf(!redisUrl)('createBroadcastingCache() against Redis', () => {
  const channel = `${uniquePrefix()}invalidate`
  let admin: Redis
  const nodes: Node[] = []

  async function node(publisherOverride?: Pick<RedisLike, 'status' | 'publish' | 'on' | 'off'>): Promise<Node> {
    const subscriberName = `tessera-test-${nodes.length}-${Math.random().toString(36).slice(2)}`
    const publisher = openTestClient(redisUrl!)
    const subscriber = new Redis(redisUrl!, { autoResubscribe: false, connectionName: subscriberName, retryStrategy: () => 50 })
    subscriber.on('error', () => {})
    const local = createLruPrincipalCache(100)
    const log = quietLog()
    const cache = createBroadcastingCache(local, publisherOverride ?? publisher, subscriber, { channel, log })
    expect(await cache.whenLive(5_000)).toBe(true)
    const created: Node = {
      local,
      cache,
      publisher,
      subscriber,
      subscriberName,
      log,
      async close() {
        await cache.close(500)
        await Promise.all([publisher.quit(), subscriber.quit()])
      },
    }
    nodes.push(created)
    return created
  }

  /** Drops `target`'s subscription from the server side, as a Redis restart or a network cut would. */
  async function killSubscription(target: Node): Promise<void> {
    const list = (await admin.client('LIST')) as string
    const line = list.split('\n').find((l) => l.includes(` name=${target.subscriberName} `))
    const id = /\bid=(\d+)/.exec(line ?? '')?.[1]
    expect(id, 'the subscriber connection is listed').toBeDefined()
    await admin.client('KILL', 'ID', id!)
  }

  beforeAll(() => {
    admin = openTestClient(redisUrl!)
  })
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.close()))
    await admin?.quit()
  })

  it('evicts a revoked session in every process: at once here, within the propagation time there', async () => {
    const a = await node()
    const b = await node()
    put(a.cache, 'tok', 's-logout', 7)
    put(b.cache, 'tok', 's-logout', 7)
    put(b.cache, 'other', 's-kept', 7)
    a.cache.deleteSession('s-logout')
    expect(a.cache.get('tok')).toBeUndefined()
    await until(() => b.cache.get('tok') === undefined)
    expect(b.cache.get('other')?.sessionId).toBe('s-kept')
  })

  it('reports how long an invalidation takes from one process to another (publish to applied)', async () => {
    const a = await node()
    const b = await node()
    const appliedAt = new Map<string, number>()
    const original = b.local.deleteSession.bind(b.local)
    b.local.deleteSession = (id) => {
      appliedAt.set(id, performance.now())
      original(id)
    }
    const latencies: number[] = []
    for (let round = 0; round < 50; round++) {
      const id = `s-timed-${round}`
      const sent = performance.now()
      a.cache.deleteSession(id)
      await until(() => appliedAt.has(id))
      latencies.push(appliedAt.get(id)! - sent)
    }
    latencies.sort((x, y) => x - y)
    console.log(
      `invalidation latency through Redis, deleteSession() in A to applied in B, 50 rounds: ` +
        `median ${latencies[25]!.toFixed(2)} ms, p90 ${latencies[45]!.toFixed(2)} ms, max ${latencies[49]!.toFixed(2)} ms`,
    )
  })

  it('evicts every session of a changed user in every process', async () => {
    const a = await node()
    const b = await node()
    put(b.cache, 'x', 's-x', 42)
    put(b.cache, 'y', 's-y', 42)
    put(b.cache, 'z', 's-z', 43)
    a.cache.deleteUser(42)
    await until(() => b.cache.get('x') === undefined && b.cache.get('y') === undefined)
    expect(b.cache.get('z')?.sessionId).toBe('s-z')
  })

  it('skips its own messages', async () => {
    const a = await node()
    const b = await node()
    const seenByA = vi.spyOn(a.local, 'deleteSession')
    const seenByB = vi.spyOn(b.local, 'deleteSession')
    a.cache.deleteSession('s-own')
    await until(() => seenByB.mock.calls.length === 1)
    // B has heard it, so A's echo (sent to every subscriber at once) has been delivered too.
    await new Promise((wait) => setTimeout(wait, 50))
    expect(seenByA).toHaveBeenCalledTimes(1)
  })

  it('ignores messages that are not invalidations', async () => {
    const b = await node()
    put(b.cache, 'tok', 's-1', 1)
    for (const junk of ['', 'null', '{}', '[]', 'not json', '{"from":"x","session":5}', '{"from":"x","user":"1"}', '{"session":"s-1"}']) {
      await admin.publish(channel, junk)
    }
    const seen = vi.spyOn(b.local, 'deleteSession')
    await admin.publish(channel, JSON.stringify({ from: 'elsewhere', session: 'marker' }))
    // Messages arrive in order: once the marker is applied, the junk before it has been read.
    await until(() => seen.mock.calls.some(([id]) => id === 'marker'))
    expect(seen.mock.calls).toEqual([['marker']])
    expect(b.cache.get('tok')?.sessionId).toBe('s-1')
  })

  it('neither answers nor fills while unsubscribed, and starts empty when subscribed again', async () => {
    const a = await node()
    const b = await node()
    put(b.cache, 'tok', 's-missed', 9)
    await killSubscription(b)
    await until(() => !b.cache.isLive())
    expect(b.cache.get('tok')).toBeUndefined()
    // Published while B is away: B may never hear it, so B must not trust what it cached before.
    a.cache.deleteSession('s-missed')
    put(b.cache, 'fill', 's-fill', 9)
    expect(b.cache.get('fill')).toBeUndefined()

    await until(() => b.cache.isLive())
    expect(b.cache.get('tok')).toBeUndefined()
    expect(b.log.warn).toHaveBeenCalledTimes(1)
    expect(b.log.info).toHaveBeenCalledTimes(1)
    // And it hears the channel again.
    put(b.cache, 'again', 's-again', 9)
    a.cache.deleteSession('s-again')
    await until(() => b.cache.get('again') === undefined)
  })

  it('evicts locally when publishing fails, and sends the invalidation once Redis takes it', async () => {
    const real = openTestClient(redisUrl!)
    let down = true
    const events = new EventEmitter()
    const flaky = {
      get status() {
        return down ? 'reconnecting' : 'ready'
      },
      publish: (ch: string, message: string) => (down ? Promise.reject(new Error('Connection is closed.')) : real.publish(ch, message)),
      on: events.on.bind(events),
      off: events.off.bind(events),
    } satisfies Pick<RedisLike, 'status' | 'publish' | 'on' | 'off'>
    try {
      const a = await node(flaky)
      const b = await node()
      put(a.cache, 'tok', 's-late', 5)
      put(b.cache, 'tok', 's-late', 5)
      a.cache.deleteSession('s-late')
      expect(a.cache.get('tok')).toBeUndefined()
      await until(() => a.log.warn.mock.calls.length === 1)
      expect(b.cache.get('tok')?.sessionId).toBe('s-late')

      down = false
      events.emit('ready')
      await until(() => b.cache.get('tok') === undefined)
      expect(a.log.info).toHaveBeenCalledTimes(1)
    } finally {
      await real.quit()
    }
  })

  it('replaces a backlog too long to keep by one message that clears every other cache', async () => {
    const real = openTestClient(redisUrl!)
    let down = true
    const events = new EventEmitter()
    const flaky = {
      get status() {
        return down ? 'reconnecting' : 'ready'
      },
      publish: (ch: string, message: string) => (down ? Promise.reject(new Error('Connection is closed.')) : real.publish(ch, message)),
      on: events.on.bind(events),
      off: events.off.bind(events),
    } satisfies Pick<RedisLike, 'status' | 'publish' | 'on' | 'off'>
    try {
      const a = await node(flaky)
      const b = await node()
      put(b.cache, 'bystander', 's-bystander', 77)
      for (let i = 0; i <= 10_000; i++) a.cache.deleteSession(`s-backlog-${i}`)
      await until(() => a.log.warn.mock.calls.length === 1)
      await new Promise((wait) => setTimeout(wait, 20))
      const applied = vi.spyOn(b.local, 'deleteSession')
      down = false
      events.emit('ready')
      await until(() => b.cache.get('bystander') === undefined)
      expect(applied).not.toHaveBeenCalled()
    } finally {
      await real.quit()
    }
  })

  it('close() sends what is still unsent before letting go', async () => {
    const real = openTestClient(redisUrl!)
    let down = true
    const events = new EventEmitter()
    const flaky = {
      get status() {
        return down ? 'connecting' : 'ready'
      },
      publish: (ch: string, message: string) => (down ? Promise.reject(new Error('not connected')) : real.publish(ch, message)),
      on: events.on.bind(events),
      off: events.off.bind(events),
    } satisfies Pick<RedisLike, 'status' | 'publish' | 'on' | 'off'>
    const subscriber = new Redis(redisUrl!, { autoResubscribe: false })
    subscriber.on('error', () => {})
    try {
      // A CLI command: revokes at once, before its connection is up, then closes.
      const cli = createBroadcastingCache(createLruPrincipalCache(10), flaky, subscriber, { channel })
      const b = await node()
      put(b.cache, 'tok', 's-cli', 3)
      cli.deleteSession('s-cli')
      setTimeout(() => (down = false), 100)
      await cli.close(2_000)
      await until(() => b.cache.get('tok') === undefined)
    } finally {
      await Promise.all([real.quit(), subscriber.quit()])
    }
  })
})
