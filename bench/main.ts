/**
 * `npm run bench`: DESIGN.md's performance figures, as ratios measured in one run.
 *
 * Seeds (or reuses) a SQLite database with N users and N tokens, starts the real server in a
 * child process, loads it with wrk (autocannon when wrk is absent), measures raw argon2id in a
 * third process, prints each figure with the numbers it came from, and exits 1 when an enforced
 * figure misses its target (2 when a measurement itself was invalid).
 *
 * The warm runs have a third side, run in the same alternating rounds: a plain Fastify route
 * checking the token in a Map (bench-server.ts's /bench/map), so the report also shows Tessera ÷
 * the least any token check costs on this machine. To see where the microseconds go, profile the
 * server under load and summarise it with bench/profile-summary.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { DATA_DIR } from './dist.js'
import { pickTool, runLoad, type LoadResult, type LoadSpec } from './load.js'
import { cpuBusy, memoryOf, prewarm, runArgon2Raw, startBenchServer, THREADPOOL_SIZE, withServerCpu, type RunningServer } from './processes.js'
import { memoryFigure, printReport, ratioFigure, type Figure, type Run } from './report.js'
import { alternateAll, type Runner } from './rounds.js'
import { runAdminListing } from './admin-listing.js'
import { runScale } from './scale.js'
import { BENCH_PASSWORD, ensureSeeded, prepareForRun, readThrough, readTokens } from './seed.js'

const HELP = `usage: npm run bench -- [options]

  --million               seed 1,000,000 users and tokens (default 100,000); enforces the memory figure
  --quick                 smoke run: 10,000 users, 3 rounds of 1 s per side after 1 s warm-up, nothing enforced
  --fresh                 reseed even when bench/data holds a database with the same counts
  --users <n>             seed n users and n tokens
  --duration <s>          measured seconds of each side of a ratio (default 10)
  --rounds <n>            alternating rounds the duration is split into (default 5; 3 with --quick)
  --warmup <s>            seconds of discarded load before each side (default 2)
  --connections <n>       connections for the GET runs (default 32)
  --login-connections <n> connections for logins, and hashes in flight for raw argon2id (default 16)
  --warm-tokens <n>       distinct tokens of the warm-cache run (default 10,000)
  --cold-tokens <n>       distinct tokens of the cold run (default 100,000)
  --tool <wrk|autocannon> load generator (default wrk when on PATH)

  --scale                 instead: 2 processes on PostgreSQL + Redis under a mixed load (reads, logins,
                          logouts) beside 1 process on SQLite under the same load (bench/scale.ts)
  --scale-duration <s>    measured seconds of each mixed run (default 60)
  --scale-users <n>       users seeded for the scale run (default 10,000)
  --scale-connections <n> closed-loop read connections, spread over the servers (default 32)
  --scale-login-rate <n>  logins started per second (default 20); --scale-logout-rate likewise (20)
  --scale-skip-sqlite     skip the single-process SQLite run

  --admin                 instead: the staff listing's page latency at 1,000,000 users (or --users n)
`

const { values: args } = parseArgs({
  options: {
    million: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    fresh: { type: 'boolean', default: false },
    users: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    rounds: { type: 'string' },
    connections: { type: 'string', default: '32' },
    'login-connections': { type: 'string', default: '16' },
    'warm-tokens': { type: 'string', default: '10000' },
    'cold-tokens': { type: 'string', default: '100000' },
    tool: { type: 'string' },
    scale: { type: 'boolean', default: false },
    'scale-duration': { type: 'string', default: '60' },
    'scale-users': { type: 'string', default: '10000' },
    'scale-connections': { type: 'string', default: '32' },
    'scale-login-rate': { type: 'string', default: '20' },
    'scale-logout-rate': { type: 'string', default: '20' },
    'scale-skip-sqlite': { type: 'boolean', default: false },
    admin: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
})
if (args.help) {
  process.stdout.write(HELP)
  process.exit(0)
}
const positive = (name: string, value: string): number => {
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0) throw new Error(`bench: --${name} must be a positive number (got "${value}")`)
  return n
}
const count = Math.floor(positive('users', args.users ?? (args.million ? '1000000' : args.quick ? '10000' : '100000')))
const seconds = positive('duration', args.duration ?? (args.quick ? '3' : '10'))
const warmup = args.warmup !== undefined ? Number(args.warmup) : args.quick ? 1 : 2
const connections = Math.floor(positive('connections', args.connections))
const loginConnections = Math.floor(positive('login-connections', args['login-connections']))
const enforce = !args.quick
const log = (line: string): void => void process.stderr.write(`▸ ${line}\n`)

if (args.admin) {
  const users = Math.floor(positive('users', args.users ?? '1000000'))
  process.exit((await runAdminListing(users, log)) > 0 ? 1 : 0)
}

if (args.scale) {
  process.exit(
    await runScale({
      users: Math.floor(positive('scale-users', args['scale-users'])),
      seconds: positive('scale-duration', args['scale-duration']),
      warmupSeconds: 5,
      connections: Math.floor(positive('scale-connections', args['scale-connections'])),
      loginRate: positive('scale-login-rate', args['scale-login-rate']),
      logoutRate: positive('scale-logout-rate', args['scale-logout-rate']),
      initialTokens: 300,
      sqlite: !args['scale-skip-sqlite'],
      log,
    }),
  )
}

const started = performance.now()
const loadAtStart = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
const busyAtStart = await cpuBusy(1000)
const busy = busyAtStart > 0.2
const { tool, version } = pickTool(args.tool)
log(`load generator: ${tool} ${version}; seeding or reusing ${count.toLocaleString('en-US')} users and tokens`)
const seeded = await ensureSeeded(count, args.fresh)
log(seeded.reused ? `reused ${seeded.dbPath}` : `seeded ${seeded.dbPath} in ${seeded.seconds.toFixed(1)} s`)

// Tokens in random order, spread over the whole table; each run cycles over its own list.
const all = shuffle(readTokens(seeded.tokensPath))
const warmTokens = all.slice(0, Math.min(all.length, Math.floor(positive('warm-tokens', args['warm-tokens']))))
const coldTokens = all.slice(0, Math.min(all.length, Math.floor(positive('cold-tokens', args['cold-tokens']))))
const warmFile = join(DATA_DIR, 'run-warm-tokens.txt')
const coldFile = join(DATA_DIR, 'run-cold-tokens.txt')
writeFileSync(warmFile, warmTokens.join('\n') + '\n')
writeFileSync(coldFile, coldTokens.join('\n') + '\n')

const runs: Run[] = []
const invalid: string[] = []
const rounds = Math.floor(positive('rounds', args.rounds ?? (args.quick ? '3' : '5')))
const roundSeconds = Math.max(1, Math.ceil(seconds / rounds))
/** A load run on `server`, with the server's CPU time over it. */
const http = (server: RunningServer, spec: Omit<LoadSpec, 'seconds' | 'url'>): Runner =>
  withServerCpu(server.pid, (s) => runLoad(tool, { ...spec, url: server.url, seconds: s }))
