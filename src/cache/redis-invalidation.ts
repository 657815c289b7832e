import { randomUUID } from 'node:crypto'
import type { PrincipalCache } from '../core/principal.js'
import type { RedisLike, RedisLog } from './redis-like.js'

/** What `createBroadcastingCache` may be told beyond the caches and clients. */
export interface BroadcastingCacheOptions {
  /** The pub/sub channel every process of one deployment shares. @default "tessera:invalidate" */
  channel?: string
  /** Names this process in its messages, so it skips its own. @default a random UUID */
  instanceId?: string
  /** Told when the subscription or publishing fails and when it recovers. @default silent */
  log?: RedisLog
}

/** A principal cache whose invalidations reach every process subscribed to the same channel. */
export interface BroadcastingCache extends PrincipalCache {
  /** True while subscribed; only then does the local cache answer. */
  isLive(): boolean
  /** Resolves true once subscribed, or false after `timeoutMs`. */
  whenLive(timeoutMs: number): Promise<boolean>
  /**
   * Stops listening, after publishing what could not be published yet (waiting at most
   * `timeoutMs` for Redis). Leaves the clients open: they are their owner's to close.
   */
  close(timeoutMs?: number): Promise<void>
}

/** One invalidation on the wire. `clear` stands for invalidations that had to be dropped. */
type Invalidation = { from: string } & ({ session: string } | { user: number } | { clear: true })

// Invalidations Redis could not take are kept and sent again; beyond this many, one `clear` replaces them.
const MAX_PENDING = 10_000
const RETRY_MS = 1_000

/**
 * Wraps this process's cache so that revocations reach every process. Lookups stay local and
 * synchronous (a warm request never waits for Redis); only invalidations travel. Every revocation
 * in the core (logout, logout-all, password change, refresh reuse, deactivation, admin revoke)
 * ends in `deleteSession` or `deleteUser`, which evict here and publish; each process applies the
 * others' messages to its own cache and skips its own.
 *
 * Consistency: another process may answer from a stale entry for at most the propagation time
 * (publish to delivery, about a millisecond on one host). Messages sent while a process is not
 * subscribed are lost to it, so while it is not subscribed its cache neither answers nor fills
 * (every check reads the store, which is always right), and it is cleared when the subscription
 * is confirmed again, before it answers. A publish that fails does not undo the local eviction; it
 * is retried every second and when the client reconnects, and on `close()`.
 */
