import cluster, { type Worker } from 'node:cluster'
import { availableParallelism, hostname } from 'node:os'
import { AggregatorRegistry } from 'prom-client'
import type { ServerConfig } from '../config/env.js'
import threadpool from '../config/threadpool.cjs'
import { openStore } from '../store/kysely/index.js'
import { CLUSTER_METRICS_REPLY, CLUSTER_METRICS_REQUEST } from './metrics.js'
import { listeningLine, startServer } from './server.js'

/** How a serving process shuts down. */
export interface ShutdownOptions {
  /** How long SIGTERM waits for requests in flight before the process exits 1. @default 10000 */
  shutdownTimeoutMs: number
}

/** A worker tells its primary it listens, and where. */
const LISTENING = 'tessera:listening'

/**
 * How many processes `tessera serve` runs: `requested`, or by default one per core when REDIS_URL
 * is set and one when it is not. Throws a RangeError when several are asked for but could not
 * agree: each process caches principals and counts failed logins in its own memory, and only
 * Redis carries revocations and throttle counts from one to the others.
 */
export function workerCount(requested: number | undefined, config: Pick<ServerConfig, 'redisUrl' | 'databaseUrl'>): number {
  const inMemory = /^sqlite::memory:$/i.test(config.databaseUrl.trim())
  if (requested === undefined) return config.redisUrl !== null && !inMemory ? availableParallelism() : 1
  if (requested > 1 && inMemory) {
    throw new RangeError(`tessera: --workers ${requested} cannot share DATABASE_URL=sqlite::memory: (each worker would get its own empty database); use a file, or --workers 1`)
  }
  if (requested > 1 && config.redisUrl === null) {
    throw new RangeError(
      `tessera: --workers ${requested} needs REDIS_URL: each worker caches tokens in its own memory, so without Redis a revocation ` +
        '(logout, password change, deactivation) in one worker would not reach the others, and each would throttle logins on its own; ' +
        'set REDIS_URL, or use --workers 1',
    )
  }
  return requested
}

/** Serves in this process alone; SIGTERM or SIGINT drains it, a second signal ends it at once. */
export async function serveOneProcess(config: ServerConfig, options: ShutdownOptions): Promise<void> {
  const server = await startServer(config)
  closeOnSignals(server.close, options.shutdownTimeoutMs, 'exit')
}

/** Serves as one worker of a cluster: silent start (the primary announces), drained by the primary's SIGTERM. */
export async function serveWorker(config: ServerConfig, options: ShutdownOptions): Promise<void> {
  const server = await startServer(config, { quiet: true })
  // The primary escalates; a signal the whole process group got as well as the forwarded one is one request.
  closeOnSignals(server.close, options.shutdownTimeoutMs, 'ignore')
  process.send?.({ type: LISTENING, addresses: server.addresses })
}

/**
 * The primary of `workers` processes sharing the port: migrates the database once, forks, logs one
 * start line when all listen, replaces a worker that dies, answers workers' requests for the
 * cluster's metrics, and on SIGTERM or SIGINT forwards SIGTERM and exits once all have exited (0
 * when all drained, 1 past the deadline or on a second signal, which kills them).
 */
