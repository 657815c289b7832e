import cliProgress from 'cli-progress'
import type { DjangoImportReport } from '../core/django-import.js'
import type { ImportIssue, ImportIssueKind } from '../core/django-rows.js'

/** How many `changed` notices are printed one by one; the summary counts the rest. */
const MAX_NOTICES = 20

/** The progress of one phase (users, tokens): a bar with counts and rate on a terminal, nothing otherwise. */
export interface PhaseProgress {
  update(done: number): void
  /** Prints a line above the bar (or alone, without a terminal). */
  log(line: string): void
  stop(): void
}

/** Starts a progress bar for `total` rows of `phase` on stderr; it draws only on a terminal. */
export function startPhase(phase: string, total: number): PhaseProgress {
  // cli-progress draws a final bar even without a terminal; a log file gets the summary alone.
  if (process.stderr.isTTY !== true) return { update() {}, log: (line) => process.stderr.write(`${line}\n`), stop() {} }
  const started = performance.now()
  const bars = new cliProgress.MultiBar(
    {
      format: `${phase.padEnd(6)} |{bar}| {percentage}% · {value}/{total} · {rate}/s · eta {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
      // Redrawn at most ten times a second, however fast the batches go.
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  )
  const bar = bars.create(total, 0, { rate: 0 })
  return {
    update(done) {
      bar.update(done, { rate: Math.round(done / Math.max((performance.now() - started) / 1000, 0.001)).toLocaleString('en-US') })
    },
    log(line) {
      bars.log(`${line}\n`)
    },
    stop() {
      bars.stop()
    },
  }
}

/** Prints issues one per line to stderr, `changed` notices only up to a limit; returns a function that does it. */
export function issuePrinter(progress: () => PhaseProgress | null): (issue: ImportIssue) => void {
  let notices = 0
  return (issue) => {
    if (issue.kind === 'changed' && ++notices > MAX_NOTICES) return
    const line = `${LABEL[issue.kind]}: ${issue.row} ${issue.message}`
    const phase = progress()
    if (phase) phase.log(line)
    else process.stderr.write(`${line}\n`)
  }
}

const LABEL: Record<ImportIssueKind, string> = {
  conflict: 'conflict',
  invalid: 'invalid',
  missing_user: 'missing user',
  password: 'password',
  changed: 'note',
}

/** The closing summary, on stdout: what was read, written, left alone and skipped, and how fast. */
export function formatSummary(report: DjangoImportReport, seconds: number, dryRun: boolean): string {
  const { users, tokens, issues } = report
  const imported = dryRun ? 'to import' : 'imported'
  const n = (value: number) => value.toLocaleString('en-US')
  const lines = [
    `Users:  ${n(users.read)} read, ${n(users.imported)} ${imported} (${n(users.renumbered)} under a new id), ` +
      `${n(users.unchanged)} already imported, ${n(users.skipped)} skipped`,
    `Tokens: ${n(tokens.read)} read, ${n(tokens.imported)} ${imported}, ${n(tokens.unchanged)} already imported, ${n(tokens.skipped)} skipped`,
    `Issues: ${n(issues.conflict)} conflicts, ${n(issues.invalid)} invalid rows, ${n(issues.missing_user)} tokens without a user, ` +
      `${n(issues.password)} unverifiable password hashes, ${n(issues.changed)} notes`,
    `Time:   ${seconds.toFixed(1)} s (${n(Math.round(users.read / Math.max(seconds, 0.001)))} users/s, ` +
      `${n(Math.round((users.read + tokens.read) / Math.max(seconds, 0.001)))} rows/s)`,
  ]
  if (issues.changed > MAX_NOTICES) lines.push(`(${n(issues.changed - MAX_NOTICES)} notes beyond the first ${MAX_NOTICES} were counted, not printed)`)
  if (dryRun) lines.push('Dry run: nothing was written.')
  else if (users.imported === 0 && tokens.imported === 0) lines.push('Nothing to do: everything was imported before.')
  return lines.join('\n') + '\n'
}
