import type { Store } from '../store/store.js'

/** A queued touch, in epoch ms. */
export interface QueuedTouch {
  lastUsedAt: number
  expiresAt: number
}

/** How the touch writer batches. */
export interface TouchWriterOptions {
  /** How long the first touch of a batch waits for more. @default 1000 */
  flushDelayMs?: number
  /** Touches per transaction; a backlog this big is written at once. @default 500 */
  batchSize?: number
}

/**
 * Writes sessions' `lastUsedAt` (and the expiry it slides) in batches, one transaction each. A
 * server whose sessions cross the touch interval touches thousands a second, and one commit per
 * touch costs more than the reads that caused them. Touches of one session coalesce, the latest
 * winning. A failed batch is reported and dropped: a lost touch only shortens a session's idle
 * time, by at most one touch interval, and retrying would pile writes onto a store in trouble.
 * Until a touch is stored, `queued` tells this process's reads of the store what it will say.
 */
export class TouchWriter {
  readonly #store: Pick<Store, 'touchSessions'>
  readonly #report: (error: unknown, what: string) => void
  readonly #flushDelayMs: number
  readonly #batchSize: number
  #pending = new Map<string, QueuedTouch>()
  /** Batches taken from the queue whose write has not ended yet, oldest first. */
  readonly #inFlight: Array<Map<string, QueuedTouch>> = []
  #timer: ReturnType<typeof setTimeout> | undefined
  #writing: Promise<void> = Promise.resolve()

  constructor(store: Pick<Store, 'touchSessions'>, reportError: (error: unknown, what: string) => void, options: TouchWriterOptions = {}) {
    this.#store = store
    this.#report = reportError
    this.#flushDelayMs = options.flushDelayMs ?? 1000
    this.#batchSize = options.batchSize ?? 500
    if (!(this.#flushDelayMs >= 0) || !Number.isInteger(this.#batchSize) || this.#batchSize < 1) {
      throw new RangeError('tessera: touch writer needs flushDelayMs ≥ 0 and a whole batchSize ≥ 1')
    }
  }

  /** Queues a touch (no I/O, no promise, never throws). */
  add(id: string, lastUsedAt: number, expiresAt: number): void {
    this.#pending.set(id, { lastUsedAt, expiresAt })
    // A full batch is written at once; the timer is armed anew only when the queue fills, not per touch after.
    if (this.#pending.size === this.#batchSize) this.#arm(0)
    else if (this.#timer === undefined) this.#arm(this.#flushDelayMs)
  }

  /** The latest touch of session `id` that is not stored yet, if any. */
  queued(id: string): QueuedTouch | undefined {
    if (this.#pending.size > 0) {
      const touch = this.#pending.get(id)
      if (touch) return touch
    }
    for (let i = this.#inFlight.length - 1; i >= 0; i--) {
      const touch = this.#inFlight[i]!.get(id)
      if (touch) return touch
    }
    return undefined
  }

  /** Writes every queued touch now; resolves when they are stored or reported. Never rejects. */
  async flush(): Promise<void> {
    this.#disarm()
    await this.#write()
  }

  #arm(ms: number): void {
    this.#disarm()
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      void this.#write()
    }, ms)
    // Queued touches must not keep an idle process alive; a graceful stop flushes them.
    this.#timer.unref?.()
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
  }

  /** Takes the queue and writes it in batches after any write still running, so batches keep their order. */
  #write(): Promise<void> {
    if (this.#pending.size === 0) return this.#writing
    const taken = this.#pending
    this.#pending = new Map()
    this.#inFlight.push(taken)
    const touches = [...taken].map(([id, { lastUsedAt, expiresAt }]) => ({ id, lastUsedAt: new Date(lastUsedAt), expiresAt: new Date(expiresAt) }))
    this.#writing = this.#writing.then(async () => {
      for (let start = 0; start < touches.length; start += this.#batchSize) {
        const batch = touches.slice(start, start + this.#batchSize)
        try {
          await this.#store.touchSessions(batch)
        } catch (error) {
          this.#report(error, `touchSessions: ${batch.length} sessions' lastUsedAt not written`)
        }
      }
      this.#inFlight.splice(this.#inFlight.indexOf(taken), 1)
    })
    return this.#writing
  }
}
