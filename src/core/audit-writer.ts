import type { NewAuditEvent, Store } from '../store/store.js'

/** How the audit writer batches, and how long it keeps rows the store refuses. */
export interface AuditWriterOptions {
  /** Rows per INSERT; a backlog this big is written at once. @default 100 */
  batchSize?: number
  /** How long the first row of a batch waits for more before they are written. @default 250 */
  flushDelayMs?: number
  /** Rows kept waiting while the store fails; beyond it new rows are dropped, and counted. @default 10000 */
  maxBuffered?: number
  /** Attempts at one batch before it is dropped (and counted), so one bad row cannot wedge the log. @default 8 */
  maxAttempts?: number
  /** The first retry's wait; each next one doubles, up to 30 s. @default 1000 */
  retryDelayMs?: number
}

/** Rows waiting, and rows given up since the start (a full buffer, or a batch the store kept refusing). */
export interface AuditBacklog {
  pending: number
  dropped: number
}

const MAX_RETRY_DELAY_MS = 30_000
/** A store failing for minutes would otherwise report every dropped row. */
const DROP_REPORT_INTERVAL_MS = 10_000

/**
 * Writes audit rows in batches, after the requests that made them: `add` only queues (no I/O, no
 * promise, never throws), and a timer writes up to `batchSize` rows per INSERT, `flushDelayMs`
 * after the first, or at once when a full batch waits. A failed write is reported and retried
 * with backoff; the queue is capped, so a store that is down costs bounded memory, and what is
 * dropped is counted and reported.
 */
export class AuditWriter {
  readonly #store: Pick<Store, 'appendAuditEvents'>
  readonly #report: (error: unknown, what: string) => void
  readonly #batchSize: number
  readonly #flushDelayMs: number
  readonly #maxBuffered: number
  readonly #maxAttempts: number
  readonly #retryDelayMs: number
  #buffer: NewAuditEvent[] = []
  #timer: ReturnType<typeof setTimeout> | undefined
  #timerDue = 0
  #writing: Promise<void> | undefined
  #failures = 0
  #dropped = 0
  #droppedReported = 0
  #lastDropReport = -Infinity

  constructor(
    store: Pick<Store, 'appendAuditEvents'>,
    reportError: (error: unknown, what: string) => void,
    options: AuditWriterOptions = {},
  ) {
    this.#store = store
    this.#report = reportError
    this.#batchSize = positiveInteger(options.batchSize ?? 100, 'batchSize')
    this.#flushDelayMs = positiveInteger(options.flushDelayMs ?? 250, 'flushDelayMs')
    this.#maxBuffered = positiveInteger(options.maxBuffered ?? 10_000, 'maxBuffered')
    this.#maxAttempts = positiveInteger(options.maxAttempts ?? 8, 'maxAttempts')
    this.#retryDelayMs = positiveInteger(options.retryDelayMs ?? 1000, 'retryDelayMs')
    if (this.#maxBuffered < this.#batchSize) throw new RangeError('tessera: options.audit.maxBuffered must be ≥ batchSize')
  }

  /** Queues `row` for the next batch; drops (and counts) it when the queue is full. */
  add(row: NewAuditEvent): void {
    if (this.#buffer.length >= this.#maxBuffered) {
      this.#drop(1, 'the queue is full')
      return
    }
    this.#buffer.push(row)
    // While the store is failing, the retry's timer stands: a full batch must not hammer it.
    if (this.#failures === 0) this.#schedule(this.#buffer.length >= this.#batchSize ? 0 : this.#flushDelayMs)
  }

  /**
   * Writes every queued row now, in batches, and resolves when they are stored (or, if the store
   * refuses, reported and left for the retry). Never rejects. For a graceful stop and for readers
   * that must see what was just done.
   */
  async flush(): Promise<void> {
    this.#cancelTimer()
    // A write in progress finishes first; rows are written in the order they came.
    while (this.#writing) await this.#writing
    if (this.#buffer.length > 0) await this.#run(true)
    // A stop must not leave drops unsaid that the interval held back.
    if (this.#dropped > this.#droppedReported) {
      this.#lastDropReport = -Infinity
      this.#drop(0, 'see the earlier reports')
    }
  }

  /** What waits and what was dropped, for operators (and tests). */
  backlog(): AuditBacklog {
    return { pending: this.#buffer.length, dropped: this.#dropped }
  }

  /** Arms the timer to write in `ms`, unless it is armed to fire sooner or a write is running. */
  #schedule(ms: number): void {
    // A running write looks at the queue again when it ends.
    if (this.#writing) return
    const due = Date.now() + ms
    if (this.#timer !== undefined && this.#timerDue <= due) return
    this.#cancelTimer()
    this.#timerDue = due
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      void this.#run(false)
    }, ms)
    // Pending rows must not keep a process alive that has nothing else to do; a graceful stop flushes.
    this.#timer.unref?.()
  }

  #cancelTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
  }

  /** Runs one write loop (`all`: until the queue is empty, else while full batches wait). */
  #run(all: boolean): Promise<void> {
    const running = this.#write(all).finally(() => {
      this.#writing = undefined
      if (this.#buffer.length > 0 && this.#timer === undefined) {
        this.#schedule(this.#failures > 0 ? this.#retryDelay() : this.#buffer.length >= this.#batchSize ? 0 : this.#flushDelayMs)
      }
    })
    this.#writing = running
    return running
  }

  async #write(all: boolean): Promise<void> {
    // The timer's run writes the batch it fired for, then only full ones: a partial one waits
    // for company, so a steady trickle is still written in batches.
    for (let first = true; this.#buffer.length > 0 && (all || first || this.#buffer.length >= this.#batchSize); first = false) {
      const batch = this.#buffer.slice(0, this.#batchSize)
      try {
        await this.#store.appendAuditEvents(batch)
      } catch (error) {
        this.#failures++
        this.#report(error, `audit log: writing ${batch.length} events failed (attempt ${this.#failures} of ${this.#maxAttempts})`)
        if (this.#failures >= this.#maxAttempts) {
          this.#buffer.splice(0, batch.length)
          this.#failures = 0
          this.#drop(batch.length, `the store refused them ${this.#maxAttempts} times`)
        }
        return
      }
      // Rows added meanwhile went to the end of the queue, so the batch is still its head.
      this.#buffer.splice(0, batch.length)
      this.#failures = 0
    }
  }

  #retryDelay(): number {
    return Math.min(MAX_RETRY_DELAY_MS, this.#retryDelayMs * 2 ** Math.max(0, this.#failures - 1))
  }

  /** Counts dropped rows and reports them, at most once per interval. */
  #drop(count: number, why: string): void {
    this.#dropped += count
    const now = Date.now()
    if (now - this.#lastDropReport < DROP_REPORT_INTERVAL_MS) return
    this.#lastDropReport = now
    const since = this.#dropped - this.#droppedReported
    this.#droppedReported = this.#dropped
    const events = (n: number) => `${n} event${n === 1 ? '' : 's'}`
    this.#report(new Error(`audit log: ${events(since)} dropped (${why}); ${events(this.#dropped)} since the start`), 'audit log')
  }
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`tessera: options.audit.${name} must be a whole number ≥ 1`)
  return value
}
