/**
 * `node --expose-gc dist-bench/bench/cache-memory.js [entries]`: the heap a full principal cache
 * takes per cached session, with what a warm request leaves on its entry (the user, the hash key,
 * the indexes by session and by user, the cached answer). Prints one line; run it before and after
 * a change to the cache's entries.
 */
import { randomUUID } from 'node:crypto'
import type { CachedSession } from '../src/core/principal.js'
import { loadPrincipalCache, loadTokens } from './dist.js'

const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('bench: run with node --expose-gc')
const entries = Number(process.argv[2] ?? 100_000)
if (!Number.isInteger(entries) || entries < 1) throw new Error('bench: entries must be a whole number ≥ 1')
const [{ createLruPrincipalCache }, { hashSecret }] = await Promise.all([loadPrincipalCache(), loadTokens()])

gc()
const before = process.memoryUsage().heapUsed
const cache = createLruPrincipalCache(entries)
const now = Date.now()
for (let i = 0; i < entries; i++) {
  const user = { id: i + 1, email: `user${i}@bench.test`, username: `user${i}`, isActive: true, isStaff: false, isSuperuser: false, emailVerified: true }
  const entry: CachedSession = { user, sessionId: randomUUID(), createdAt: now, persistedLastUsedAt: now }
  const key = hashSecret(`tsr_${i}`)
  cache.set(key, entry, cache.generation())
  // What the first warm request leaves: the answer, and until when it holds.
  entry.check = { ok: true, principal: { user, sessionId: entry.sessionId, expiresAt: new Date(now + 60_000) } }
  entry.freshUntil = now + 60_000
}
gc()
const bytes = (process.memoryUsage().heapUsed - before) / entries
process.stdout.write(`${bytes.toFixed(0)} bytes of heap per cached session (${entries.toLocaleString('en-US')} entries; user, hash key, indexes and answer included)\n`)
// Read after the measurement, so the cache is alive through it.
if (cache.get(hashSecret('tsr_0')) === undefined) throw new Error('bench: the cache lost its first entry')
