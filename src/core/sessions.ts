import type { SessionCredential, SessionRecord, UserRecord } from '../store/store.js'
import { nowMs } from './clock.js'
import type { CoreContext } from './context.js'
import type { RevokeReason } from './events.js'
import type { CachedSession, CredentialCheck } from './principal.js'
import { constantTimeEqual, generateSessionId, generateToken, hashSecret, isWellFormedToken } from './tokens.js'

/** A session just made or re-keyed, with its plain token: shown to the caller once, never stored. */
export interface IssuedToken {
  token: string
  session: SessionRecord
}

const INVALID: CredentialCheck = { ok: false, reason: 'invalid_token' }
const INACTIVE: CredentialCheck = { ok: false, reason: 'user_inactive' }
const DEVICE_MAX = 200

/** A device name fit to store: trimmed, printable, bounded. */
export function deviceName(device: string | undefined, userAgent: string | undefined): string {
  const raw = device?.trim() || userAgent?.trim() || 'unknown device'
  // eslint-disable-next-line no-control-regex
  return raw.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, DEVICE_MAX)
}

/**
 * When a session used at `lastUsedAt` dies: the idle limit, capped by the absolute one counted
 * from `createdAt` (for an imported session, from its import).
 */
export function sessionExpiry(ctx: CoreContext, createdAt: Date, lastUsedAt: Date): Date {
  return new Date(expiryMs(ctx, createdAt.getTime(), lastUsedAt.getTime()))
}

/**
 * Starts a session for `user` on `device` and returns its token; the oldest beyond the cap go.
 * `address`, the client that asked (a login's), goes into `session.created` for the audit log.
 */
export async function createSession(ctx: CoreContext, user: UserRecord, device: string, address?: string): Promise<IssuedToken> {
  const now = ctx.clock.now()
  const { token, secretHash } = generateToken()
  const session: SessionRecord = {
    id: generateSessionId(),
    userId: user.id,
    secretHash,
    device,
    createdAt: now,
    lastUsedAt: now,
    expiresAt: sessionExpiry(ctx, now, now),
    revokedAt: null,
  }
  await ctx.store.insertSession(session)
  ctx.events.emit('session.created', { userId: user.id, sessionId: session.id, device, address })
  const dropped = await ctx.store.revokeSessionsBeyond(user.id, ctx.settings.maxSessionsPerUser, now, session.id)
  forgetRevoked(ctx, user.id, dropped, 'session_cap')
  return { token, session }
}

/**
 * Checks an opaque token: the cache, then its shape and the store. Returns the principal, or
 * why there is none; never throws for a bad token, so the hot path stays free of exceptions.
 * A cache hit answers synchronously (no promise), which is most of what a warm server does.
 */
export function validateToken(ctx: CoreContext, token: string): CredentialCheck | Promise<CredentialCheck> {
  const secretHash = hashSecret(token)
  const entry = ctx.cache.get(secretHash)
  if (entry) {
    ctx.cacheLookups.hits++
    return principalOf(ctx, entry, nowMs(ctx.clock))
  }
  // Only a miss needs the shape checked: a hit's hash is that of a token that was well formed
  // when it was cached. A malformed one is refused without counting as a lookup.
  if (!isWellFormedToken(token)) return INVALID
  ctx.cacheLookups.misses++
  return loadToken(ctx, secretHash)
}

/** The cache-miss half of `validateToken`: one indexed read of the session and its user. */
function loadToken(ctx: CoreContext, secretHash: string): CredentialCheck | Promise<CredentialCheck> {
  const generation = ctx.cache.generation()
  const decide = (found: SessionCredential | null): CredentialCheck =>
    // The index found the row by hash; comparing again in constant time costs little and keeps
    // the check independent of how an engine implements the lookup.
    found && constantTimeEqual(found.secretHash, secretHash) ? acceptSession(ctx, secretHash, found, generation) : INVALID
  const found = ctx.store.findCredentialBySecretHash(secretHash)
  return found instanceof Promise ? found.then(decide) : decide(found)
}

/**
 * Decides on a session read from the store (by its secret or by its id), and caches it under
 * `key` when it is live.
 */
