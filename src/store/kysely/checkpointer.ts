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

/**
 * The worker's code, evaluated as CommonJS: it opens its own connection to the file and runs a
 * PASSIVE checkpoint each interval (which never waits for, nor blocks, the writer or the readers),
 * then a last one and closes when told to stop.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driver)
const db = new Database(workerData.path, { fileMustExist: true })
db.pragma('busy_timeout = 1000')
const checkpoint = () => { try { db.pragma('wal_checkpoint(PASSIVE)') } catch {} }
const timer = setInterval(checkpoint, workerData.intervalMs)
parentPort.once('message', () => { clearInterval(timer); checkpoint(); db.close(); parentPort.close() })
`

/** A running background checkpointer. */
export interface Checkpointer {
  /** Asks it to checkpoint once more and close its connection; it exits on its own. */
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
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, driver, intervalMs: CHECKPOINT_INTERVAL_MS } })
  // Never what keeps the process alive, and never fatal: the writer's backstop still checkpoints.
  worker.unref()
  worker.on('error', () => {})
  return { stop: () => worker.postMessage('stop') }
}
