import { execFile, execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { DATA_DIR } from './dist.js'
import { benchEmail } from './seed.js'

export type Tool = 'wrk' | 'autocannon'

/** One load run: every request carries a token (or a login body) picked in turn from a list. */
export interface LoadSpec {
  url: string
  path: string
  connections: number
  seconds: number
  /** GET with `Authorization: Token <t>`, cycling over the file's tokens (one per line). */
  tokensFile?: string
  /** POST a JSON login of user 1…users in turn, all with `password`. */
  login?: { users: number; password: string }
}

export interface LoadResult {
  /** Completed requests (any status) per second. */
  rps: number
  requests: number
  seconds: number
  p50Ms: number
  p99Ms: number
  /** Non-2xx answers, socket errors and timeouts: any of them makes the run invalid. */
  failures: number
  /** Rate of each round, when the result sums several (see rounds.ts). */
  roundRates?: number[]
  /**
   * CPU time the serving process spent meanwhile, all its threads (ms), when measured: unlike a
   * rate, it hardly moves with other load on the machine, so per request it shows what a change
   * saved even when the rates of a noisy run do not.
   */
  serverCpuMs?: number
}

/** wrk when it is on PATH (its client costs far less CPU than autocannon's), else autocannon. */
export function pickTool(wanted: string | undefined): { tool: Tool; version: string } {
  if (wanted !== undefined && wanted !== 'wrk' && wanted !== 'autocannon') throw new Error(`bench: --tool must be wrk or autocannon`)
  if (wanted !== 'autocannon') {
    try {
      const out = execFileSync('wrk', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
      return { tool: 'wrk', version: /wrk\s+(\S+)/.exec(out)?.[1] ?? '?' }
    } catch (error) {
      // wrk --version prints its usage and exits 1; only a missing binary means it is absent.
      const out = String((error as { stdout?: unknown }).stdout ?? '')
      if (/^wrk /m.test(out)) return { tool: 'wrk', version: /wrk\s+(\S+)/.exec(out)?.[1] ?? '?' }
      if (wanted === 'wrk') throw new Error('bench: --tool wrk, but wrk is not on PATH (apt-get install -y wrk)')
    }
  }
  const require = createRequire(import.meta.url)
  return { tool: 'autocannon', version: (require('autocannon/package.json') as { version: string }).version }
}

/** Runs `spec` once with `tool`. */
export function runLoad(tool: Tool, spec: LoadSpec): Promise<LoadResult> {
  return tool === 'wrk' ? runWrk(spec) : runAutocannon(spec)
}

const WRK_SCRIPT = `
local mode, path, items, n, i, password = nil, nil, {}, 0, 0, nil
function init(args)
  mode, path = args[1], args[2]
  if mode == "tokens" then
    for line in io.lines(args[3]) do n = n + 1; items[n] = line end
  else
    n, password = tonumber(args[3]), args[4]
  end
  math.randomseed(os.time())
  i = math.random(n) - 1
end
function request()
  i = i % n + 1
  if mode == "tokens" then
    return wrk.format("GET", path, { ["Authorization"] = "Token " .. items[i] })
  end
  return wrk.format("POST", path, { ["Content-Type"] = "application/json" },
    '{"email":"user' .. i .. '@bench.test","password":"' .. password .. '","device":"bench-login"}')
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH_RESULT %d %d %d %d %d\\n", summary.requests, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout, latency:percentile(50), latency:percentile(99)))
end
`
const execFileAsync = promisify(execFile)

async function runWrk(spec: LoadSpec): Promise<LoadResult> {
  const script = join(DATA_DIR, 'bench.lua')
  writeFileSync(script, WRK_SCRIPT)
  const args = spec.login
    ? ['login', spec.path, String(spec.login.users), spec.login.password]
    : ['tokens', spec.path, spec.tokensFile ?? missing('tokensFile')]
  // One client thread (-t1): on two cores the server needs the other one.
  const { stdout } = await execFileAsync(
    'wrk',
    ['-t1', `-c${spec.connections}`, `-d${spec.seconds}s`, '--timeout', '10s', '-s', script, spec.url, '--', ...args],
    { maxBuffer: 1 << 20 },
  )
  const fields = /BENCH_RESULT (\d+) (\d+) (\d+) (\d+) (\d+)/.exec(stdout)
  if (!fields) throw new Error(`bench: wrk printed no result:\n${stdout}`)
  const [requests, durationUs, failures, p50Us, p99Us] = fields.slice(1).map(Number) as [number, number, number, number, number]
  const seconds = durationUs / 1e6
  return { rps: requests / seconds, requests, seconds, p50Ms: p50Us / 1000, p99Ms: p99Us / 1000, failures }
}

interface AutocannonResult {
  duration: number
  errors: number
  timeouts: number
  non2xx: number
  latency: { p50: number; p99: number; totalCount: number }
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>

async function runAutocannon(spec: LoadSpec): Promise<LoadResult> {
  const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon
  const { login } = spec
  const tokens = login ? [] : readFileSync(spec.tokensFile ?? missing('tokensFile'), 'utf8').split('\n').filter(Boolean)
  const n = login ? login.users : tokens.length
  let i = Math.floor(Math.random() * n)
  const setupRequest = (request: Record<string, unknown>): Record<string, unknown> => {
    i = (i % n) + 1
    if (!login) return { ...request, headers: { authorization: `Token ${tokens[i - 1]}` } }
    const body = JSON.stringify({ email: benchEmail(i), password: login.password, device: 'bench-login' })
    return { ...request, headers: { 'content-type': 'application/json' }, body }
  }
  const result = await autocannon({
    url: spec.url + spec.path,
    method: login ? 'POST' : 'GET',
    connections: spec.connections,
    duration: spec.seconds,
    timeout: 10,
    requests: [{ setupRequest }],
  })
  const requests = result.latency.totalCount
  return {
    rps: requests / result.duration,
    requests,
    seconds: result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    failures: result.errors + result.timeouts + result.non2xx,
  }
}

function missing(what: string): never {
  throw new Error(`bench: load spec needs ${what}`)
}
