/**
 * Replays the golden transcripts recorded from the real djoser and Simple JWT
 * (test/fixtures/django-clients/transcripts.json, format at the top of
 * scripts/django-clients/record.py) against a Tessera server, and asserts each answer.
 *
 * @example
 * const mailer = createMemoryMailer()
 * const server = await makeServer({ PROFILES: 'djoser,drf' }, { mailer })
 * const replay = createReplay(server, { mailer })
 * for (const exchange of exchangesOf('djoser')) await replay.run(exchange)
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { LightMyRequestResponse } from 'fastify'
import { expect } from 'vitest'
import { encodeUid } from '../../src/core/django-uid.js'
import type { MailMessage } from '../../src/core/mailer.js'
import type { TesseraServer } from '../../src/http/server.js'

/** One recorded request and the answer the real package gave. */
export interface Exchange {
  package: 'djoser' | 'simplejwt'
  name: string
  request: {
    method: string
    path: string
    headers: Record<string, string>
    contentType: string | null
    body: unknown
    rawBody?: string
  }
  response: {
    status: number
    headers: Record<string, string>
    body: unknown
  }
  /** variable name → dot-separated path in the response body */
  captures?: Record<string, string>
  mail?: Array<{ from: string; to: string[]; subject: string; body: string; html: string | null; uidVar?: string; tokenVar?: string }>
}

/** A user the recording created before the first exchange. */
export interface TranscriptUser {
  username: string
  email: string
  password: string
  isActive: boolean
  uidVar: string
  uid: string
}

/** The whole transcript file. */
export interface Transcript {
  madeBy: string
  versions: Record<string, string>
  host: string
  jwt: Record<string, unknown>
  users: TranscriptUser[]
  exchanges: Exchange[]
}

const FILE = fileURLToPath(new URL('../fixtures/django-clients/transcripts.json', import.meta.url))
let cached: Transcript | null = null

/** The parsed transcript file (read once). Treat it as read-only. */
export function loadTranscript(): Transcript {
  cached ??= JSON.parse(readFileSync(FILE, 'utf8')) as Transcript
  return cached
}

/** The exchanges of one package, in recorded order. */
export function exchangesOf(pkg: Exchange['package']): Exchange[] {
  return loadTranscript().exchanges.filter((exchange) => exchange.package === pkg)
}

/** What `createReplay` accepts. */
export interface ReplayOptions {
  /** The memory mailer the server was built with; needed for exchanges that send mail. */
  mailer?: { sent: MailMessage[] }
  /**
   * Link templates a mail's uid and token are read from (`{uid}`, `{token}`), matched anywhere in
   * the mail's text. @default the PASSWORD_RESET_CONFIRM_URL and ACTIVATION_URL defaults
   */
  linkTemplates?: string[]
  /** Rewrites a recorded path (e.g. `/auth/` → `/api/v1/auth/`). @default unchanged */
  mapPath?: (path: string) => string
  /** Create the transcript's `users[]` with the core before the first exchange. @default true */
  createUsers?: boolean
  /** How long to wait for a mail sent in the background. @default 3000 ms */
  mailTimeoutMs?: number
}

/** What `run` accepts for one exchange. */
export interface RunOptions {
  /**
   * Replaces the recorded response check (status, headers and body) for a documented deviation;
   * captures are still read from the body where their paths exist.
   */
  expect?: (response: LightMyRequestResponse) => void
}

/** A replay in progress: the variables captured so far, and the means to run the next exchange. */
export interface Replay {
  /** Captured values (`aliceToken`, `resetUid`, …) and the users' uid variables. */
  vars: Map<string, string>
  /** The ids of the users created from `users[]`, by username (after `ready()`). */
  userIds: Map<string, number>
  /** Creates the transcript's users (done by the first `run` if not called). */
  ready(): Promise<void>
  /** Sends the exchange's request and asserts the answer against the recording. */
  run(exchange: Exchange, options?: RunOptions): Promise<LightMyRequestResponse>
  /** Substitutes `{{var}}` in a string, list or object with the captured values. */
  fill<T>(value: T): T
}