/** The sides of one or more ratios, in alternating rounds (rounds.ts); each side joins the table of runs. */
const sides = async (labels: string[], runners: Runner[], timing = { roundSeconds, warmupSeconds: warmup }): Promise<LoadResult[]> => {
  log(`${labels.join('  vs  ')}: ${timing.warmupSeconds} s warm-up each, then ${rounds} alternating rounds of ${timing.roundSeconds} s`)
  const results = await alternateAll(runners, { rounds, ...timing })
  results.forEach((result, side) => {
    const label = labels[side]!
    runs.push({ label, result })
    if (result.failures > 0) invalid.push(`${label}: ${result.failures} failed requests (non-2xx, socket errors or timeouts)`)
  })
  return results
}
const pair = async (labels: [string, string], a: Runner, b: Runner): Promise<[LoadResult, LoadResult]> => {
  const [x, y] = await sides(labels, [a, b])
  return [x!, y!]
}
const MAP_LABEL = 'plain Fastify + Map'
const ARGON2_ROUTE_LABEL = 'plain Fastify + argon2id verify'
/** The server's default touch interval (core/settings.ts): a session's lastUsedAt is written at most this often. */
const TOUCH_INTERVAL_SECONDS = 60
/** DESIGN.md's resident-memory limit: 200 MB (decimal, as `mb()` prints). */
const MEMORY_LIMIT = 200e6