function acceptSession(ctx: CoreContext, key: string, found: SessionCredential, generation: number): CredentialCheck {
  // An inactive user's credential answers as DRF does ("User inactive or deleted."), even though
  // deactivation also revoked its session: the holder learns nothing they did not know.
  if (!found.user.isActive) return INACTIVE
  // A use of this session that this process has not written yet counts as written.
  const queued = ctx.touches.queued(found.sessionId)
  const expiresAt = queued && queued.expiresAt > found.expiresAt ? queued.expiresAt : found.expiresAt
  const now = nowMs(ctx.clock)
  if (found.revokedAt !== null || expiresAt <= now) return INVALID
  const entry: CachedSession = {
    // The store's answer is this read's own object, so the cache keeps it as it is.
    user: found.user,
    sessionId: found.sessionId,
    // An imported DRF key keeps DRF's `created` for display; its lifetime counts from the import.
    createdAt: found.importedAt ?? found.createdAt,
    persistedLastUsedAt: queued && queued.lastUsedAt > found.lastUsedAt ? queued.lastUsedAt : found.lastUsedAt,
  }
  ctx.cache.set(key, entry, generation)
  return principalOf(ctx, entry, now)
}

/**
 * Where a caller that checks one session again and again (a JWT's verified claims) keeps its
 * cache key and the entry it last found there, with the cache's generation at the time: while no
 * invalidation has happened since, the entry is as good as a new lookup, and the lookup is spared.
 */
export interface SessionRef {
  readonly sessionId: string
  /** The session's principal-cache key (`sessionCacheKey`), made once rather than per request. */
  readonly sessionKey: string
  entry?: CachedSession
  entryGeneration?: number
}

/**
 * Checks that a session is live and its user active, by id (for JWTs, which name their session).
 * Shares the principal cache with opaque tokens, under a key of its own, so revocation is as
 * immediate for JWTs as for opaque tokens.
 */
export function validateSessionById(ctx: CoreContext, ref: SessionRef, now = nowMs(ctx.clock)): CredentialCheck | Promise<CredentialCheck> {
  const generation = ctx.cache.generation()
  if (ref.entry !== undefined && ref.entryGeneration === generation) {
    ctx.cacheLookups.hits++
    return principalOf(ctx, ref.entry, now)
  }
  const entry = countLookup(ctx, ctx.cache.get(ref.sessionKey))
  if (!entry) return loadSession(ctx, ref.sessionKey, ref.sessionId)
  ref.entry = entry
  ref.entryGeneration = generation
  return principalOf(ctx, entry, now)
}

/** The principal-cache key of a session checked by id (a JWT's); callers may keep it to skip the concatenation. */
export function sessionCacheKey(sessionId: string): string {
  return `sid:${sessionId}`
}

/** The cache-miss half of `validateSessionById`: one joined read of the session and its user. */
function loadSession(ctx: CoreContext, key: string, sessionId: string): CredentialCheck | Promise<CredentialCheck> {
  const generation = ctx.cache.generation()
  const decide = (found: SessionCredential | null): CredentialCheck => (found ? acceptSession(ctx, key, found, generation) : INVALID)
  const found = ctx.store.findCredentialBySessionId(sessionId)
  return found instanceof Promise ? found.then(decide) : decide(found)
}

/** Counts a principal-cache lookup as a hit or a miss, and passes its answer on. */
function countLookup(ctx: CoreContext, entry: CachedSession | undefined): CachedSession | undefined {
  if (entry) ctx.cacheLookups.hits++
  else ctx.cacheLookups.misses++
  return entry
}

/**
 * The principal of a cached session used now, or invalid when it has expired meanwhile. The
 * answer is kept on the entry and handed out again until the session expires or its next touch
 * is due, so a warm request reads one number of the entry and allocates nothing.
 */
function principalOf(ctx: CoreContext, entry: CachedSession, now: number): CredentialCheck {
  if (entry.freshUntil !== undefined && now < entry.freshUntil) return entry.check!
  const expiresAt = touch(ctx, entry, now)
  if (expiresAt <= now) return INVALID
  // The same object reaches many requests; its type is read-only so no route changes it for the others.
  if (entry.check?.principal.expiresAt.getTime() !== expiresAt) {
    entry.check = { ok: true, principal: { user: entry.user, sessionId: entry.sessionId, expiresAt: new Date(expiresAt) } }
  }
  entry.freshUntil = Math.min(expiresAt, entry.persistedLastUsedAt + ctx.settings.touchIntervalSeconds * 1000)
  return entry.check
}

