import { LRUCache } from 'lru-cache'
import type { CachedSession, PrincipalCache } from '../core/principal.js'

/**
 * The in-process principal cache: an LRU keyed by secret hash, with indexes by session and by
 * user so that a revocation or a user change evicts exactly the entries it concerns.
 */
export function createLruPrincipalCache(maxEntries: number): PrincipalCache {
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new RangeError('tessera: cache size must be a positive integer')
  }
  // A session may sit under several keys: its opaque token's hash, and its id for JWTs naming it.
  const bySession = new Map<string, Set<string>>()
  const byUser = new Map<number, Set<string>>()
  let generation = 0

  const unindex = (secretHash: string, entry: CachedSession): void => {
    const keys = bySession.get(entry.sessionId)
    keys?.delete(secretHash)
    if (keys?.size === 0) bySession.delete(entry.sessionId)
    const hashes = byUser.get(entry.user.id)
    hashes?.delete(secretHash)
    if (hashes?.size === 0) byUser.delete(entry.user.id)
  }
  const lru = new LRUCache<string, CachedSession>({ max: maxEntries, dispose: (entry, key) => unindex(key, entry) })

  return {
    get: (secretHash) => lru.get(secretHash),
    generation: () => generation,
    set(secretHash, entry, generationAtRead) {
      if (generationAtRead !== generation) return
      lru.set(secretHash, entry)
      let keys = bySession.get(entry.sessionId)
      if (!keys) bySession.set(entry.sessionId, (keys = new Set()))
      keys.add(secretHash)
      let hashes = byUser.get(entry.user.id)
      if (!hashes) byUser.set(entry.user.id, (hashes = new Set()))
      hashes.add(secretHash)
    },
    deleteSession(sessionId) {
      generation++
      for (const key of [...(bySession.get(sessionId) ?? [])]) lru.delete(key)
    },
    deleteUser(userId) {
      generation++
      for (const key of [...(byUser.get(userId) ?? [])]) lru.delete(key)
    },
    clear() {
      generation++
      lru.clear()
      bySession.clear()
      byUser.clear()
    },
  }
}