const VAR = /\{\{(\w+)\}\}/g
const WHOLE_VAR = /^\{\{(\w+)\}\}$/
const DEFAULT_LINKS = ['password/reset/confirm/{uid}/{token}', 'activate/{uid}/{token}']

/** Starts a replay against `server`; state (variables) carries over from one exchange to the next. */
export function createReplay(server: Pick<TesseraServer, 'app' | 'tessera'>, options: ReplayOptions = {}): Replay {
  const vars = new Map<string, string>()
  const userIds = new Map<string, number>()
  const mapPath = options.mapPath ?? ((path: string) => path)
  const links = (options.linkTemplates ?? DEFAULT_LINKS).map(linkPattern)
  let readying: Promise<void> | null = null

  const ready = (): Promise<void> =>
    (readying ??= (async () => {
      if (options.createUsers === false) return
      for (const user of loadTranscript().users) {
        const created = await server.tessera.createUser({ email: user.email, username: user.username, password: user.password })
        if (!user.isActive) await server.tessera.setUserActive(created.id, false)
        userIds.set(user.username, created.id)
        vars.set(user.uidVar, encodeUid(created.id))
      }
    })())

  const fill = <T>(value: T): T => fillWith(value, vars)

  async function run(exchange: Exchange, runOptions: RunOptions = {}): Promise<LightMyRequestResponse> {
    await ready()
    const { request, response: recorded } = exchange
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = fill(value)
    let payload: string | undefined
    if (request.rawBody !== undefined) payload = request.rawBody
    else if (request.body !== null && request.body !== undefined) {
      const body = fill(request.body)
      payload =
        request.contentType === 'application/x-www-form-urlencoded'
          ? new URLSearchParams(Object.entries(body as Record<string, unknown>).map(([k, v]): [string, string] => [k, String(v)])).toString()
          : JSON.stringify(body)
    }
    if (request.contentType && payload !== undefined) headers['content-type'] = request.contentType
    const mailsBefore = options.mailer?.sent.length ?? 0
    const response = await server.app.inject({
      method: request.method as 'GET',
      url: mapPath(fill(request.path)),
      headers,
      ...(payload === undefined ? {} : { payload }),
    })
    const label = `${exchange.package}: ${exchange.name} → ${response.statusCode} ${response.body}`
    const body = parseBody(response, label)
    const captures = exchange.captures ?? {}

    if (runOptions.expect) {
      runOptions.expect(response)
      for (const [name, path] of Object.entries(captures)) {
        const value = atPath(body, path)
        if (typeof value === 'string') vars.set(name, value)
      }
    } else {
      expect(response.statusCode, label).toBe(recorded.status)
      const challenge = recorded.headers['www-authenticate']
      if (challenge !== undefined) expect(response.headers['www-authenticate'], label).toBe(challenge)
      if (recorded.body !== null) expect(String(response.headers['content-type'] ?? ''), label).toMatch(/^application\/json/)
      const captured = new Map<string, string>()
      matchBody(recorded.body, body, '', invert(captures), vars, captured, label)
      for (const [name, value] of captured) vars.set(name, value)
    }

    if (exchange.mail && exchange.mail.length > 0) {
      if (!options.mailer) throw new Error(`${exchange.name}: the exchange sends mail; pass createReplay a memory mailer`)
      const mails = await waitForMails(options.mailer, mailsBefore, exchange.mail.length, options.mailTimeoutMs ?? 3000, label)
      exchange.mail.forEach((expected, index) => {
        const mail = mails[index]!
        expect(mail.to, label).toBe(expected.to[0])
        if (!expected.uidVar || !expected.tokenVar) return
        const found = findLink(`${mail.text}\n${mail.html}`, links)
        expect(found, `${label}: no uid/token link in the mail:\n${mail.text}`).not.toBeNull()
        vars.set(expected.uidVar, found!.uid)
        vars.set(expected.tokenVar, found!.token)
      })
    }
    return response
  }

  return { vars, userIds, ready, run, fill }
}

/** The response's JSON body, or null when empty; a non-JSON body fails the test. */
function parseBody(response: LightMyRequestResponse, label: string): unknown {
  if (response.body === '') return null
  try {
    return JSON.parse(response.body)
  } catch {
    throw new Error(`${label}: the body is not JSON`)
  }
}