// 1. Warm cache: the principal cache holds every token of the run; logins on the same server.
// Used at random over the last touch interval: their lastUsedAt writes run at the steady rate.
await prepareForRun(seeded.dbPath, warmTokens, TOUCH_INTERVAL_SECONDS)
const warmCache = Math.max(100_000, warmTokens.length)
const jwtFile = join(DATA_DIR, 'run-warm-jwts.txt')
const warm = await startBenchServer(seeded.databaseUrl, warmCache, {
  BENCH_JWT_FROM: warmFile,
  BENCH_JWT_TO: jwtFile,
  BENCH_MAP_FROM: warmFile,
  BENCH_LOGIN_PASSWORD: BENCH_PASSWORD,
})
log(`warm server pid ${warm.pid} at ${warm.url} (TOKEN_CACHE_SIZE=${warmCache}); pre-warming ${warmTokens.length} tokens and their JWTs`)
const jwts = readTokens(jwtFile)
const refused = (await prewarm(`${warm.url}/bench/private`, warmTokens, connections)) + (await prewarm(`${warm.url}/bench/private`, jwts, connections))
if (refused > 0) throw new Error(`bench: ${refused} seeded tokens or their JWTs were refused while pre-warming; reseed with --fresh`)
// Three sides in the same rounds: no auth, Tessera, and the baseline (plain Fastify + a Map of the tokens).
const [warmOpen, warmPrivate, warmMap] = (await sides(
  [
    'warm server · GET /bench/open (no auth)',
    `warm server · GET /bench/private (${short(warmTokens.length)} tokens, cached)`,
    `warm server · GET /bench/map (${MAP_LABEL}, same tokens)`,
  ],
  [
    http(warm, { path: '/bench/open', tokensFile: warmFile, connections }),
    http(warm, { path: '/bench/private', tokensFile: warmFile, connections }),
    http(warm, { path: '/bench/map', tokensFile: warmFile, connections }),
  ],
)) as [LoadResult, LoadResult, LoadResult]
// 1b. The same requests carrying access JWTs (signature checks cached, sessions checked in the cache).
const [jwtOpen, jwtPrivate, jwtMap] = (await sides(
  [
    'warm server · GET /bench/open (no auth)',
    `warm server · GET /bench/private (${short(warmTokens.length)} access JWTs)`,
    `warm server · GET /bench/map (${MAP_LABEL}, same JWTs)`,
  ],
  [
    http(warm, { path: '/bench/open', tokensFile: jwtFile, connections }),
    http(warm, { path: '/bench/private', tokensFile: jwtFile, connections }),
    http(warm, { path: '/bench/map', tokensFile: jwtFile, connections }),
  ],
)) as [LoadResult, LoadResult, LoadResult]
// 2. Logins against raw argon2id in its own process (the server idles meanwhile), as many in flight.
// Both sides finish in waves of `loginConnections` hashes (~0.2 s each on two cores), so a round
// of a few seconds counts a whole wave more or less (±8 % at 2 s): login rounds are twice as long.
// The server has run the GET routes hot, not the login's: its warm-up is three times as long, so
// the figure is the steady state of a server in use, as the raw side's is.
// A third side, plain Fastify verifying the same bodies' passwords, is the most any login route
// on this server can reach.
const loginTiming = { roundSeconds: roundSeconds * 2, warmupSeconds: warmup * 3 }
const loginBody = { users: count, password: BENCH_PASSWORD }
const [logins, argon2, argon2Route] = (await sides(
  [
    `warm server · POST /auth/login (${short(count)} users)`,
    `raw argon2id, own process (${loginConnections} in flight)`,
    `warm server · POST /bench/argon2 (${ARGON2_ROUTE_LABEL})`,
  ],
  [
    http(warm, { path: '/auth/login', login: loginBody, connections: loginConnections }),
    (s) => runArgon2Raw(loginConnections, s),
    http(warm, { path: '/bench/argon2', login: loginBody, connections: loginConnections }),
  ],
  loginTiming,
)) as [LoadResult, LoadResult, LoadResult]
const warmMemory = memoryOf(warm.pid)
await warm.stop()

