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
  /** Adds one to `key` atomically, starting a window of `windowSeconds` when none is running. */
  increment(key: string, windowSeconds: number, now: Date): Promise<CounterState>
  /** Takes one back from `key` within its current window, never below zero. */
  decrement(key: string, now: Date): Promise<void>
  reset(key: string): Promise<void>
}

/** One limit on one kind of key. */
export interface Throttle {
  readonly limit: RateLimit
  readonly prefix: string
}

/**
 * Counts an attempt against `key` before the work it guards, and throws `ThrottledError` when it
 * goes over the limit. Counting first, in one atomic step, is what stops concurrent attempts
 * from all passing a check that only later counts them.
 */
export async function takeAttempt(counters: CounterStore, throttle: Throttle, key: string, now: Date): Promise<void> {
  const state = await counters.increment(throttle.prefix + key, throttle.limit.windowSeconds, now)
  if (state.count > throttle.limit.limit) {
    throw new ThrottledError(Math.max(1, Math.ceil((state.resetAt.getTime() - now.getTime()) / 1000)))
  }
}

/** Takes back an attempt that turned out not to be a failure. */
export async function forgiveAttempt(counters: CounterStore, throttle: Throttle, key: string, now: Date): Promise<void> {
  await counters.decrement(throttle.prefix + key, now)
}

/** Clears `key`'s attempts (a successful login forgives its account's earlier typos). */
export async function clearAttempts(counters: CounterStore, throttle: Throttle, key: string): Promise<void> {
  await counters.reset(throttle.prefix + key)
}