function fillWith<T>(value: T, vars: Map<string, string>): T {
  if (typeof value === 'string') {
    return value.replace(VAR, (_, name: string) => {
      const known = vars.get(name)
      if (known === undefined) throw new Error(`transcript variable {{${name}}} was never captured`)
      return known
    }) as T
  }
  if (Array.isArray(value)) return value.map((item) => fillWith(item, vars)) as T
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fillWith(item, vars)])) as T
  }
  return value
}

function invert(captures: Record<string, string>): Map<string, string> {
  return new Map(Object.entries(captures).map(([name, path]) => [path, name]))
}

function atPath(body: unknown, path: string): unknown {
  let value = body
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined
    value = Array.isArray(value) ? value[Number(part)] : (value as Record<string, unknown>)[part]
  }
  return value
}

/**
 * Compares a recorded body with the actual one: `<jwt>` is any string with two dots, `<token>`
 * any non-empty string, `<int>` any integer, `{{x}}` at a captured path is captured, elsewhere it
 * must equal the captured value; everything else must be equal, with the same keys.
 */
function matchBody(
  expected: unknown,
  actual: unknown,
  path: string,
  capturePaths: Map<string, string>,
  vars: Map<string, string>,
  captured: Map<string, string>,
  label: string,
): void {
  const where = `${label}\n  at ${path || '(body)'}`
  if (typeof expected === 'string') {
    if (expected === '<jwt>') return void expect(actual, where).toMatch(/^[^.\s]+\.[^.\s]+\.[^.\s]+$/)
    if (expected === '<token>') return void expect(actual, where).toMatch(/^\S+$/)
    if (expected === '<int>') return void expect(Number.isInteger(actual), `${where}: ${JSON.stringify(actual)} is not an integer`).toBe(true)
    const whole = WHOLE_VAR.exec(expected)
    if (whole && capturePaths.get(path) === whole[1]) {
      expect(typeof actual === 'string' && actual !== '', `${where}: nothing to capture into ${whole[1]}`).toBe(true)
      captured.set(whole[1]!, actual as string)
      return
    }
    return void expect(actual, where).toBe(fillWith(expected, vars))
  }
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), `${where}: expected a list, got ${JSON.stringify(actual)}`).toBe(true)
    const list = actual as unknown[]
    expect(list.length, `${where}: ${JSON.stringify(list)}`).toBe(expected.length)
    expected.forEach((item, index) => matchBody(item, list[index], join(path, String(index)), capturePaths, vars, captured, label))
    return
  }
  if (expected !== null && typeof expected === 'object') {
    expect(actual !== null && typeof actual === 'object' && !Array.isArray(actual), `${where}: expected an object, got ${JSON.stringify(actual)}`).toBe(true)
    const object = actual as Record<string, unknown>
    expect(Object.keys(object).sort(), where).toEqual(Object.keys(expected).sort())
    for (const [key, item] of Object.entries(expected)) matchBody(item, object[key], join(path, key), capturePaths, vars, captured, label)
    return
  }
  expect(actual, where).toEqual(expected)
}

const join = (path: string, key: string): string => (path ? `${path}.${key}` : key)

function linkPattern(template: string): RegExp {
  const escaped = template.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return new RegExp(escaped.replace('\\{uid\\}', '([^/\\s"<>?&#]+)').replace('\\{token\\}', '([^/\\s"<>?&#]+)'))
}

function findLink(text: string, patterns: RegExp[]): { uid: string; token: string } | null {
  for (const pattern of patterns) {
    const match = pattern.exec(text)
    if (match) return { uid: decodeURIComponent(match[1]!), token: decodeURIComponent(match[2]!) }
  }
  return null
}

/** The `count` mails sent after the first `before`, polled for (mails go out in the background). */
async function waitForMails(mailer: { sent: MailMessage[] }, before: number, count: number, timeoutMs: number, label: string): Promise<MailMessage[]> {
  const deadline = Date.now() + timeoutMs
  while (mailer.sent.length < before + count) {
    if (Date.now() > deadline) throw new Error(`${label}: expected ${count} mail(s), ${mailer.sent.length - before} sent`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return mailer.sent.slice(before, before + count)
}
