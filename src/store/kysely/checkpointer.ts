import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

/** How often the background connection copies the WAL into the database file. */
const CHECKPOINT_INTERVAL_MS = 1000
/**
 * The writer's own automatic checkpoint, kept as a backstop (a burst of writes, or a checkpointer
 * that died): pages in the WAL before a commit checkpoints on the event loop. SQLite's default is
 * 1000; with a checkpointer running, the WAL should never get near this.
 */
export const BACKSTOP_AUTOCHECKPOINT_PAGES = 10_000

/** How long `stop()` waits for the worker to close its connection (it may be mid-checkpoint). */
const STOP_WAIT_MS = 5000

/**
 * The worker's code, evaluated as CommonJS: it opens its own connection to the file and runs a
 * PASSIVE checkpoint each interval (which never waits for, nor blocks, the writer or the readers);
 * told to stop, it closes the connection and says so through the shared `closed` flag. When it
 * cannot open the file it says so in a message, and the process warns.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const closed = new Int32Array(workerData.closed)
let db
try {
  db = new (require(workerData.driver))(workerData.path, { fileMustExist: true })
  db.pragma('busy_timeout = 1000')
} catch (error) {
  db = undefined
  parentPort.postMessage({ failed: String(error && error.message || error) })
}
const checkpoint = () => { try { db?.pragma('wal_checkpoint(PASSIVE)') } catch {} }
const timer = setInterval(checkpoint, workerData.intervalMs)
parentPort.once('message', () => {
  clearInterval(timer)
  try { db?.close() } catch {}
  Atomics.store(closed, 0, 1)
  Atomics.notify(closed, 0)
  parentPort.close()
})
`

/** A running background checkpointer. */
export interface Checkpointer {
  /**
   * Stops it, returning once its connection is closed: the caller's own connections then close
   * last, so the final checkpoint and the WAL's removal happen as without a checkpointer, and
   * nothing touches the files afterwards.
   */
  stop(): void
}

/**
 * Moves SQLite's WAL checkpoints off the event loop: each copies the pages written since the last
 * into the database file and fsyncs it, which took 10–45 ms on these machines; done by the writer's
 * commit (SQLite's default), that is a stall of every request in flight every few seconds under
 * a steady trickle of writes (lastUsedAt, logins). `path` must be a file in WAL mode.
 */
export function startCheckpointer(path: string): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3')
  const closed = new SharedArrayBuffer(4)
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, driver, closed, intervalMs: CHECKPOINT_INTERVAL_MS } })
  let exited = false
  // Never what keeps the process alive, and never fatal: the writer's backstop still checkpoints.
  // But the operator should know why checkpoints are back on the writer's commits.
  const warn = (why: string): void =>
    process.emitWarning(`tessera: the background WAL checkpointer ${why} (${path}); the writer checkpoints on its own commits instead`)
  worker.unref()
  worker.on('error', (error) => warn(`stopped: ${error.message}`))
  worker.on('message', (message: { failed?: string }) => {
    if (message.failed !== undefined) warn(`cannot open the file: ${message.failed}`)
  })
  worker.on('exit', () => (exited = true))
  return {
    stop() {
      if (exited) return
      worker.postMessage('stop')
      // Closing is rare and the worker's close takes milliseconds; blocking for it keeps close() synchronous.
      Atomics.wait(new Int32Array(closed), 0, 0, STOP_WAIT_MS)
    },
  }
}
