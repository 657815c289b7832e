import { Redis, type RedisOptions } from 'ioredis'
import type { PrincipalCache } from '../core/principal.js'
import type { CounterStore } from '../core/throttle.js'
import { createRedisCounters } from './redis-counters.js'
import { createBroadcastingCache } from './redis-invalidation.js'
import type { RedisLog } from './redis-like.js'

/** What a process shares through Redis: its cache's invalidations and its rate-limit counters. */
export interface RedisBackend {
  /** The local cache, with invalidations broadcast to and received from the other processes. */
  cache: PrincipalCache
  counters: CounterStore
  /** True while both connections are up and the invalidation channel is subscribed. */
  isHealthy(): boolean
  /** Publishes what is still unpublished (for a bounded time), then closes both connections. */
  close(): Promise<void>
}

/** How long opening waits for Redis before going on without it (requests never wait for it). */
const CONNECT_WAIT_MS = 3_000

// Commands fail at once while Redis is down (no offline queue, one retry), and a Redis that
// hangs costs a login at most a second: callers then use their in-process fallback. The subscriber
// subscribes itself on every connect, so it knows when the subscription is really back.
const CLIENT_OPTIONS: RedisOptions = {
  lazyConnect: false,
  maxRetriesPerRequest: 1,
  enableOfflineQueue: false,
  commandTimeout: 1_000,
  autoResubscribe: false,
  retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
}

const stderrLog: RedisLog = {
  warn: (_details, message) => process.stderr.write(`${message.replace(/^tessera:/, 'tessera: warning:')}\n`),
  info: () => {},
}

/**
 * Connects to the Redis at `url` (one connection for commands, one for the subscription), wraps
 * `local` so revocations reach every process, and keeps rate limits in Redis. Waits up to three
 * seconds for Redis, then carries on without it: the cache answers only once subscribed, and the
 * counters fall back to this process until Redis answers.
 */
export async function openRedisBackend(url: string, local: PrincipalCache, log: RedisLog = stderrLog): Promise<RedisBackend> {
  const commands = connect(url, 'commands', log)
  const subscriber = connect(url, 'subscriber', log)
  const cache = createBroadcastingCache(local, commands, subscriber, { log })
  const counters = createRedisCounters(commands, { log })
  const [connected, subscribed] = await Promise.all([whenReady(commands, CONNECT_WAIT_MS), cache.whenLive(CONNECT_WAIT_MS)])
  if (!connected || !subscribed) {
    log.warn({}, 'tessera: Redis does not answer yet; this process goes on alone and joins the others when it does')
  }
  return {
    cache,
    counters,
    isHealthy: () => commands.status === 'ready' && cache.isLive(),
    async close() {
      await cache.close()
      await Promise.all([quit(commands), quit(subscriber)])
    },
  }
}

/** An ioredis client whose connection errors are logged once per outage, not once per retry. */
function connect(url: string, role: string, log: RedisLog): Redis {
  const client = new Redis(url, { ...CLIENT_OPTIONS, connectionName: `tessera-${role}` })
  let failing = false
  // Without an 'error' listener, ioredis prints every failed reconnection attempt itself.
  client.on('error', (error: Error) => {
    if (failing) return
    failing = true
    log.warn({ err: error, role }, `tessera: Redis connection (${role}) failed; retrying in the background`)
  })
  client.on('ready', () => {
    if (!failing) return
    failing = false
    log.info({ role }, `tessera: Redis connection (${role}) is back`)
  })
  return client
}

/** Resolves true once `client` is ready, or false after `timeoutMs`. */
function whenReady(client: Redis, timeoutMs: number): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true)
  return new Promise((resolve) => {
    const onReady = (): void => {
      clearTimeout(timer)
      resolve(true)
    }
    const timer = setTimeout(() => {
      client.off('ready', onReady)
      resolve(false)
    }, timeoutMs)
    client.once('ready', onReady)
  })
}

/** Closes politely when connected (pending replies arrive first), at once otherwise. */
async function quit(client: Redis): Promise<void> {
  try {
    if (client.status === 'ready') {
      await client.quit()
      return
    }
  } catch {
    // Fall through: drop the connection.
  }
  client.disconnect()
}