export async function servePrimary(config: ServerConfig, workers: number, options: ShutdownOptions): Promise<void> {
  const log = jsonLog(config.logLevel)
  // Migrations run here, once: workers migrating a fresh database together would race.
  await (await openStore(config.databaseUrl)).close()

  const aggregator = new AggregatorRegistry()
  const live = new Map<number, Worker>()
  const listened = new Set<number>()
  let announced = false
  let stopping = false
  let failed = false

  // Each worker's pool its share of the cores, unless the operator sized it (config/threadpool.cts).
  const workerEnv = threadpool.workerThreadpoolEnv(availableParallelism(), workers)
  const fork = (): void => {
    const worker = cluster.fork(workerEnv)
    live.set(worker.id, worker)
  }
  const killAll = (signal: NodeJS.Signals): void => {
    for (const worker of live.values()) worker.process.kill(signal)
  }
  const stop = (reason: string): void => {
    if (stopping) return
    stopping = true
    log('info', `${reason}: stopping ${live.size} worker${live.size === 1 ? '' : 's'} (no new connections; requests in flight finish)`)
    if (live.size === 0) process.exit(failed ? 1 : 0)
    killAll('SIGTERM')
    setTimeout(() => {
      log('error', `workers still busy ${options.shutdownTimeoutMs / 1000} s after the stop; killing them`)
      killAll('SIGKILL')
      process.exit(1)
    }, options.shutdownTimeoutMs)
  }

  cluster.on('message', (worker, message: unknown) => {
    if (isMessage(message, LISTENING)) {
      listened.add(worker.id)
      if (!announced && listened.size === workers) {
        announced = true
        for (const address of (message as { addresses: string[] }).addresses) log('info', listeningLine(config, address, workers))
      }
    } else if (isMessage(message, CLUSTER_METRICS_REQUEST)) {
      const { id } = message as { id: number }
      const reply = (answer: { text: string } | { error: string }): void => {
        if (worker.isConnected()) worker.send({ type: CLUSTER_METRICS_REPLY, id, ...answer })
      }
      aggregator.clusterMetrics().then(
        (text) => reply({ text }),
        (error: unknown) => reply({ error: error instanceof Error ? error.message : String(error) }),
      )
    }
  })

  cluster.on('exit', (worker, code, signal) => {
    live.delete(worker.id)
    const how = signal ? `signal ${signal}` : `code ${code}`
    if (stopping) {
      // A worker the signal reached before it had its handlers in place ended by that signal: no loss.
      if (code !== 0 && signal !== 'SIGTERM' && signal !== 'SIGINT') failed = true
      if (live.size === 0) process.exit(failed ? 1 : 0)
    } else if (!listened.has(worker.id)) {
      // Failing before listening (port taken, database unreachable) would fail again: stop, not loop.
      failed = true
      log('error', `worker ${worker.process.pid} exited with ${how} before it listened; see its error above`)
      stop('a worker could not start')
    } else {
      log('error', `worker ${worker.process.pid} exited with ${how}; starting another`)
      fork()
    }
  })

  let signalled = false
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) {
      log('warn', `second ${signal}: killing the workers now`)
      killAll('SIGKILL')
      process.exit(1)
    }
    signalled = true
    stop(signal)
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)

  for (let i = 0; i < workers; i++) fork()
}

/**
 * On SIGTERM or SIGINT: stop accepting connections, let requests in flight finish, close the
 * database, exit 0. Exits 1 when closing fails or outlasts `timeoutMs`. A second signal exits 1 at
 * once (`'exit'`), or changes nothing where a primary is in charge of escalating (`'ignore'`).
 */
function closeOnSignals(close: () => Promise<void>, timeoutMs: number, secondSignal: 'exit' | 'ignore'): void {
  let stopping = false
  const fail = (message: string): void => {
    process.stderr.write(`tessera: error: ${message}\n`)
    process.exit(1)
  }
  const stop = (): void => {
    if (stopping) {
      if (secondSignal === 'exit') process.exit(1)
      return
    }
    stopping = true
    setTimeout(() => fail(`requests still in flight ${timeoutMs / 1000} s after the stop; exiting`), timeoutMs)
    close().then(
      () => process.exit(0),
      (error: unknown) => fail(`while closing: ${error instanceof Error ? error.message : String(error)}`),
    )
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

/** True when `message` is an object of IPC type `type`. */
function isMessage(message: unknown, type: string): boolean {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type
}

const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const

/** The primary's log: pino's JSON lines (as the workers write them), at LOG_LEVEL. */
function jsonLog(level: string): (level: keyof typeof LEVELS, msg: string) => void {
  const threshold = level === 'silent' ? Infinity : (LEVELS[level as keyof typeof LEVELS] ?? LEVELS.info)
  const host = hostname()
  return (at, msg) => {
    if (LEVELS[at] < threshold) return
    process.stdout.write(`${JSON.stringify({ level: LEVELS[at], time: Date.now(), pid: process.pid, hostname: host, msg })}\n`)
  }
}
