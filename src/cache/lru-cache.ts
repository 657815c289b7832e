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
  const bySession = new Map<string, string>()
  const byUser = new Map<number, Set<string>>()
  let generation = 0

  const unindex = (secretHash: string, entry: CachedSession): void => {
    if (bySession.get(entry.sessionId) === secretHash) bySession.delete(entry.sessionId)
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
      bySession.set(entry.sessionId, secretHash)
      let hashes = byUser.get(entry.user.id)
      if (!hashes) byUser.set(entry.user.id, (hashes = new Set()))
      hashes.add(secretHash)
    },
    deleteSession(sessionId) {
      generation++
      const secretHash = bySession.get(sessionId)
      if (secretHash !== undefined) lru.delete(secretHash)
    },
    deleteUser(userId) {
      generation++
      for (const secretHash of [...(byUser.get(userId) ?? [])]) lru.delete(secretHash)
    },
  }
}