export function createBroadcastingCache(
  local: PrincipalCache,
  publisher: Pick<RedisLike, 'status' | 'publish' | 'on' | 'off'>,
  subscriber: Pick<RedisLike, 'status' | 'subscribe' | 'on' | 'off'>,
  options: BroadcastingCacheOptions = {},
): BroadcastingCache {
  const channel = options.channel ?? 'tessera:invalidate'
  const instanceId = options.instanceId ?? randomUUID()
  const log = options.log
  let live = false
  let closed = false
  let everLive = false
  let subscribeFailing = false
  let waiters: Array<() => void> = []

  let pending: string[] = []
  let publishFailing = false
  let retryTimer: NodeJS.Timeout | undefined
  const inFlight = new Set<Promise<void>>()

  const goLive = (): void => {
    if (live) return
    // Cleared after the server confirmed the subscription: every revocation from now on will
    // arrive, and entries filled before now may have missed one.
    local.clear()
    live = true
    if (everLive) log?.info({ channel }, 'tessera: subscribed to invalidations again; the token cache is back in use')
    everLive = true
    for (const wake of waiters) wake()
    waiters = []
  }
  const onReady = (): void => {
    subscriber.subscribe(channel).then(
      () => {
        subscribeFailing = false
        if (!closed) goLive()
      },
      (error: unknown) => {
        if (subscribeFailing) return retrySubscribe()
        subscribeFailing = true
        log?.warn({ err: error, channel }, 'tessera: cannot subscribe to invalidations; every token is checked against the store')
        retrySubscribe()
      },
    )
  }
  // Still connected (the subscription itself failed or timed out): try again; if not, 'ready' will.
  const retrySubscribe = (): void => {
    setTimeout(() => {
      if (!closed && !live && subscriber.status === 'ready') onReady()
    }, RETRY_MS).unref()
  }
  const onClose = (): void => {
    if (!live) return
    live = false
    local.clear()
    log?.warn({ channel }, 'tessera: lost the invalidation subscription; every token is checked against the store until it is back')
  }
  const onMessage = (messageChannel: string, message: string): void => {
    if (messageChannel !== channel) return
    const invalidation = parse(message)
    if (!invalidation || invalidation.from === instanceId) return
    if ('session' in invalidation) local.deleteSession(invalidation.session)
    else if ('user' in invalidation) local.deleteUser(invalidation.user)
    else local.clear()
  }

  const send = (message: string): void => {
    const sent = publisher.publish(channel, message).then(
      () => {
        if (publishFailing) {
          publishFailing = false
          log?.info({ channel }, 'tessera: invalidations are published again')
        }
      },
      (error: unknown) => {
        if (!publishFailing) {
          publishFailing = true
          log?.warn({ err: error, channel }, 'tessera: cannot publish an invalidation; other processes may accept a revoked token until it is sent')
        }
        keep(message)
      },
    )
    inFlight.add(sent)
    void sent.finally(() => inFlight.delete(sent))
  }
  const keep = (message: string): void => {
    pending.push(message)
    if (pending.length > MAX_PENDING) pending = [JSON.stringify({ from: instanceId, clear: true } satisfies Invalidation)]
    if (!retryTimer && !closed) {
      retryTimer = setTimeout(retry, RETRY_MS)
      // A retry must not keep a CLI command's process alive; close() sends what is left.
      retryTimer.unref()
    }
  }
  const retry = (): void => {
    retryTimer = undefined
    const batch = pending
    pending = []
    for (const message of batch) send(message)
  }
  const onPublisherReady = (): void => {
    if (pending.length === 0) return
    clearTimeout(retryTimer)
    retry()
  }
  const broadcast = (invalidation: Invalidation): void => send(JSON.stringify(invalidation))

  subscriber.on('message', onMessage)
  subscriber.on('ready', onReady)
  subscriber.on('close', onClose)
  publisher.on('ready', onPublisherReady)
  if (subscriber.status === 'ready') onReady()

  return {
    get: (secretHash) => (live ? local.get(secretHash) : undefined),
    generation: () => local.generation(),
    set(secretHash, entry, generationAtRead) {
      if (live) local.set(secretHash, entry, generationAtRead)
    },
    deleteSession(sessionId) {
      local.deleteSession(sessionId)
      broadcast({ from: instanceId, session: sessionId })
    },
    deleteUser(userId) {
      local.deleteUser(userId)
      broadcast({ from: instanceId, user: userId })
    },
    /** Clears this process's cache only. */
    clear: () => local.clear(),
    isLive: () => live,
    whenLive(timeoutMs) {
      if (live) return Promise.resolve(true)
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), timeoutMs)
        waiters.push(() => {
          clearTimeout(timer)
          resolve(true)
        })
      })
    },
    async close(timeoutMs = 2_000) {
      const deadline = Date.now() + timeoutMs
      await Promise.all(inFlight)
      while (pending.length > 0 && Date.now() < deadline) {
        if (publisher.status === 'ready') {
          clearTimeout(retryTimer)
          retry()
          await Promise.all(inFlight)
        }
        if (pending.length > 0) await new Promise((wait) => setTimeout(wait, 50))
      }
      closed = true
      clearTimeout(retryTimer)
      if (pending.length > 0) {
        log?.warn({ channel, count: pending.length }, 'tessera: invalidations left unpublished at close; other processes may accept revoked tokens until their sessions are read again')
      }
      live = false
      subscriber.off('message', onMessage)
      subscriber.off('ready', onReady)
      subscriber.off('close', onClose)
      publisher.off('ready', onPublisherReady)
    },
  }
}

/** A message from the channel, or null when it is not one of ours. */
function parse(message: string): Invalidation | null {
  let value: unknown
  try {
    value = JSON.parse(message)
  } catch {
    return null
  }
  if (typeof value !== 'object' || value === null) return null
  const { from, session, user, clear } = value as Record<string, unknown>
  if (typeof from !== 'string') return null
  if (typeof session === 'string') return { from, session }
  if (typeof user === 'number' && Number.isSafeInteger(user)) return { from, user }
  if (clear === true) return { from, clear: true }
  return null
}
