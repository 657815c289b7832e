import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { availableParallelism } from 'node:os'
import { BENCH_OUT, loadThreadpool } from './dist.js'
import type { LoadResult } from './load.js'
import type { Runner } from './rounds.js'

/** A bench server running in its own process. */
export interface RunningServer {
  url: string
  pid: number
  stop(): Promise<void>
}

const children = new Set<ChildProcess>()
// A bench that fails half-way must not leave a server holding a core.
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})

// The pool `npm start` gives the server (config/threadpool.cts), for the bench server and raw
// argon2id alike: both sides of the login figure hash on pools of one size.
const { defaultThreadpoolSize } = await loadThreadpool()
/** The libuv pool size of every child: UV_THREADPOOL_SIZE when set, else the server's own default. */
export const THREADPOOL_SIZE = process.env.UV_THREADPOOL_SIZE?.trim() || String(defaultThreadpoolSize(availableParallelism()))

/** The environment of a child: a clean one, so a developer's shell or .env cannot skew a run. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', UV_THREADPOOL_SIZE: THREADPOOL_SIZE }
  return { ...env, ...extra }
}

/** Starts `bench-server.js` on `databaseUrl` with a principal cache of `cacheSize` (0: none). */
export async function startBenchServer(databaseUrl: string, cacheSize: number, extra: Record<string, string> = {}): Promise<RunningServer> {
  const env = childEnv({
    ...extra,
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: databaseUrl,
    TOKEN_CACHE_SIZE: String(cacheSize),
    // Throttles would turn a login benchmark into a 429 benchmark.
    LOGIN_THROTTLE: 'off',
    ANON_THROTTLE: 'off',
    LOG_LEVEL: 'warn',
  })
  const child = spawn(process.execPath, [join(BENCH_OUT, 'bench-server.js')], { env, stdio: ['ignore', 'pipe', 'inherit'] })
  children.add(child)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const lines = createInterface({ input: child.stdout! })
  const ready = await new Promise<{ url: string; pid: number }>((resolve, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`bench: server exited before listening (${signal ?? code})`)))
    lines.once('line', (line) => {
      try {
        resolve(JSON.parse(line) as { url: string; pid: number })
      } catch {
        reject(new Error(`bench: unexpected server output: ${line}`))
      }
    })
  })
  return {
    ...ready,
    async stop() {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
      children.delete(child)
    },
  }
}

// Clock ticks a second, the unit of /proc/<pid>/stat's CPU times.
const CLOCK_TICKS = ((): number => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()

/** CPU time (user + system) a process has used so far, all its threads, in ms (Linux: /proc/<pid>/stat). */
export function cpuMsOf(pid: number): number {
  // The command name may hold spaces and parentheses: the fields start after its last ")".
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS
}

/** `run`, with the CPU time the server `pid` spent meanwhile. */
export function withServerCpu(pid: number, run: Runner): Runner {
  return async (seconds) => {
    const before = cpuMsOf(pid)
    const result = await run(seconds)
    return { ...result, serverCpuMs: cpuMsOf(pid) - before }
  }
}

/** Resident and peak resident memory of a process, in bytes (Linux: /proc/<pid>/status). */
export function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN)
  return { rss: kib('VmRSS') * 1024, peak: kib('VmHWM') * 1024 }
}

/** The share of all CPUs' time spent busy over the next `ms` milliseconds (Linux: /proc/stat). */
export async function cpuBusy(ms: number): Promise<number> {
  const sample = (): number[] => readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number)
  const before = sample()
  await new Promise((resolve) => setTimeout(resolve, ms))
  const delta = sample().map((value, i) => value - (before[i] ?? 0))
  const total = delta.reduce((sum, value) => sum + value, 0)
  // Fields: user nice system idle iowait irq softirq steal …; idle and iowait are not busy.
  return total > 0 ? 1 - ((delta[3] ?? 0) + (delta[4] ?? 0)) / total : 0
}

/** Raw argon2id hashes in a process of its own (see argon2-raw.ts), as a run of `hashes` requests. */
export async function runArgon2Raw(concurrency: number, seconds: number): Promise<LoadResult> {
  const child = spawn(process.execPath, [join(BENCH_OUT, 'argon2-raw.js'), String(concurrency), String(seconds)], {
    env: childEnv({}),
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  children.add(child)
  let out = ''
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()))
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  children.delete(child)
  if (code !== 0) throw new Error(`bench: argon2-raw exited with ${code}`)
  const { hashes, seconds: measured, p50Ms, p99Ms, cpuMs } = JSON.parse(out) as { hashes: number; seconds: number; p50Ms: number; p99Ms: number; cpuMs: number }
  return { rps: hashes / measured, requests: hashes, seconds: measured, p50Ms, p99Ms, failures: 0, serverCpuMs: cpuMs }
}

/** Sends every token once (`concurrency` at a time) and returns how many were not answered 200. */
export async function prewarm(url: string, tokens: readonly string[], concurrency: number): Promise<number> {
  let next = 0
  let refused = 0
  const worker = async (): Promise<void> => {
    while (next < tokens.length) {
      const token = tokens[next++]!
      const response = await fetch(url, { headers: { authorization: `Token ${token}` } })
      await response.arrayBuffer()
      if (response.status !== 200) refused++
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return refused
}
