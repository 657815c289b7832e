import type { CachedSession, PrincipalCache } from '../core/principal.js'
import { SecondChanceMap } from '../core/second-chance-map.js'

/**
 * The in-process principal cache: keyed by secret hash, evicting about the least recently used
 * (second chance, so a hit costs one lookup), with indexes by session and by user so that a
 * revocation or a user change evicts exactly the entries it concerns.
 */
export function createLruPrincipalCache(maxEntries: number): PrincipalCache {
  // A session may sit under several keys: its opaque token's hash, and its id for JWTs naming it.
  const bySession: KeyIndex<string> = new Map()
  const byUser: KeyIndex<number> = new Map()
  let generation = 0

  const unindex = (secretHash: string, entry: CachedSession): void => {
    removeKey(bySession, entry.sessionId, secretHash)
    removeKey(byUser, entry.user.id, secretHash)
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
      addKey(bySession, entry.sessionId, secretHash)
      addKey(byUser, entry.user.id, secretHash)
    },
    deleteSession(sessionId) {
      generation++
      for (const key of keysOf(bySession, sessionId)) drop(key)
    },
    deleteUser(userId) {
      generation++
      for (const key of keysOf(byUser, userId)) drop(key)
    },
    clear() {
      generation++
      entries.clear()
      bySession.clear()
      byUser.clear()
    },
  }
}

/**
 * Cache keys by session or by user. Most hold one key (a session's token hash), so one is kept as
 * the string itself and only two or more as a Set: a Set per cached session was ~200 bytes of it.
 */
type KeyIndex<K> = Map<K, string | Set<string>>

function addKey<K>(index: KeyIndex<K>, at: K, key: string): void {
  const held = index.get(at)
  if (held === undefined) index.set(at, key)
  else if (typeof held === 'string') {
    if (held !== key) index.set(at, new Set([held, key]))
  } else held.add(key)
}

function removeKey<K>(index: KeyIndex<K>, at: K, key: string): void {
  const held = index.get(at)
  if (held === undefined) return
  if (typeof held === 'string') {
    if (held === key) index.delete(at)
    return
  }
  held.delete(key)
  if (held.size === 0) index.delete(at)
}

/** A copy of the keys held at `at`: the caller deletes while it iterates. */
function keysOf<K>(index: KeyIndex<K>, at: K): string[] {
  const held = index.get(at)
  return held === undefined ? [] : typeof held === 'string' ? [held] : [...held]
}
