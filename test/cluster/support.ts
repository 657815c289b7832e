export { bundleCli } from '../support/cli-bundle.js'
import { spawn, type ChildProcess } from 'node:child_process'
import { request } from 'node:http'
import { connect } from 'node:net'
import { freePort } from '../support/child-server.js'

/*
 * `tessera serve` as a real process tree, for the tests of signals, draining and workers. The CLI
 * is bundled once per test file with esbuild, as test/cli does (dist/ is shared with other test
 * files building at the same time); cluster workers re-run the same bundle.
 */



/** A running `tessera serve` and what it printed. */
export interface Served {
  port: number
  child: ChildProcess
  output(): string
  /** Resolves with how the process ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Resolves once the output matches `pattern` `count` times; rejects after `timeoutMs` or if it exits. */
  waitFor(pattern: RegExp, count?: number, timeoutMs?: number): Promise<void>
}

/** Starts `node <cli> serve …args` on a free port with `env` (only PATH and HOME inherited). */
export async function serve(cli: string, args: string[], env: Record<string, string>, cwd: string): Promise<Served> {
  const port = await freePort()
  const child = spawn(process.execPath, [cli, 'serve', ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? cwd, HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const listeners = new Set<() => void>()
  const append = (chunk: Buffer): void => {
    output += chunk.toString()
    for (const listener of listeners) listener()
  }
  child.stdout!.on('data', append)
  child.stderr!.on('data', append)
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      for (const listener of listeners) listener()
      resolve({ code, signal })
    }),
  )
  const waitFor = (pattern: RegExp, count = 1, timeoutMs = 20_000): Promise<void> =>
    new Promise((resolve, reject) => {
      const global = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`)
      const check = (): void => {
        if ((output.match(global)?.length ?? 0) >= count) done(resolve)
        else if (child.exitCode !== null || child.signalCode !== null) done(() => reject(new Error(`exited before ${pattern} ×${count}:\n${output}`)))
      }
      const timer = setTimeout(() => done(() => reject(new Error(`no ${pattern} ×${count} within ${timeoutMs} ms:\n${output}`))), timeoutMs)
      const done = (then: () => void): void => {
        clearTimeout(timer)
        listeners.delete(check)
        then()
      }
      listeners.add(check)
      check()
    })
  return { port, child, output: () => output, exited, waitFor }
}

/** The status and body of one HTTP exchange. */
export interface Exchange {
  status: number
  body: string
}

/** Sends one request on a fresh connection (no keep-alive pool, so nothing is reused while the server closes). */
export function send(port: number, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const req = request(
      { host: '127.0.0.1', port, method, path, agent: false, headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...headers } },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (text += chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(payload)
  })
}

/**
 * Whether a TCP connection to the port is accepted right now. False on ECONNREFUSED, and on
 * ECONNRESET: a cluster's primary accepts connections itself and hands them to workers, so one that
 * arrives while the last worker stops listening is reset rather than refused; neither is served.
 */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNREFUSED' || error.code === 'ECONNRESET' ? resolve(false) : reject(error)))
  })
}

/** Polls until the port refuses connections; resolves with `performance.now()` at the first refusal. */
export async function whenRefused(port: number, timeoutMs = 5_000): Promise<number> {
  const deadline = performance.now() + timeoutMs
  while (performance.now() < deadline) {
    if (!(await accepts(port))) return performance.now()
    await new Promise((wait) => setTimeout(wait, 5))
  }
  throw new Error(`port ${port} still accepted connections ${timeoutMs} ms later`)
}

/** A password every validator accepts. */
export const PASSWORD = 'correct horse battery staple 42'

/** A request whose body is held back: in flight on the server until `finish()` sends the rest. */
export interface HeldRequest {
  /** Sends the rest of the body; resolves with the status and body of the answer. */
  finish(): Promise<{ status: number; body: string }>
  /** True once any byte of an answer arrived. */
  answered(): boolean
  destroy(): void
}

/** Sends a JSON request's headers and the first half of its body, and holds the rest back. */
export function holdRequest(port: number, method: string, path: string, body: unknown): HeldRequest {
  const payload = Buffer.from(JSON.stringify(body))
  const half = Math.floor(payload.length / 2)
  const socket = connect(port, '127.0.0.1')
  let received = ''
  const ended = new Promise<string>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()))
    socket.on('end', () => resolve(received))
    socket.on('error', reject)
  })
  socket.write(
    `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${payload.length}\r\nConnection: close\r\n\r\n`,
  )
  socket.write(payload.subarray(0, half))
  return {
    async finish() {
      socket.write(payload.subarray(half))
      const text = await ended
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)
      return { status, body: text.slice(text.indexOf('\r\n\r\n') + 4) }
    },
    answered: () => received.length > 0,
    destroy: () => socket.destroy(),
  }
}
