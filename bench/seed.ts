import BetterSqlite3 from 'better-sqlite3'
import cliProgress from 'cli-progress'
import { once } from 'node:events'
import { closeSync, createWriteStream, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { NewUser, SessionRecord } from '../src/store/store.js'
import { DATA_DIR, loadIdentity, loadPasswords, loadStore, loadTokens } from './dist.js'

/** The password every seeded user shares (hashed once, at the server's argon2id parameters). */
export const BENCH_PASSWORD = 'bench-password-Correct-Horse-7'
/** The device of seeded sessions; anything else in the table was left by a bench login. */
export const SEED_DEVICE = 'bench-seed'
/** Bump when the seeded rows change shape, so older databases are not reused. */
const SEED_FORMAT = 1
const CHUNK = 10_000
const DAY_MS = 86_400_000
// The server's sessions die 365 days after creation (TOKEN_MAX_AGE); reseed well before that.
const MAX_REUSE_AGE_MS = 300 * DAY_MS

export interface Seeded {
  dbPath: string
  databaseUrl: string
  /** One plain token per line; line i belongs to user i + 1. */
  tokensPath: string
  users: number
  tokens: number
  reused: boolean
  seconds: number
}

interface SeedMeta {
  format: number
  users: number
  tokens: number
  seededAt: number
}

/** User `i`'s e-mail (ids start at 1); the login run builds the same strings. */
export const benchEmail = (i: number): string => `user${i}@bench.test`

/**
 * A database with `count` users and `count` live sessions (one per user), and the plain tokens in
 * a file beside it. Reused when a previous run left one with exactly these counts (the cache key),
 * unless `fresh`.
 */
export async function ensureSeeded(count: number, fresh: boolean): Promise<Seeded> {
  mkdirSync(DATA_DIR, { recursive: true })
  const dbPath = join(DATA_DIR, `tessera-${count}.db`)
  const tokensPath = join(DATA_DIR, `tokens-${count}.txt`)
  const metaPath = join(DATA_DIR, `seed-${count}.json`)
  const result = { dbPath, databaseUrl: `sqlite:${dbPath}`, tokensPath, users: count, tokens: count }
  const started = performance.now()
  if (!fresh && isReusable(metaPath, dbPath, tokensPath, count)) {
    return { ...result, reused: true, seconds: (performance.now() - started) / 1000 }
  }
  for (const path of [metaPath, tokensPath, dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) rmSync(path, { force: true })
  await seed(result.databaseUrl, tokensPath, count)
  checkpoint(dbPath)
  const meta: SeedMeta = { format: SEED_FORMAT, users: count, tokens: count, seededAt: Date.now() }
  // Written last: a seed interrupted half-way is never mistaken for a complete one.
  writeFileSync(metaPath, JSON.stringify(meta) + '\n')
  return { ...result, reused: false, seconds: (performance.now() - started) / 1000 }
}

function isReusable(metaPath: string, dbPath: string, tokensPath: string, count: number): boolean {
  if (!existsSync(metaPath) || !existsSync(dbPath) || !existsSync(tokensPath)) return false
  const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as SeedMeta
  if (meta.format !== SEED_FORMAT || meta.users !== count || meta.tokens !== count) return false
  if (Date.now() - meta.seededAt > MAX_REUSE_AGE_MS) return false
  const db = new BetterSqlite3(dbPath, { readonly: true })
  try {
    const users = db.prepare('SELECT count(*) AS n FROM users').get() as { n: number }
    const sessions = db
      .prepare('SELECT count(*) AS n FROM sessions WHERE device = ? AND revoked_at IS NULL')
      .get(SEED_DEVICE) as { n: number }
    return users.n === count && sessions.n === count
  } catch {
    return false
  } finally {
    db.close()
  }
}

async function seed(databaseUrl: string, tokensPath: string, count: number): Promise<void> {
  const [{ openStore }, { generateToken, generateSessionId }, { hashPassword }, { identityKey }] = await Promise.all([
    loadStore(),
    loadTokens(),
    loadPasswords(),
    loadIdentity(),
  ])
  const store = await openStore(databaseUrl)
  const passwordHash = await hashPassword(BENCH_PASSWORD)
  const tokens = createWriteStream(tokensPath)
  const bar = new cliProgress.SingleBar(
    { format: 'seeding  |{bar}| {percentage}% · {value}/{total} users + tokens · {duration}s (eta {eta}s)', hideCursor: true },
    cliProgress.Presets.shades_classic,
  )
  bar.start(count, 0)
  try {
    const now = new Date()
    const expiresAt = new Date(now.getTime() + 3650 * DAY_MS)
    for (let first = 1; first <= count; first += CHUNK) {
      const last = Math.min(count, first + CHUNK - 1)
      const users: NewUser[] = []
      const sessions: SessionRecord[] = []
      const lines: string[] = []
      for (let id = first; id <= last; id++) {
        const email = benchEmail(id)
        const username = `user${id}`
        users.push({
          id, email, emailKey: identityKey(email), username, usernameKey: identityKey(username), passwordHash,
          isActive: true, isStaff: false, isSuperuser: false, emailVerified: true, bio: null, image: null,
          dateJoined: now, lastLogin: null, passwordChangedAt: now,
        })
        const { token, secretHash } = generateToken()
        lines.push(token)
        sessions.push({
          id: generateSessionId(), userId: id, secretHash, device: SEED_DEVICE,
          createdAt: now, lastUsedAt: now, expiresAt, revokedAt: null,
        })
      }
      await store.insertUsers(users)
      await store.insertSessions(sessions)
      if (!tokens.write(lines.join('\n') + '\n')) await once(tokens, 'drain')
      bar.update(last)
    }
  } finally {
    bar.stop()
    tokens.end()
    await once(tokens, 'close')
    await store.close()
  }
}

/** Folds the WAL into the database file, so each server starts on a compact file. */
function checkpoint(dbPath: string): void {
  const db = new BetterSqlite3(dbPath)
  try {
    db.pragma('wal_checkpoint(TRUNCATE)')
  } finally {
    db.close()
  }
}

/**
 * Readies the database for a server start: drops sessions left by earlier bench logins, and
 * marks the sessions of `tokens` as used within the last `spreadSeconds` (0: all just now).
 *
 * A session's `lastUsedAt` is written at most once per touch interval (a minute). Seeded tokens
 * last used long ago would all be written on first use; marked used all at once, they would all
 * be written again in one burst a minute later, in the middle of some run. Spread over the touch
 * interval, their writes come at the rate a server in steady use sees (sessions ÷ interval).
 */
export async function prepareForRun(dbPath: string, tokens: readonly string[], spreadSeconds = 0): Promise<{ removed: number }> {
  const { hashSecret } = await loadTokens()
  const db = new BetterSqlite3(dbPath)
  try {
    db.pragma('busy_timeout = 5000')
    const removed = db.prepare('DELETE FROM sessions WHERE device <> ?').run(SEED_DEVICE).changes
    const touch = db.prepare('UPDATE sessions SET last_used_at = ? WHERE secret_hash = ?')
    const now = Date.now()
    db.transaction(() => {
      for (const token of tokens) touch.run(now - Math.floor(Math.random() * spreadSeconds * 1000), hashSecret(token))
    })()
    db.pragma('wal_checkpoint(TRUNCATE)')
    return { removed }
  } finally {
    db.close()
  }
}

/** The seeded tokens, in user order. */
export function readTokens(tokensPath: string): string[] {
  return readFileSync(tokensPath, 'utf8').split('\n').filter((line) => line.length > 0)
}

/**
 * Reads the database file through once, so a run starts with it in the OS page cache: "cold"
 * means Tessera's principal cache is off, not that reads go to the disk. Some hosts take guest
 * page cache back (this VM's did, a few MB a second), which would make the disk part of the
 * figure. Returns the bytes read.
 */
export function readThrough(dbPath: string): number {
  const chunk = Buffer.allocUnsafe(8 * 2 ** 20)
  let total = 0
  for (const path of [dbPath, `${dbPath}-wal`]) {
    if (!existsSync(path)) continue
    const fd = openSync(path, 'r')
    try {
      for (let read = readSync(fd, chunk); read > 0; read = readSync(fd, chunk)) total += read
    } finally {
      closeSync(fd)
    }
  }
  return total
}
