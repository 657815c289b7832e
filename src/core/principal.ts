import type { CredentialUser } from '../store/store.js'
import type { Referenced } from './second-chance-map.js'

/** Who a request acts for: the user (as cached) and the session its credential names. */
export interface Principal {
  readonly user: PrincipalUser
  readonly sessionId: string
  /** When the credential's session dies unless used again. */
  readonly expiresAt: Date
}

/** The user fields permission checks need, small enough to cache for every live session. */
export type PrincipalUser = Readonly<CredentialUser>

/** The result of checking a credential: a principal, or why there is none. */
export type CredentialCheck =
  | { ok: true; principal: Principal }
  | { ok: false; reason: 'invalid_token' | 'user_inactive' }

/** A session as kept in the principal cache: what validation needs without a database read. */
export interface CachedSession extends Referenced {
  user: PrincipalUser
  sessionId: string
  /** When the session's absolute lifetime began, in epoch ms: its creation, or its import (an imported DRF key). */
  createdAt: number
  /** `lastUsedAt` as last written to the store, in epoch ms. */
  persistedLastUsedAt: number
  /** The last answer given for this session, reused while its expiry is unchanged. */
  check?: CredentialCheck & { ok: true }
  /**
   * Until when (epoch ms) `check` is the answer as it is: before the session expires and before
   * its next `lastUsedAt` write is due. A warm request compares this one number and is done.
   */
  freshUntil?: number
}

/**
 * A secret-hash → session cache. The core invalidates entries on every revocation and user
 * change, so a hit is as good as a database read. Lookups are synchronous: they sit on the hot path.
 */
export interface PrincipalCache {
  get(secretHash: string): CachedSession | undefined
  /**
   * Counts invalidations. A reader takes it before reading the store and passes it to `set`, which
   * drops the entry if anything was invalidated meanwhile: a revocation racing a cache fill wins.
   * An entry `get` returned stays a valid answer while this count is unchanged, so a caller may
   * keep it that long instead of asking again: whatever stops answering from memory (a lost
   * invalidation feed) must count as an invalidation.
   */
  generation(): number
  set(secretHash: string, entry: CachedSession, generationAtRead: number): void
  /** Forgets the session; its credentials are checked against the store again. */
  deleteSession(sessionId: string): void
  /** Forgets every session of the user (deactivation, privilege or e-mail change). */
  deleteUser(userId: number): void
  /** Forgets every entry: invalidations may have been missed (a Redis reconnect). */
  clear(): void
}

/** A cache that holds nothing: every check reads the store. */
export const noCache: PrincipalCache = {
  get: () => undefined,
  generation: () => 0,
  set: () => {},
  deleteSession: () => {},
  deleteUser: () => {},
  clear: () => {},
}
