import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { resolve } from 'node:path'
import { promisify } from 'node:util'

/** The repository root, whatever the working directory of the test run. */
export const ROOT = resolve(import.meta.dirname, '../..')
/** The built CLI that `npm start` runs. */
export const CLI = resolve(ROOT, 'dist/cli/tessera.cjs')

/**
 * Compiles src/ to dist/ as `npm run build` does. tsc emits even when some file fails to type-check,
 * so a build is good enough to start the server as long as the CLI came out of it; throws otherwise.
 */
export async function buildDist(): Promise<void> {
  const tsc = resolve(ROOT, 'node_modules/typescript/bin/tsc')
  try {
    await promisify(execFile)(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT })
  } catch (error) {
    if (!existsSync(CLI)) throw new Error(`build failed and produced no ${CLI}: ${String((error as { stdout?: string }).stdout ?? error)}`)
  }
}

/** A port nothing listens on right now: the OS picks one, and it is let go at once. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      const port = typeof address === 'object' && address ? address.port : 0
      probe.close(() => resolvePort(port))
    })
  })
}

/** A server running as a child process, as `tessera serve` runs in production. */
export interface ChildServer {
  url: string
  process: ChildProcess
  /** Everything the child wrote to stdout and stderr so far. */
  output(): string
  /** SIGKILL, as a crash or the OOM killer would: no close, no checkpoint. Resolves once it has exited. */
  kill9(): Promise<void>
}

/** Starts `node dist/cli/tessera.cjs serve` (or `entry`) with `env` on a free port and waits until /healthz answers. */
export async function startChild(env: Record<string, string>, cwd: string, entry = CLI): Promise<ChildServer> {
  const port = await freePort()
  const child = spawn(process.execPath, [entry, 'serve'], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? cwd, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<void>((done) => child.once('exit', () => done()))

  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 20_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode} before it was ready:\n${output}`)
    try {
      if ((await fetch(`${url}/healthz`)).ok) break
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`server did not answer /healthz within 20 s:\n${output}`)
    }
    await new Promise((wait) => setTimeout(wait, 50))
  }
  return {
    url,
    process: child,
    output: () => output,
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
    },
  }
}

/** Sends JSON (or nothing) to a child server and returns the status and the parsed body, typed as the caller expects. */
export async function requestJson<T = Record<string, unknown>>(
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T | null }> {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await response.text()
  return { status: response.status, body: text ? (JSON.parse(text) as T) : null }
}
