/** The source of "now"; injected so tests can move time without freezing globals. */
export interface Clock {
  now(): Date
  /** `now()` in epoch ms, without making a Date (the hot path asks on every request). @default `now().getTime()` */
  nowMs?(): number
}

/** The wall clock. */
export const systemClock: Clock = { now: () => new Date(), nowMs: Date.now }

/** The clock's time in epoch ms. */
export function nowMs(clock: Clock): number {
  return clock.nowMs ? clock.nowMs() : clock.now().getTime()
}

/** A clock for tests: starts at `start` and moves only when told. */
export function createFakeClock(start = new Date('2026-01-01T00:00:00Z')): Clock & {
  advance(seconds: number): void
  set(at: Date): void
} {
  let current = start.getTime()
  return {
    now: () => new Date(current),
    nowMs: () => current,
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
