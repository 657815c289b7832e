import { ThrottledError } from './errors.js'
import type { RateLimit } from './settings.js'

/** A fixed-window counter's state. */
export interface CounterState {
  count: number
  /** When the window ends and the count starts again from zero. */
  resetAt: Date
}

/**
 * Counters in fixed windows, shared by every route that counts the same thing. In-process by
 * default; a Redis implementation makes limits hold across processes and restarts.
 */
export interface CounterStore {
  /** The counter under `key` at `now`, or null when none is running. */
  peek(key: string, now: Date): Promise<CounterState | null>
  /** Adds one to `key`, starting a window of `windowSeconds` when none is running. */
  increment(key: string, windowSeconds: number, now: Date): Promise<CounterState>
  reset(key: string): Promise<void>
}

/** One limit on one kind of key. */
export interface Throttle {
  readonly limit: RateLimit
  readonly prefix: string
}

/** Throws `ThrottledError` when `key` has used up `throttle`'s limit at `now`. */
export async function assertNotThrottled(
  counters: CounterStore,
  throttle: Throttle,
  key: string,
  now: Date,
): Promise<void> {
  const state = await counters.peek(throttle.prefix + key, now)
  if (state && state.count >= throttle.limit.limit) {
    throw new ThrottledError(Math.max(1, Math.ceil((state.resetAt.getTime() - now.getTime()) / 1000)))
  }
}

/** Counts one failure against `key`. */
export async function countFailure(counters: CounterStore, throttle: Throttle, key: string, now: Date): Promise<void> {
  await counters.increment(throttle.prefix + key, throttle.limit.windowSeconds, now)
}

/** Clears `key`'s failures (a successful login forgives its account's earlier typos). */
export async function clearFailures(counters: CounterStore, throttle: Throttle, key: string): Promise<void> {
  await counters.reset(throttle.prefix + key)
}
