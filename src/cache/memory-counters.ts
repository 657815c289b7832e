import type { CounterState, CounterStore } from '../core/throttle.js'

/** Fixed-window counters in this process; forgotten on restart (use Redis to keep them). */
export function createMemoryCounters(maxKeys = 100_000): CounterStore {
  const counters = new Map<string, CounterState>()

  const live = (key: string, now: Date): CounterState | null => {
    const state = counters.get(key)
    if (!state) return null
    if (state.resetAt <= now) {
      counters.delete(key)
      return null
    }
    return state
  }

  return {
    async peek(key, now) {
      const state = live(key, now)
      return state && copy(state)
    },
    async increment(key, windowSeconds, now) {
      let state = live(key, now)
      if (!state) {
        // An attacker cycling through identifiers must not grow this map without bound.
        if (counters.size >= maxKeys) sweep(counters, now, maxKeys)
        state = { count: 0, resetAt: new Date(now.getTime() + windowSeconds * 1000) }
        counters.set(key, state)
      }
      state.count++
      return copy(state)
    },
    async decrement(key, now) {
      const state = live(key, now)
      if (state && state.count > 0) state.count--
    },
    async reset(key) {
      counters.delete(key)
    },
  }
}

/** A copy the caller may keep or change without moving the window itself. */
function copy(state: CounterState): CounterState {
  return { count: state.count, resetAt: new Date(state.resetAt) }
}

/** Drops expired windows, then the oldest ones, until there is room. */
function sweep(counters: Map<string, CounterState>, now: Date, maxKeys: number): void {
  for (const [key, state] of counters) if (state.resetAt <= now) counters.delete(key)
  for (const key of counters.keys()) {
    if (counters.size < maxKeys) break
    counters.delete(key)
  }
}
