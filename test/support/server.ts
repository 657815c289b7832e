import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { LightMyRequestResponse } from 'fastify'
import { expect } from 'vitest'
import { loadConfig } from '../../src/config/env.js'
import { buildServer, type TesseraServer } from '../../src/http/server.js'
import { testServerDatabase } from './database.js'
import type { Mailer } from '../../src/core/mailer.js'

/** A server built for one test file, and the temp folder its database lives in. */
export interface TestServer extends TesseraServer {
  /** The SQLite file, or null for `sqlite::memory:` and PostgreSQL. */
  dbPath: string | null
  /** The server's DATABASE_URL, to open the same database beside it. */
  databaseUrl: string
  /** Closes the server and removes its temp folder. */
  dispose(): Promise<void>
}

/** Environment variables a test may set on top of the defaults below. */
export type TestEnv = Record<string, string | undefined>

/**
 * Builds a server on a fresh SQLite file in a temp folder (or in memory with `{ memory: true }`),
 * or on a fresh PostgreSQL database either way under TESSERA_TEST_ENGINE=postgres (vitest.config.ts).
 * Throttles are off unless the test sets them, so that one file's failures cannot starve another's.
 */
export async function makeServer(env: TestEnv = {}, options: { memory?: boolean; mailer?: Mailer } = {}): Promise<TestServer> {
  const postgres = await testServerDatabase()
  const dir = postgres || options.memory ? null : mkdtempSync(join(tmpdir(), 'tessera-test-'))
  const dbPath = dir ? join(dir, 'tessera.db') : null
  const databaseUrl = postgres?.url ?? (dbPath ? `sqlite:${dbPath}` : 'sqlite::memory:')
  let server: TesseraServer
  try {
    const config = loadConfig({
      DATABASE_URL: databaseUrl,
      LOGIN_THROTTLE: 'off',
      ANON_THROTTLE: 'off',
      LOG_LEVEL: 'silent',
      ...env,
    })
    server = await buildServer(config, { logger: false, ...(options.mailer ? { mailer: options.mailer } : {}) })
  } catch (error) {
    await postgres?.drop()
    throw error
  }
  return {
    ...server,
    dbPath,
    databaseUrl,
    async dispose() {
      try {
        await server.close()
      } finally {
        if (dir) rmSync(dir, { recursive: true, force: true })
        await postgres?.drop()
      }
    },
  }
}

let counter = 0

/** `n` in letters (a = 0, base 26), so usernames carry no digits for a numeric password to resemble. */
const letters = (n: number): string => (n < 26 ? '' : letters(Math.floor(n / 26))) + String.fromCharCode(97 + (n % 26))

/**
 * A fresh, valid account: unique e-mail and username, and a password every validator accepts.
 * The username holds no digits: with the process id in digits, a test checking the messages for
 * a password like "12345678" also got "too similar to the username" when the pid resembled it.
 */
export function newAccount(prefix = 'user'): { email: string; username: string; password: string } {
  counter += 1
  const id = `${prefix}${letters(process.pid)}x${letters(counter)}`
  return { email: `${id}@example.com`, username: id, password: 'correct horse battery staple 42' }
}

/** What `register` hands back: the account, its token, and the parsed reply. */
export interface Registered {
  email: string
  username: string
  password: string
  token: string
  userId: number
  sessionId: string
}

/** Registers a new account through POST /auth/register and returns it with its token. */
export async function register(
  server: Pick<TesseraServer, 'app'>,
  overrides: Partial<{ email: string; username: string; password: string; device: string }> = {},
): Promise<Registered> {
  const account = { ...newAccount(), ...overrides }
  const response = await server.app.inject({ method: 'POST', url: '/auth/register', payload: account })
  if (response.statusCode !== 201) throw new Error(`register failed: ${response.statusCode} ${response.body}`)
  const body = response.json() as { token: string; user: { id: number }; session: { id: string } }
  return { ...account, token: body.token, userId: body.user.id, sessionId: body.session.id }
}

/** Logs in through POST /auth/login and returns the new token and session id. */
export async function login(
  server: Pick<TesseraServer, 'app'>,
  credentials: { email?: string; username?: string; password: string; device?: string },
): Promise<{ token: string; sessionId: string }> {
  const response = await server.app.inject({ method: 'POST', url: '/auth/login', payload: credentials })
  if (response.statusCode !== 200) throw new Error(`login failed: ${response.statusCode} ${response.body}`)
  const body = response.json() as { token: string; session: { id: string } }
  return { token: body.token, sessionId: body.session.id }
}

/** The `Authorization` header for a token, in the canonical scheme. */
export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` }
}

/** GET /auth/user with `token`; the status tells whether the token still works. */
export async function whoAmI(server: Pick<TesseraServer, 'app'>, token: string): Promise<LightMyRequestResponse> {
  return server.app.inject({ method: 'GET', url: '/auth/user', headers: bearer(token) })
}

/** Asserts an RFC 9457 problem reply with `status` and `code`, and returns its body. */
export function expectProblem(
  response: LightMyRequestResponse,
  status: number,
  code: string,
): { type: string; title: string; status: number; detail: string; code: string; errors?: Record<string, string[]> } {
  expect(response.statusCode, response.body).toBe(status)
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
  const body = response.json()
  expect(body).toMatchObject({ status, code })
  expect(typeof body.type).toBe('string')
  expect(typeof body.title).toBe('string')
  expect(typeof body.detail).toBe('string')
  return body
}

/** Asserts a canonical 401: problem+json, the code, and the Bearer challenge. */
export function expectUnauthorized(response: LightMyRequestResponse, code = 'invalid_token'): void {
  expectProblem(response, 401, code)
  expect(response.headers['www-authenticate']).toBe('Bearer realm="tessera"')
}
