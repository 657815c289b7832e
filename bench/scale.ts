/**
 * `npm run bench -- --scale`: two Tessera processes on one PostgreSQL database and one Redis,
 * under the mixed load of mixed.ts (reads, logins, logouts), beside one process on SQLite under
 * the very same load, so the two columns compare like with like.
 *
 * - PostgreSQL: a database of its own (`tessera_bench_<pid>`, created on 127.0.0.1:5432 through
 *   the `test` database and dropped at the end), migrated and seeded through the Store of the
 *   postgres engine, every user sharing one precomputed argon2id hash (as seed.ts does);
 * - Redis: redis://127.0.0.1:6379/5, flushed before and after the run (revocation broadcast and
 *   shared counters; throttles are off, as in the rest of the bench);
 * - SQLite: bench/data/scale-<pid>.db, seeded the same way, removed at the end.
 *
 * Returns the exit code: 1 when any request of either run failed.
 */
import { Redis } from 'ioredis'
import { rmSync } from 'node:fs'
import { availableParallelism, loadavg } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import type { NewUser } from '../src/store/store.js'
import { DATA_DIR, loadIdentity, loadPasswords, loadStore } from './dist.js'
import { KINDS, runMixed, type MixedResult, type MixedSpec } from './mixed.js'
import { startBenchServer, type RunningServer } from './processes.js'
import { BENCH_PASSWORD, benchEmail } from './seed.js'

export interface ScaleOptions {
  users: number
  seconds: number
  warmupSeconds: number
  connections: number
  loginRate: number
  logoutRate: number
  initialTokens: number
  /** Also run one process on SQLite under the same load (default true). */
  sqlite: boolean
  log(line: string): void
}

const PG_ADMIN = 'postgres://postgres@127.0.0.1:5432/test'
const REDIS_URL = 'redis://127.0.0.1:6379/5'

/** Creates `users` users through the Store of `databaseUrl`'s engine, all with one argon2id hash. */
async function seedUsers(databaseUrl: string, users: number): Promise<number> {
  const started = performance.now()
  const [{ openStore }, { hashPassword }, { identityKey }] = await Promise.all([loadStore(), loadPasswords(), loadIdentity()])
  const store = await openStore(databaseUrl)
  try {
    const passwordHash = await hashPassword(BENCH_PASSWORD)
    const now = new Date()
    for (let first = 1; first <= users; first += 5000) {
      const batch: NewUser[] = []
      for (let id = first; id <= Math.min(users, first + 4999); id++) {
        const email = benchEmail(id)
        const username = `user${id}`
        batch.push({
          id, email, emailKey: identityKey(email), username, usernameKey: identityKey(username), passwordHash,
          isActive: true, isStaff: false, isSuperuser: false, emailVerified: true, bio: null, image: null,
          dateJoined: now, lastLogin: null, passwordChangedAt: now,
        })
      }
      await store.insertUsers(batch)
    }
  } finally {
    await store.close()
  }
  return (performance.now() - started) / 1000
}

async function withAdmin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_ADMIN })
  await client.connect()
  try {
    return await run(client)
  } finally {
    await client.end()
  }
}

async function flushRedis(): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 })
  await redis.connect()
  await redis.flushdb()
  redis.disconnect()
}

interface Setup {
  label: string
  result: MixedResult
  servers: number
}

