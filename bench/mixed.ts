/**
 * The mixed load of `npm run bench -- --scale`: a small load driver in the bench's own process
 * (node:http keep-alive agents; no wrk or autocannon, which cannot retire a token after its
 * logout), spread over one or more servers (there is no load balancer: connection i goes to
 * server i mod n). Three kinds of traffic run at once:
 *
 * - reads: `connections` closed-loop connections, each a GET /bench/private with a token picked at
 *   random from the pool of live tokens;
 * - logins: POST /auth/login of a random seeded user at a steady rate (open loop); each new token
 *   joins the pool;
 * - logouts: POST /auth/logout at a steady rate with a token taken out of the pool (retired first,
 *   so a later read never picks it); a read that was already in flight with it may get 401, which
 *   is expected and counted apart.
 *
 * With more than one server, each logout is checked one second later on a server other than the
 * one that logged it out: the token must be refused there (revocation reaches every process).
 */
import { readFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks'
import { benchEmail } from './seed.js'

export type Kind = 'read' | 'login' | 'logout' | 'revoked'
export const KINDS: readonly Kind[] = ['read', 'login', 'logout', 'revoked']

export interface MixedSpec {
  urls: string[]
  users: number
  password: string
  /** Closed-loop read connections, spread over `urls`. */
  connections: number
  /** Logins and logouts started per second (each). */
  loginRate: number
  logoutRate: number
  /** Logins before the load, through POST /auth/login, to fill the pool of tokens. */
  initialTokens: number
  warmupSeconds: number
  seconds: number
  /** Server pids, whose CPU time is reported. */
  serverPids: number[]
}

export interface KindResult {
  count: number
  rps: number
  p50Ms: number
  p99Ms: number
  /** Answers other than the kind's expected status (and socket errors). */
  errors: number
  /** Reads answered 401 because their token was logged out meanwhile (not errors). */
  expected401: number
  /** Logins or logouts not started because 64 were already in flight. */
  skipped: number
  firstError?: string
}

export interface MixedResult {
  seconds: number
  kinds: Record<Kind, KindResult>
  totalRps: number
  errors: number
  /** CPU time ÷ wall time over the measured window, in cores. */
  clientCores: number
  serverCores: number[]
  /** Share of all CPUs busy over the window (every process on the machine). */
  machineBusy: number
  poolAtEnd: number
}

interface Answer {
  status: number
  body: string
}

const MAX_IN_FLIGHT = 64

function send(agent: Agent, url: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url + path, { agent, method, headers: body ? { ...headers, 'content-length': Buffer.byteLength(body) } : headers, timeout: 10_000 }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error('timeout after 10 s')))
    req.on('error', reject)
    req.end(body)
  })
}

const auth = (token: string): Record<string, string> => ({ authorization: `Token ${token}` })
const loginBody = (users: number, password: string): string =>
  JSON.stringify({ email: benchEmail(1 + Math.floor(Math.random() * users)), password, device: 'bench-scale' })

/** Logs in `n` users (8 at a time, over every server) and returns their tokens. */
export async function loginMany(urls: string[], users: number, password: string, n: number): Promise<string[]> {
  const agent = new Agent({ keepAlive: true })
  const tokens: string[] = []
  let next = 0
  const worker = async (w: number): Promise<void> => {
    while (next < n) {
      next++
      const answer = await send(agent, urls[w % urls.length]!, 'POST', '/auth/login', { 'content-type': 'application/json' }, loginBody(users, password))
      if (answer.status !== 200) throw new Error(`bench: an initial login was answered ${answer.status}: ${answer.body.slice(0, 200)}`)
      tokens.push((JSON.parse(answer.body) as { token: string }).token)
    }
  }
  await Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)))
  agent.destroy()
  return tokens
}

function procTicks(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return Number(fields[11]) + Number(fields[12]) // utime + stime, in clock ticks (1/100 s)
  } catch {
    return NaN
  }
}
function machineTicks(): { busy: number; total: number } {
  const values = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number)
  const total = values.reduce((sum, v) => sum + v, 0)
  return { busy: total - (values[3] ?? 0) - (values[4] ?? 0), total }
}

