import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer, connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

/*
 * Private Redis and PostgreSQL servers for fault tests: started on free ports of their own, so a
 * test can kill and restart them while the rest of the suite keeps using the shared ones on 6379
 * and 5432 (which must never be stopped). Every handle's `close()` ends what it started and
 * removes its files; call it in afterAll.
 */

const run = promisify(execFile)

/** The redis-server binary, or null when Redis is not installed. */
export function redisServerBinary(): string | null {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'redis-server'))) return join(dir, 'redis-server')
  }
  return existsSync('/usr/bin/redis-server') ? '/usr/bin/redis-server' : null
}

/** The folder holding PostgreSQL's initdb and pg_ctl (the newest version installed), or null. */
export function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) return null
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')) && existsSync(join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a))
  return versions[0] ? join(root, versions[0], 'bin') : null
}

/** Why the private PostgreSQL cannot be made here, or null when it can. */
export function privatePostgresMissing(): string | null {
  if (!postgresBinDir()) return 'no initdb/pg_ctl under /usr/lib/postgresql/*/bin'
  // initdb refuses to run as root; as root the cluster is made by the `postgres` user.
  if (process.getuid?.() === 0 && !existsSync('/usr/sbin/runuser') && !existsSync('/sbin/runuser')) return 'running as root without runuser'
  return null
}

/** Why the private Redis cannot be started here, or null when it can. */
export function privateRedisMissing(): string | null {
  return redisServerBinary() ? null : 'no redis-server on PATH'
}

/** A TCP port nothing listens on right now (the OS's choice). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** Resolves once 127.0.0.1:`port` accepts a connection, or throws after `timeoutMs`. */
async function untilListening(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`)
    await sleep(50)
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** A Redis server this test owns: stop it (SIGKILL, as a crash) and start it again on the same port. */
export interface PrivateRedis {
  readonly port: number
  readonly url: string
  /** Kills the server (SIGKILL) and waits for it to exit. */
  stop(): Promise<void>
  /** Starts it again on the same port; resolves once it accepts connections. */
  start(): Promise<void>
  /** Stops it if running. Safe to call more than once. */
  close(): Promise<void>
}

/** Starts a throwaway redis-server (no persistence) on a free port, as a child of this process. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const binary = redisServerBinary()
  if (!binary) throw new Error('redis-server is not installed')
  const port = await freePort()
  let child: ChildProcess | null = null

  const start = async (): Promise<void> => {
    if (child) return
    const started = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], {
      stdio: 'ignore',
    })
    child = started
    started.once('exit', () => {
      if (child === started) child = null
    })
    try {
      await untilListening(port, 10_000)
    } catch (error) {
      await stop()
      throw error
    }
  }
  const stop = async (): Promise<void> => {
    const running = child
    if (!running) return
    child = null
    if (running.exitCode !== null || running.signalCode !== null) return
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve())
      running.kill('SIGKILL')
    })
  }
  await start()
  return { port, url: `redis://127.0.0.1:${port}`, start, stop, close: stop }
}

/** A PostgreSQL cluster this test owns, in a temp folder. */
export interface PrivatePostgres {
  readonly port: number
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust auth). */
  readonly url: string
  /**
   * `pg_ctl stop -m fast` (default): open sessions are terminated (57P01), as in a restart;
   * `immediate`: the server quits without a checkpoint, as in a crash, and recovers from WAL on start.
   */
  stop(mode?: 'fast' | 'immediate'): Promise<void>
  /** `pg_ctl start -w`: resolves once the server accepts connections. */
  start(): Promise<void>
  /** Stops the cluster (immediate mode) and removes its folder. Safe to call more than once. */
  close(): Promise<void>
}

/**
 * Creates a cluster with initdb in a temp folder (as the `postgres` user when this process is
 * root) and starts it on a free port, listening on 127.0.0.1 and a socket in its own folder.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBinDir()
  if (!bin) throw new Error('PostgreSQL server binaries are not installed')
  const asRoot = process.getuid?.() === 0
  const dir = mkdtempSync(join(tmpdir(), 'tessera-pg-'))
  const data = join(dir, 'data')
  const log = join(dir, 'server.log')
  const port = await freePort()
  // As root: run the binaries as `postgres`, which must own the folder.
  const as = async (command: string, args: string[]): Promise<void> => {
    if (asRoot) await run('runuser', ['-u', 'postgres', '--', join(bin, command), ...args])
    else await run(join(bin, command), args)
  }
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres'])
    const { stdout: gid } = await run('id', ['-g', 'postgres'])
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()))
  }
  let running = false
  let closed = false
  const start = async (): Promise<void> => {
    await as('pg_ctl', ['-D', data, '-l', log, '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, '-w', '-t', '60', 'start'])
    running = true
  }
  const stop = async (mode: 'fast' | 'immediate' = 'fast'): Promise<void> => {
    if (!running) return
    await as('pg_ctl', ['-D', data, '-w', '-t', '60', 'stop', '-m', mode])
    running = false
  }
  try {
    await as('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-instructions'])
    await start()
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop: (mode = 'fast') => stop(mode),
    async close() {
      if (closed) return
      closed = true
      try {
        await stop('immediate')
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
  }
}
