import type { CachedSession, PrincipalCache } from '../core/principal.js'
import { SecondChanceMap } from '../core/second-chance-map.js'

/**
 * The in-process principal cache: keyed by secret hash, evicting about the least recently used
 * (second chance, so a hit costs one lookup), with indexes by session and by user so that a
 * revocation or a user change evicts exactly the entries it concerns.
 */
export function createLruPrincipalCache(maxEntries: number): PrincipalCache {
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
  const entries = new SecondChanceMap<string, CachedSession>(maxEntries, (entry, key) => unindex(key, entry))
  const drop = (key: string): void => {
    const entry = entries.delete(key)
    if (entry) unindex(key, entry)
  }

  return {
    get: (secretHash) => entries.get(secretHash),
    generation: () => generation,
    set(secretHash, entry, generationAtRead) {
      if (generationAtRead !== generation) return
      const replaced = entries.set(secretHash, entry)
      if (replaced) unindex(secretHash, replaced)
      let keys = bySession.get(entry.sessionId)
      if (!keys) bySession.set(entry.sessionId, (keys = new Set()))
      keys.add(secretHash)
      let hashes = byUser.get(entry.user.id)
      if (!hashes) byUser.set(entry.user.id, (hashes = new Set()))
      hashes.add(secretHash)
    },
    deleteSession(sessionId) {
      generation++
      for (const key of [...(bySession.get(sessionId) ?? [])]) drop(key)
    },
    deleteUser(userId) {
      generation++
      for (const key of [...(byUser.get(userId) ?? [])]) drop(key)
    },
    clear() {
      generation++
      entries.clear()
      bySession.clear()
      byUser.clear()
    },
  }
}