export async function runMixed(spec: MixedSpec): Promise<MixedResult> {
  const pool = await loginMany(spec.urls, spec.users, spec.password, spec.initialTokens)
  const retired = new Set<string>()
  const histograms = Object.fromEntries(KINDS.map((k) => [k, createHistogram()])) as Record<Kind, RecordableHistogram>
  const results = Object.fromEntries(
    KINDS.map((k) => [k, { count: 0, rps: 0, p50Ms: 0, p99Ms: 0, errors: 0, expected401: 0, skipped: 0 }]),
  ) as Record<Kind, KindResult>
  const n = spec.urls.length
  const readAgents = spec.urls.map(() => new Agent({ keepAlive: true, maxSockets: Math.ceil(spec.connections / n) }))
  const sideAgent = new Agent({ keepAlive: true })

  const t0 = performance.now()
  const measureFrom = t0 + spec.warmupSeconds * 1000
  const measureTo = measureFrom + spec.seconds * 1000
  let stopping = false
  const inWindow = (start: number): boolean => start >= measureFrom && start < measureTo
  const error = (kind: Kind, what: string): void => {
    results[kind].errors++
    results[kind].firstError ??= what
  }
  /** Times one request and checks its status; `onAnswer` may claim an unexpected status (true: not an error). */
  const timed = async (kind: Kind, expected: number, go: () => Promise<Answer>, onAnswer?: (a: Answer) => boolean): Promise<Answer | null> => {
    const start = performance.now()
    const counted = inWindow(start)
    let answer: Answer | null = null
    try {
      answer = await go()
    } catch (e) {
      if (counted) error(kind, (e as Error).message)
      return null
    }
    if (!counted) return answer
    histograms[kind].record(Math.max(1, Math.round((performance.now() - start) * 1e6)))
    results[kind].count++
    if (answer.status !== expected && !(onAnswer?.(answer) ?? false)) error(kind, `${answer.status} ${answer.body.slice(0, 120)}`)
    return answer
  }

  const reader = async (c: number): Promise<void> => {
    const server = c % n
    while (!stopping) {
      const token = pool[Math.floor(Math.random() * pool.length)]
      if (token === undefined) throw new Error('bench: the pool of tokens ran dry; lower --scale-logout-rate')
      await timed('read', 200, () => send(readAgents[server]!, spec.urls[server]!, 'GET', '/bench/private', auth(token)), (a) => {
        if (a.status === 401 && retired.has(token)) {
          results.read.expected401++
          return true
        }
        return false
      })
    }
  }

  const inFlight: Promise<unknown>[] = []
  // Logins and logouts each alternate over the servers on their own count (a shared one would send
  // every login to one server and every logout to the other).
  let loginSide = 0
  let logoutSide = 0
  const track = (p: Promise<unknown>): void => {
    inFlight.push(p)
    void p.finally(() => inFlight.splice(inFlight.indexOf(p), 1))
  }
  const login = (): void => {
    const server = loginSide++ % n
    track(
      timed('login', 200, () => send(sideAgent, spec.urls[server]!, 'POST', '/auth/login', { 'content-type': 'application/json' }, loginBody(spec.users, spec.password))).then((a) => {
        if (a?.status === 200) pool.push((JSON.parse(a.body) as { token: string }).token)
      }),
    )
  }
  const logout = (): void => {
    if (pool.length <= 20) return void results.logout.skipped++
    const token = pool.splice(Math.floor(Math.random() * pool.length), 1)[0]!
    retired.add(token)
    const server = logoutSide++ % n
    track(
      timed('logout', 204, () => send(sideAgent, spec.urls[server]!, 'POST', '/auth/logout', auth(token))).then(async (a) => {
        if (a?.status !== 204 || n < 2 || stopping) return
        await new Promise((resolve) => setTimeout(resolve, 1000))
        const other = (server + 1) % n
        await timed('revoked', 401, () => send(sideAgent, spec.urls[other]!, 'GET', '/bench/private', auth(token)))
      }),
    )
  }
  const every = (perSecond: number, kind: Kind, fire: () => void): NodeJS.Timeout | null =>
    perSecond <= 0
      ? null
      : setInterval(() => {
          if (inFlight.length >= MAX_IN_FLIGHT) {
            if (inWindow(performance.now())) results[kind].skipped++
            return
          }
          fire()
        }, 1000 / perSecond)

  let cpu0 = process.cpuUsage()
  let server0 = spec.serverPids.map(procTicks)
  let machine0 = machineTicks()
  const timers = [every(spec.loginRate, 'login', login), every(spec.logoutRate, 'logout', logout)]
  const readers = Array.from({ length: spec.connections }, (_, c) => reader(c))
  await new Promise((resolve) => setTimeout(resolve, measureFrom - performance.now()))
  cpu0 = process.cpuUsage()
  server0 = spec.serverPids.map(procTicks)
  machine0 = machineTicks()
  await new Promise((resolve) => setTimeout(resolve, measureTo - performance.now()))
  const cpu = process.cpuUsage(cpu0)
  const server1 = spec.serverPids.map(procTicks)
  const machine1 = machineTicks()
  const wall = (performance.now() - measureFrom) / 1000
  stopping = true
  for (const timer of timers) if (timer) clearInterval(timer)
  await Promise.all(readers)
  await Promise.all([...inFlight])
  for (const agent of [...readAgents, sideAgent]) agent.destroy()

  let errors = 0
  let total = 0
  for (const kind of KINDS) {
    const r = results[kind]
    const h = histograms[kind]
    r.rps = r.count / spec.seconds
    r.p50Ms = r.count > 0 ? h.percentile(50) / 1e6 : NaN
    r.p99Ms = r.count > 0 ? h.percentile(99) / 1e6 : NaN
    errors += r.errors
    if (kind !== 'revoked') total += r.count
  }
  return {
    seconds: spec.seconds,
    kinds: results,
    totalRps: total / spec.seconds,
    errors,
    clientCores: (cpu.user + cpu.system) / 1e6 / wall,
    serverCores: server1.map((t, i) => (t - server0[i]!) / 100 / wall),
    machineBusy: (machine1.busy - machine0.busy) / Math.max(1, machine1.total - machine0.total),
    poolAtEnd: pool.length,
  }
}
