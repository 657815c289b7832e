import type { LoadResult } from './load.js'

/** One line of DESIGN.md's performance table, as measured. */
export interface Figure {
  name: string
  /** The numbers the figure came from, e.g. `41,200 ÷ 50,100 req/s`. */
  numbers: string
  /** The ratio or the amount, printed; `–` when not measured. */
  value: string
  target: string
  /** null: not measured (yet). */
  pass: boolean | null
  /** A missed enforced figure makes the bench exit 1. */
  enforced: boolean
  note?: string
}

/** One load run, for the table of raw numbers. */
export interface Run {
  label: string
  result: LoadResult
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US')
const ms = (n: number): string => (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0)) + ' ms'
/** Microseconds, or milliseconds from 1 ms on (a login's CPU is mostly its hash). */
const perRequest = (us: number): string => (us < 1000 ? `${us.toFixed(1)} µs` : `${(us / 1000).toFixed(2)} ms`)
/** Megabytes as DESIGN.md counts them: 10^6 bytes. */
export const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`

/**
 * `numerator ÷ denominator ≥ min`, where the two sides ran in alternating rounds: the figure is the
 * median of the per-round ratios (each round runs both sides back to back, so a burst of other
 * load on the machine spoils one round, not the figure); the totals are shown beside it.
 */
export function ratioFigure(
  name: string,
  numerator: LoadResult,
  denominator: LoadResult,
  unit: string,
  /** null: for information, no target. */
  min: number | null,
  enforced: boolean,
  note?: string,
): Figure {
  const a = numerator.roundRates ?? [numerator.rps]
  const b = denominator.roundRates ?? [denominator.rps]
  const perRound = a.map((x, i) => x / (b[i] ?? NaN))
  const ratio = median(perRound)
  return {
    name,
    numbers: `${int(numerator.rps)} ÷ ${int(denominator.rps)} ${unit} (rounds ${perRound.map((r) => r.toFixed(2)).join(' ')})`,
    // Truncated, not rounded: 0.797 must not print as 0.80 beside "≥ 0.80 FAIL".
    value: (Math.floor(ratio * 100) / 100).toFixed(2),
    target: min === null ? '–' : `≥ ${min.toFixed(2)}`,
    pass: min === null ? null : ratio >= min,
    enforced,
    ...(note ? { note } : {}),
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Resident memory ≤ `maxBytes`. */
export function memoryFigure(name: string, rss: number, peak: number, maxBytes: number, enforced: boolean, note?: string): Figure {
  return {
    name,
    numbers: `VmRSS ${mb(rss)} (peak VmHWM ${mb(peak)})`,
    value: mb(rss),
    target: `≤ ${mb(maxBytes).replace('.0 ', ' ')}`,
    pass: rss <= maxBytes,
    enforced,
    ...(note ? { note } : {}),
  }
}


function table(header: string[], rows: string[][], alignRight: ReadonlySet<number>): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)))
  const line = (cells: string[]): string =>
    cells.map((cell, c) => (alignRight.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd()
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

function verdict(figure: Figure): string {
  if (figure.pass === null) return figure.value === '–' ? 'n/a' : 'for information'
  if (figure.pass) return figure.enforced ? 'PASS' : 'pass (not enforced)'
  return figure.enforced ? 'FAIL' : 'miss (not enforced)'
}

/** Prints the figures, the raw runs they came from, and notes; returns the enforced misses. */
export function printReport(title: string[], figures: Figure[], runs: Run[], notes: string[]): Figure[] {
  const out: string[] = ['', ...title, '']
  out.push(
    table(
      ['figure', 'from (totals, and the ratio of each round)', 'measured', 'target', 'result'],
      figures.map((f) => [f.name, f.numbers, f.value, f.target, verdict(f)]),
      new Set([2]),
    ),
  )
  out.push('', '  measured: the median of the rounds\' ratios (each round runs both sides back to back), truncated to 2 decimals')
  const figureNotes = figures.filter((f) => f.note)
  if (figureNotes.length > 0) out.push('', ...figureNotes.map((f) => `  · ${f.name}: ${f.note}`))
  out.push('', 'Runs (completed requests ÷ measured seconds, over all rounds; CPU/req: the serving process\'s CPU time, all threads, per completed request; p50 of the median round, p99 of the worst):', '')
  out.push(
    table(
      ['run', 'req/s', 'each round', 'CPU/req', 'p50', 'p99', 'requests', 'seconds', 'failures'],
      runs.map(({ label, result: r }) => [
        label,
        int(r.rps),
        (r.roundRates ?? [r.rps]).map(int).join(' / '),
        r.serverCpuMs === undefined ? '–' : perRequest((r.serverCpuMs * 1000) / r.requests),
        ms(r.p50Ms),
        ms(r.p99Ms),
        int(r.requests),
        r.seconds.toFixed(1),
        String(r.failures),
      ]),
      new Set([1, 2, 3, 4, 5, 6, 7, 8]),
    ),
  )
  if (notes.length > 0) out.push('', ...notes.map((n) => `  · ${n}`))
  const missed = figures.filter((f) => f.enforced && f.pass === false)
  out.push('', missed.length === 0 ? 'Result: every enforced figure meets its target.' : `Result: ${missed.length} enforced figure(s) missed: ${missed.map((f) => f.name).join('; ')}.`)
  process.stdout.write(out.join('\n') + '\n')
  return missed
}