// 3. Cold: no principal cache (TOKEN_CACHE_SIZE=0), so every request reads SQLite.
const { removed } = await prepareForRun(seeded.dbPath, coldTokens)
const readBytes = readThrough(seeded.dbPath)
const cold = await startBenchServer(seeded.databaseUrl, 0)
log(`cold server pid ${cold.pid} at ${cold.url} (TOKEN_CACHE_SIZE=0)`)
const [coldOpen, coldPrivate] = await pair(
  ['cold server · GET /bench/open (no auth)', `cold server · GET /bench/private (${short(coldTokens.length)} tokens, SQLite)`],
  http(cold, { path: '/bench/open', tokensFile: coldFile, connections }),
  http(cold, { path: '/bench/private', tokensFile: coldFile, connections }),
)
const coldMemory = memoryOf(cold.pid)
await cold.stop()

const million = count >= 1_000_000
const figures: Figure[] = [
  ratioFigure('opaque token, warm cache ÷ unauthenticated', warmPrivate, warmOpen, 'req/s', 0.85, enforce),
  ratioFigure(`  baseline: ${MAP_LABEL} ÷ unauthenticated`, warmMap, warmOpen, 'req/s', null, false),
  ratioFigure(`  opaque token, warm cache ÷ ${MAP_LABEL} (the physical limit)`, warmPrivate, warmMap, 'req/s', null, false),
  ratioFigure('access JWT, warm cache ÷ unauthenticated', jwtPrivate, jwtOpen, 'req/s', 0.8, enforce),
  ratioFigure(`  baseline: ${MAP_LABEL} ÷ unauthenticated (JWTs)`, jwtMap, jwtOpen, 'req/s', null, false),
  ratioFigure(`  access JWT, warm cache ÷ ${MAP_LABEL} (the physical limit)`, jwtPrivate, jwtMap, 'req/s', null, false),
  ratioFigure(
    `opaque token, cold cache, ${short(count)} tokens in SQLite ÷ unauthenticated`, coldPrivate, coldOpen, 'req/s', 0.45, enforce,
    million ? undefined : "DESIGN.md's figure is at 1 M tokens: npm run bench -- --million",
  ),
  ratioFigure('logins/s ÷ raw argon2id hashes/s', logins, argon2, '/s', 0.9, enforce),
  ratioFigure(`  baseline: ${ARGON2_ROUTE_LABEL} ÷ raw argon2id`, argon2Route, argon2, '/s', null, false),
  ratioFigure(`  logins ÷ ${ARGON2_ROUTE_LABEL} (the physical limit)`, logins, argon2Route, '/s', null, false),
  memoryFigure(
    `server memory after the cold run, ${short(count)} users + ${short(count)} tokens`, coldMemory.rss, coldMemory.peak, MEMORY_LIMIT,
    enforce && million, million ? undefined : 'enforced only with --million (1 M users and tokens)',
  ),
  memoryFigure(
    `server memory after logins (warm server, cache ≤ ${short(warmCache)})`, warmMemory.rss, warmMemory.peak, MEMORY_LIMIT, false,
    'not enforced: for information, the state of a server in use (argon2id takes 19 MiB per hash in flight)',
  ),
]
const elapsed = (performance.now() - started) / 1000
const missed = printReport(
  [
    `Tessera bench · ${count.toLocaleString('en-US')} users, ${count.toLocaleString('en-US')} tokens (SQLite${seeded.reused ? ', reused' : ', seeded now'})` +
      ` · node ${process.version} · ${availableParallelism()} CPUs`,
    `load: ${tool} ${version}, ${tool === 'wrk' ? '-t1 ' : ''}-c${connections} for GETs, -c${loginConnections} for logins` +
      ` · each side ${rounds} × ${roundSeconds} s after ${warmup} s warm-up (logins ${rounds} × ${loginTiming.roundSeconds} s after ${loginTiming.warmupSeconds} s)`,
    ...(args.quick ? ['--quick: a smoke run; nothing is enforced'] : []),
  ],
  figures,
  runs,
  [
    `raw argon2id: @node-rs/argon2 hash() at ARGON2_PARAMS, ${loginConnections} in flight on a libuv pool of ${THREADPOOL_SIZE} threads (the size \`npm start\` gives the server, which runs on one as large; UV_THREADPOOL_SIZE overrides both), in a process of its own while the server idles; its latency is per hash`,
    `${ARGON2_ROUTE_LABEL}: POST /bench/argon2 on the same server, the logins' bodies, each password verified against one hash at ARGON2_PARAMS (no user lookup, session, audit or store), in the same rounds: logins ÷ it is how close Tessera's login comes to the least an HTTP login on this server costs`,
    `lastUsedAt is written at most once a minute per session, in batches: the warm run's sessions were marked used at random over the last minute, so their writes come at the steady rate (${short(warmTokens.length)} ÷ 60 s) throughout the warm runs; the cold run's were marked used just before its server started, so its runs (under a minute) measure the read alone, as DESIGN.md's SQLite reference does; ${removed} login sessions were removed afterwards`,
    `the database file (${(readBytes / 2 ** 20).toFixed(0)} MiB) was read through once before the cold server started, so the cold run reads SQLite from the OS page cache, as a server in use does, not from the disk`,
    `${tool === 'wrk' ? 'one client thread (wrk -t1): the server needs the other core; ' : ''}both routes get identical requests (same token header), so a ratio is the server's authentication cost`,
    `${MAP_LABEL}: GET /bench/map on the same server, an onRequest hook looking the header's token up in a Map of the run's tokens (no hashing, expiry or store), run in the same rounds as the other two sides; Tessera ÷ it is how close Tessera comes to the least any token check costs`,
    `access JWTs: every JWT of the run was verified once before the measured runs (pre-warm), so the figure measures the warm path (signature check cached by token string)`,
    `each ratio's two sides ran in ${rounds} alternating rounds (A B, B A, …) so other load on the machine falls on both; before the start, other processes kept the CPUs ${pct(busyAtStart)} busy (load average ${loadAtStart})`,
    ...(busy ? [`WARNING: other processes kept the CPUs ${pct(busyAtStart)} busy just before the bench: they compete for the cores and the rounds scatter; rerun on a quiet machine before trusting a figure`] : []),
    `whole bench: ${elapsed.toFixed(0)} s${seeded.reused ? '' : ` (seeding ${seeded.seconds.toFixed(0)} s)`}`,
  ],
)
if (invalid.length > 0) {
  process.stderr.write(`\nbench: invalid measurement(s):\n${invalid.map((line) => `  ${line}`).join('\n')}\n`)
  process.exit(2)
}
process.exit(missed.length > 0 ? 1 : 0)

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[items[i], items[j]] = [items[j]!, items[i]!]
  }
  return items
}

function pct(share: number): string {
  return `${Math.round(share * 100)}%`
}

function short(n: number): string {
  return n >= 1_000_000 ? `${n / 1_000_000} M` : n >= 1000 ? `${n / 1000} k` : String(n)
}
