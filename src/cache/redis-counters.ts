import type { CounterState, CounterStore } from '../core/throttle.js'
import { createMemoryCounters } from './memory-counters.js'
import type { RedisLike, RedisLog } from './redis-like.js'

/** What `createRedisCounters` may be told beyond the client. */
export interface RedisCountersOptions {
  /** Put before every key, so several applications can share one Redis. @default "tessera:" */
  prefix?: string
  /** Counts while Redis does not answer. @default in-process counters */
  fallback?: CounterStore
  /** Told once when Redis stops answering and once when it is back. @default silent */
  log?: RedisLog
}

// INCR and the window's expiry in one script: no crash or second client can come between them and
// leave a counter that never expires. PTTL is -1 exactly when this INCR created the key (a counter
// is never written without an expiry), which also works on Redis < 7, where PEXPIRE has no NX.
const INCREMENT = `local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}`

const PEEK = `local count = redis.call('GET', KEYS[1])
if not count then return false end
return {tonumber(count), redis.call('PTTL', KEYS[1])}`

// DECR keeps the key's expiry, so a decrement never stretches the window.
const DECREMENT = `local count = tonumber(redis.call('GET', KEYS[1]))
if count and count > 0 then redis.call('DECR', KEYS[1]) end
return 0`

/**
 * Fixed-window counters in Redis, so a limit holds across every process and survives restarts.
 * Windows expire on Redis' clock; `resetAt` is reported relative to the caller's `now`.
 *
 * Redis being down never fails a request: each call that Redis cannot answer is counted by the
 * fallback (in-process) counters instead, and the outage is logged once. Limits are then per
 * process until Redis answers again, when the shared counts take over.
 */
export function createRedisCounters(redis: Pick<RedisLike, 'eval' | 'del'>, options: RedisCountersOptions = {}): CounterStore {
  const prefix = options.prefix ?? 'tessera:'
  const fallback = options.fallback ?? createMemoryCounters()
  let down = false

  async function either<T>(viaRedis: () => Promise<T>, viaFallback: () => Promise<T>): Promise<T> {
    let result: T
    try {
      result = await viaRedis()
    } catch (error) {
      if (!down) {
        down = true
        options.log?.warn({ err: error }, 'tessera: Redis does not answer; rate limits are counted in this process until it does')
      }
      return viaFallback()
    }
    if (down) {
      down = false
      options.log?.info({}, 'tessera: Redis answers again; rate limits are shared again')
    }
    return result
  }

  return {
    peek: (key, now) =>
      either(
        async () => {
          const reply = await redis.eval(PEEK, 1, prefix + key)
          return reply === null ? null : toState(reply, now)
        },
        () => fallback.peek(key, now),
      ),
    increment: (key, windowSeconds, now) =>
      either(
        async () => toState(await redis.eval(INCREMENT, 1, prefix + key, Math.max(1, Math.round(windowSeconds * 1000))), now),
        () => fallback.increment(key, windowSeconds, now),
      ),
    decrement: (key, now) =>
      either(
        async () => {
          await redis.eval(DECREMENT, 1, prefix + key)
        },
        () => fallback.decrement(key, now),
      ),
    reset: (key) =>
      either(
        async () => {
          await redis.del(prefix + key)
        },
        () => fallback.reset(key),
      ),
  }
}

/** A script's `{count, pttl}` as a counter state; throws on anything else (and so falls back). */
function toState(reply: unknown, now: Date): CounterState {
  if (!Array.isArray(reply) || typeof reply[0] !== 'number' || typeof reply[1] !== 'number') {
    throw new TypeError(`tessera: unexpected reply from a Redis counter script: ${JSON.stringify(reply)}`)
  }
  return { count: reply[0], resetAt: new Date(now.getTime() + Math.max(0, reply[1])) }
}
