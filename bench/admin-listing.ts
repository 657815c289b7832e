import cliProgress from 'cli-progress'
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { NewUser, Store, UserQuery } from '../src/store/store.js'
import { DATA_DIR, loadIdentity, loadStore } from './dist.js'

/*
 * `npm run bench -- --admin`: how long the staff listing's queries take at 1,000,000 users (the
 * admin page's users list and the Staff API run exactly these). Not a ratio: one page's latency,
 * median of several runs, on a SQLite database of its own with 1% inactive users and 0.1% staff.
 */

const CHUNK = 10_000
const RUNS = 7
/** A page slower than this is reported as slow (the page should feel instant). */
const SLOW_MS = 250

const email = (i: number): string => `user${i}@admin.test`

async function ensureDatabase(count: number, log: (line: string) => void): Promise<string> {
  mkdirSync(DATA_DIR, { recursive: true })
  const dbPath = join(DATA_DIR, `admin-${count}.db`)
  const done = `${dbPath}.complete`
  if (existsSync(dbPath) && existsSync(done)) return `sqlite:${dbPath}`
  for (const path of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`, done]) rmSync(path, { force: true })
  const [{ openStore }, { identityKey }] = await Promise.all([loadStore(), loadIdentity()])
  const store = await openStore(`sqlite:${dbPath}`)
  const bar = new cliProgress.SingleBar({ format: 'seeding users |{bar}| {value}/{total} · {duration}s (eta {eta}s)', hideCursor: true }, cliProgress.Presets.shades_classic)
  log(`seeding ${count.toLocaleString('en-US')} users into ${dbPath}`)
  bar.start(count, 0)
  const now = new Date()
  try {
    for (let first = 1; first <= count; first += CHUNK) {
      const users: NewUser[] = []
      for (let id = first; id < first + CHUNK && id <= count; id++) {
        const username = `user${id}`
        users.push({
          id, email: email(id), emailKey: identityKey(email(id)), username, usernameKey: identityKey(username),
          passwordHash: '!unusable', isActive: id % 100 !== 0, isStaff: id % 1000 === 7, isSuperuser: false,
          emailVerified: true, bio: null, image: null, dateJoined: now, lastLogin: null, passwordChangedAt: now,
        })
      }
      await store.insertUsers(users)
      bar.update(Math.min(count, first + CHUNK - 1))
    }
  } finally {
    bar.stop()
    await store.close()
  }
  writeFileSync(done, '')
  return `sqlite:${dbPath}`
}

async function median(store: Store, query: UserQuery): Promise<{ ms: number; rows: number }> {
  const times: number[] = []
  let rows = 0
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now()
    rows = (await store.listUsers(query)).length
    times.push(performance.now() - started)
  }
  times.sort((a, b) => a - b)
  return { ms: times[Math.floor(RUNS / 2)]!, rows }
}

/** Prints each listing's median latency; returns the number of pages slower than SLOW_MS. */
export async function runAdminListing(count: number, log: (line: string) => void): Promise<number> {
  const url = await ensureDatabase(count, log)
  const { openStore } = await loadStore()
  const store = await openStore(url)
  const limit = 51 // a page of 50, and one more to tell whether another follows (src/core/staff.ts)
  const cases: [string, UserQuery][] = [
    ['first page', { limit }],
    ['a page near the end (after id n − 100)', { limit, afterId: count - 100 }],
    ['inactive users (1%), first page', { limit, isActive: false }],
    ['staff (0.1%), first page', { limit, isStaff: true }],
    ['search "user12" (many matches)', { limit, q: 'user12' }],
    [`search one user's exact e-mail`, { limit, q: email(Math.floor(count * 0.77)) }],
    ['search with no match', { limit, q: 'nobody-by-this-name' }],
  ]
  let slow = 0
  try {
    process.stdout.write(`\nstaff listing at ${count.toLocaleString('en-US')} users (SQLite, median of ${RUNS}):\n`)
    for (const [label, query] of cases) {
      const { ms, rows } = await median(store, query)
      const mark = ms > SLOW_MS ? `  SLOW (> ${SLOW_MS} ms)` : ''
      if (ms > SLOW_MS) slow++
      process.stdout.write(`  ${label.padEnd(44)} ${ms.toFixed(1).padStart(8)} ms  (${rows} rows)${mark}\n`)
    }
  } finally {
    await store.close()
  }
  return slow
}