export async function runScale(options: ScaleOptions): Promise<number> {
  const { log } = options
  const started = performance.now()
  const loadAtStart = loadavg().map((l) => l.toFixed(2)).join(' ')
  const spec = (urls: string[], serverPids: number[]): MixedSpec => ({
    urls, serverPids, users: options.users, password: BENCH_PASSWORD, connections: options.connections,
    loginRate: options.loginRate, logoutRate: options.logoutRate, initialTokens: options.initialTokens,
    warmupSeconds: options.warmupSeconds, seconds: options.seconds,
  })
  const setups: Setup[] = []
  const servers: RunningServer[] = []
  const stopAll = async (): Promise<void> => {
    await Promise.all(servers.splice(0).map((s) => s.stop()))
  }

  // 1. One process on SQLite, the single-process reference.
  if (options.sqlite) {
    const dbPath = join(DATA_DIR, `scale-${process.pid}.db`)
    try {
      const seedSeconds = await seedUsers(`sqlite:${dbPath}`, options.users)
      log(`SQLite: seeded ${options.users.toLocaleString('en-US')} users in ${dbPath} in ${seedSeconds.toFixed(1)} s`)
      const server = await startBenchServer(`sqlite:${dbPath}`, 100_000, { WORKERS: '1' })
      servers.push(server)
      log(`SQLite: 1 server, pid ${server.pid} at ${server.url}; ${options.initialTokens} logins, then ${options.warmupSeconds} s warm-up + ${options.seconds} s mixed load`)
      setups.push({ label: '1 process · SQLite', servers: 1, result: await runMixed(spec([server.url], [server.pid])) })
    } finally {
      await stopAll()
      for (const suffix of ['', '-wal', '-shm']) rmSync(dbPath + suffix, { force: true })
    }
  }

  // 2. Two processes on PostgreSQL + Redis.
  const dbName = `tessera_bench_${process.pid}`
  await withAdmin((c) => c.query(`CREATE DATABASE ${dbName}`))
  try {
    const databaseUrl = `postgres://postgres@127.0.0.1:5432/${dbName}`
    const seedSeconds = await seedUsers(databaseUrl, options.users)
    log(`PostgreSQL: seeded ${options.users.toLocaleString('en-US')} users in database ${dbName} in ${seedSeconds.toFixed(1)} s`)
    await flushRedis()
    const extra = { REDIS_URL, WORKERS: '1' }
    servers.push(await startBenchServer(databaseUrl, 100_000, extra), await startBenchServer(databaseUrl, 100_000, extra))
    log(`PostgreSQL + Redis: 2 servers, pids ${servers.map((s) => `${s.pid} at ${s.url}`).join(', ')}; ${options.initialTokens} logins, then ${options.warmupSeconds} s warm-up + ${options.seconds} s mixed load`)
    const result = await runMixed(spec(servers.map((s) => s.url), servers.map((s) => s.pid)))
    setups.push({ label: '2 processes · PostgreSQL + Redis', servers: 2, result })
  } finally {
    await stopAll()
    await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`))
    await flushRedis().catch(() => undefined)
  }

  const loadAtEnd = loadavg().map((l) => l.toFixed(2)).join(' ')
  printScale(options, setups, loadAtStart, loadAtEnd, (performance.now() - started) / 1000)
  return setups.some((s) => s.result.errors > 0) ? 1 : 0
}

const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–')
const ms = (n: number): string => (!Number.isFinite(n) ? '–' : (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0)) + ' ms')
const pct = (share: number): string => `${Math.round(share * 100)}%`

function printScale(options: ScaleOptions, setups: Setup[], loadAtStart: string, loadAtEnd: string, elapsed: number): void {
  const header = ['setup', 'kind', 'count', 'req/s', 'p50', 'p99', 'errors', 'note']
  const rows: string[][] = []
  for (const { label, result } of setups) {
    for (const kind of KINDS) {
      const r = result.kinds[kind]
      if (kind === 'revoked' && r.count === 0 && r.errors === 0) continue
      const notes = [
        ...(r.expected401 > 0 ? [`${r.expected401} expected 401 (logged out in flight)`] : []),
        ...(r.skipped > 0 ? [`${r.skipped} not started (64 in flight)`] : []),
        ...(r.firstError ? [`first error: ${r.firstError}`] : []),
      ]
      rows.push([label, kind === 'revoked' ? 'revoked (other process, 1 s after logout: expect 401)' : kind, int(r.count), int(r.rps), ms(r.p50Ms), ms(r.p99Ms), String(r.errors), notes.join('; ')])
    }
    rows.push([label, 'total (read + login + logout)', int(KINDS.filter((k) => k !== 'revoked').reduce((s, k) => s + result.kinds[k].count, 0)), int(result.totalRps), '', '', String(result.errors), ''])
  }
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)))
  const right = new Set([2, 3, 4, 5, 6])
  const line = (cells: string[]): string => cells.map((cell, c) => (right.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd()
  const errors = setups.reduce((s, x) => s + x.result.errors, 0)
  const out = [
    '',
    `Tessera bench --scale · ${options.users.toLocaleString('en-US')} users · node ${process.version} · ${availableParallelism()} CPUs`,
    `load: mixed.ts driver (node:http keep-alive, in the bench process) · ${options.connections} read connections spread over the servers` +
      ` · ${options.loginRate} logins/s + ${options.logoutRate} logouts/s (open loop) · ${options.initialTokens} logins first · ${options.warmupSeconds} s warm-up, then ${options.seconds} s measured`,
    '',
    line(header),
    widths.map((w) => '─'.repeat(w)).join('  '),
    ...rows.map(line),
    '',
    ...setups.map(({ label, result: r }) =>
      `  · ${label}: CPU over the measured window: client ${r.clientCores.toFixed(2)} cores, server(s) ${r.serverCores.map((c) => c.toFixed(2)).join(' + ')} cores, ` +
      `whole machine ${pct(r.machineBusy)} busy (PostgreSQL, Redis and other processes are the rest); ${r.poolAtEnd} live tokens in the pool at the end`),
    `  · the client shares the 2 CPUs with the servers, PostgreSQL and Redis: every figure here is of the whole machine, not of Tessera alone`,
    `  · reads: GET /bench/private (token auth, principal cache of 100,000 per process); a token logged in on one process is first read on either; with 2 processes the second one reads it from PostgreSQL`,
    ...(options.sqlite ? [] : ['  · --scale-skip-sqlite: no single-process run here; the single-process SQLite figures of `npm run bench` (separate GET and login runs) are not the same load']),
    `  · errors: non-2xx answers other than a read's 401 for a token logged out while in flight, a revoked token accepted, socket errors, timeouts (10 s)`,
    `  · load average ${loadAtStart} at the start, ${loadAtEnd} at the end · whole --scale run ${elapsed.toFixed(0)} s`,
    '',
    errors === 0 ? 'Result: no errors.' : `Result: ${errors} error(s).`,
  ]
  process.stdout.write(out.join('\n') + '\n')
}
