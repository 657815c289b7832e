import type { LoadResult } from './load.js'

/** One measured run of `seconds`. */
export type Runner = (seconds: number) => Promise<LoadResult>

export interface AlternateOptions {
  rounds: number
  roundSeconds: number
  warmupSeconds: number
}

/**
 * Measures the sides of ratios in alternating rounds after a warm-up of each: every round runs
 * every side back to back, forwards in even rounds and backwards in odd ones (A B C, C B A, …), so
 * drift (JIT, page cache, the OS) and other load on a shared machine fall on all sides alike, and
 * the ratio of any two can be taken round by round. Each side's result is the sum of its rounds.
 */
export async function alternateAll(sides: readonly Runner[], options: AlternateOptions): Promise<LoadResult[]> {
  if (options.warmupSeconds > 0) for (const side of sides) await side(options.warmupSeconds)
  const results: LoadResult[][] = sides.map(() => [])
  const forwards = sides.map((_, i) => i)
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? forwards : [...forwards].reverse()
    for (const side of order) {
      results[side]!.push(await sides[side]!(options.roundSeconds))
    }
  }
  return results.map(combine)
}

/** Rounds summed: requests over seconds; the median round's p50 and the worst round's p99. */
function combine(rounds: LoadResult[]): LoadResult {
  const requests = rounds.reduce((sum, r) => sum + r.requests, 0)
  const seconds = rounds.reduce((sum, r) => sum + r.seconds, 0)
  const p50s = rounds.map((r) => r.p50Ms).sort((x, y) => x - y)
  return {
    rps: requests / seconds,
    requests,
    seconds,
    p50Ms: p50s[Math.floor(p50s.length / 2)] ?? NaN,
    p99Ms: Math.max(...rounds.map((r) => r.p99Ms)),
    failures: rounds.reduce((sum, r) => sum + r.failures, 0),
    roundRates: rounds.map((r) => r.rps),
    ...(rounds.every((r) => r.serverCpuMs !== undefined) ? { serverCpuMs: rounds.reduce((sum, r) => sum + r.serverCpuMs!, 0) } : {}),
  }
}
