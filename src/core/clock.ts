/** The source of "now"; injected so tests can move time without freezing globals. */
export interface Clock {
  now(): Date
}

/** The wall clock. */
export const systemClock: Clock = { now: () => new Date() }

/** A clock for tests: starts at `start` and moves only when told. */
export function createFakeClock(start = new Date('2026-01-01T00:00:00Z')): Clock & {
  advance(seconds: number): void
  set(at: Date): void
} {
  let current = start.getTime()
  return {
    now: () => new Date(current),
    advance: (seconds) => {
      current += seconds * 1000
    },
    set: (at) => {
      current = at.getTime()
    },
  }
}

/** `at` moved forward by `seconds`. */
export function addSeconds(at: Date, seconds: number): Date {
  return new Date(at.getTime() + seconds * 1000)
}