/**
 * When a session's absolute lifetime ends (epoch ms), however it is used or refreshed: its
 * creation plus `tokenMaxAgeSeconds`, counted for an imported session from its import.
 */
export function maxAgeEndMs(ctx: CoreContext, session: Pick<SessionRecord, 'createdAt' | 'importedAt'>): number {
  return (session.importedAt ?? session.createdAt).getTime() + ctx.settings.tokenMaxAgeSeconds * 1000
}

/** When a session dies (epoch ms) if last used at `lastUsedAt`: the idle limit under the absolute cap. */
function expiryMs(ctx: CoreContext, createdAt: number, lastUsedAt: number): number {
  return Math.min(lastUsedAt + ctx.settings.tokenIdleSeconds * 1000, createdAt + ctx.settings.tokenMaxAgeSeconds * 1000)
}

/** The session's expiry (epoch ms) after use at `now`; writes `lastUsedAt` at most once per touch interval. */
function touch(ctx: CoreContext, entry: CachedSession, now: number): number {
  const current = expiryMs(ctx, entry.createdAt, entry.persistedLastUsedAt)
  if (current <= now || now - entry.persistedLastUsedAt < ctx.settings.touchIntervalSeconds * 1000) return current
  entry.persistedLastUsedAt = now
  const next = expiryMs(ctx, entry.createdAt, now)
  // Queued: the request need not wait for bookkeeping, and a lost touch only shortens idle time.
  ctx.touches.add(entry.sessionId, now, next)
  return next
}

/** Revokes one session; false when it was already gone. */
export async function revokeSession(ctx: CoreContext, session: { id: string; userId: number }, reason: RevokeReason): Promise<boolean> {
  const revoked = await ctx.store.revokeSession(session.id, ctx.clock.now())
  forgetRevoked(ctx, session.userId, revoked ? [session.id] : [], reason)
  return revoked
}

/** Revokes every live session of a user, except `exceptId` when given; returns how many. */
export async function revokeUserSessions(
  ctx: CoreContext,
  userId: number,
  reason: RevokeReason,
  exceptId?: string,
): Promise<number> {
  const ids = await ctx.store.revokeUserSessions(userId, ctx.clock.now(), exceptId)
  forgetRevoked(ctx, userId, ids, reason)
  return ids.length
}

/** Revokes a user's sessions on one device (`tessera token create -r`). */
export async function revokeDeviceSessions(ctx: CoreContext, userId: number, device: string): Promise<number> {
  const ids = await ctx.store.revokeDeviceSessions(userId, device, ctx.clock.now())
  forgetRevoked(ctx, userId, ids, 'device_replaced')
  return ids.length
}

/** Gives a live session a new secret; the old token stops working at once. Null when it is gone. */
export async function rotateSessionToken(ctx: CoreContext, sessionId: string): Promise<IssuedToken | null> {
  const { token, secretHash } = generateToken()
  if (!(await ctx.store.replaceSessionSecret(sessionId, secretHash))) return null
  const session = await ctx.store.findSessionById(sessionId)
  if (!session) return null
  ctx.cache.deleteSession(sessionId)
  ctx.events.emit('token.rotated', { userId: session.userId, sessionId })
  return { token, session }
}

/** The user's live sessions, newest first. */
export async function listSessions(ctx: CoreContext, userId: number): Promise<SessionRecord[]> {
  return ctx.store.listLiveSessions(userId, ctx.clock.now())
}

/** Deletes revoked and expired sessions older than `now`; returns how many rows went. */
export async function clearDeadSessions(ctx: CoreContext): Promise<number> {
  return ctx.store.deleteDeadSessions(ctx.clock.now())
}

/** Evicts revoked sessions from the cache and tells subscribers. */
function forgetRevoked(ctx: CoreContext, userId: number, sessionIds: string[], reason: RevokeReason): void {
  if (sessionIds.length === 0) return
  for (const id of sessionIds) ctx.cache.deleteSession(id)
  ctx.events.emit('session.revoked', { userId, sessionIds, reason })
}
