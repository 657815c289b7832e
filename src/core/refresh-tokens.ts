import type { RefreshTokenRecord, SessionRecord, UserRecord } from '../store/store.js'
import type { AccessTokens } from './access-tokens.js'
import { addSeconds } from './clock.js'
import type { CoreContext } from './context.js'
import { TesseraError } from './errors.js'
import { maxAgeEndMs, revokeSession } from './sessions.js'
import { generateSessionId, generateToken, hashSecret, isWellFormedToken } from './tokens.js'

/** An access JWT and the refresh token that renews it. */
export interface JwtPair {
  access: string
  refresh: string
  accessExpiresAt: Date
  refreshExpiresAt: Date
}

/** Refresh tokens look like opaque tokens with their own prefix, so scanners and logs tell them apart. */
export const REFRESH_PREFIX = 'tsrf_'

const invalid = () => new TesseraError('invalid_token', 'Invalid refresh token.')

/**
 * Rotating refresh tokens. Each refresh spends the presented token and issues a new pair; a
 * spent token presented again revokes its session (and with it every token descended from it),
 * except within a short grace window, where a client's concurrent refreshes get the same answer.
 */
export class RefreshTokens {
  /** Answers given for recently spent tokens, by their hash, for the grace window. */
  readonly #recent = new Map<string, { pair: JwtPair; until: number }>()
  /** Refreshes under way, by token hash: a concurrent refresh of the same token waits for it. */
  readonly #inFlight = new Map<string, Promise<JwtPair>>()

  constructor(
    private readonly ctx: CoreContext,
    private readonly access: AccessTokens,
  ) {}

  /** Issues the first pair for a session that has just been created. */
  async issue(user: UserRecord, session: SessionRecord): Promise<JwtPair> {
    const { token: refresh, expiresAt: refreshExpiresAt } = await this.#newRefreshToken(session)
    const { token: access, expiresAt: accessExpiresAt } = await this.access.issue(user, session.id)
    return { access, refresh, accessExpiresAt, refreshExpiresAt }
  }

  /** Exchanges a refresh token for a new pair; throws `invalid_token` or `refresh_reused`. */
  async refresh(token: string): Promise<JwtPair> {
    if (!isWellFormedToken(token, REFRESH_PREFIX)) throw invalid()
    const tokenHash = hashSecret(token)
    const pending = this.#inFlight.get(tokenHash)
    if (pending) return pending
    const work = this.#refresh(tokenHash).finally(() => this.#inFlight.delete(tokenHash))
    this.#inFlight.set(tokenHash, work)
    return work
  }

  /** Ends the session of a live refresh token; throws `invalid_token` for an unknown, spent, expired or dead one. */
  async revoke(token: string): Promise<void> {
    const live = await this.#liveRecord(token)
    if (!live) throw invalid()
    await revokeSession(this.ctx, live.session, 'logout')
  }

  /** True when `token` is unspent, unexpired and its session live; spends nothing. */
  async isLive(token: string): Promise<boolean> {
    return (await this.#liveRecord(token)) !== null
  }

  async #liveRecord(token: string): Promise<{ user: UserRecord; session: SessionRecord } | null> {
    if (!isWellFormedToken(token, REFRESH_PREFIX)) return null
    const now = this.ctx.clock.now()
    const record = await this.ctx.store.findRefreshTokenByHash(hashSecret(token))
    if (!record || record.usedAt !== null || record.expiresAt <= now) return null
    return this.#liveSession(record.sessionId, now)
  }

  async #refresh(tokenHash: string): Promise<JwtPair> {
    const now = this.ctx.clock.now()
    this.#forgetExpired(now.getTime())
    const record = await this.ctx.store.findRefreshTokenByHash(tokenHash)
    if (!record) throw invalid()
    if (record.usedAt !== null) return this.#reused(tokenHash, record)
    const live = await this.#liveSession(record.sessionId, now)
    if (!live || record.expiresAt <= now) throw invalid()
    // The atomic mark decides races between processes; the loser is treated as a reuse.
    if (!(await this.ctx.store.markRefreshTokenUsed(record.id, now))) {
      return this.#reused(tokenHash, (await this.ctx.store.findRefreshTokenByHash(tokenHash)) ?? record)
    }
    return this.#rotate(tokenHash, live, now)
  }

  /** Issues the next pair of a live session, and remembers it for the grace window. */
  async #rotate(tokenHash: string, { user, session }: { user: UserRecord; session: SessionRecord }, now: Date): Promise<JwtPair> {
    const pair = await this.issue(user, session)
    // Written before the answer, not queued: the new refresh token must find its session alive, as
    // long as the refresh lifetime runs and never past the session's absolute one (TOKEN_MAX_AGE).
    await this.ctx.store.touchSessions([{ id: session.id, lastUsedAt: now, expiresAt: pair.refreshExpiresAt }])
    if (this.ctx.settings.refreshGraceSeconds > 0) {
      this.#recent.set(tokenHash, { pair, until: now.getTime() + this.ctx.settings.refreshGraceSeconds * 1000 })
    }
    return pair
  }

  /**
   * A spent token again. Within the grace window: the same answer when this process gave it, and
   * when another process did (its answer is not here: only hashes are stored), a fresh pair for
   * the same live session, so a client's concurrent refreshes never log it out. Past the window,
   * the session ends.
   */
  async #reused(tokenHash: string, record: RefreshTokenRecord): Promise<JwtPair> {
    const now = this.ctx.clock.now()
    const recent = this.#recent.get(tokenHash)
    if (recent && recent.until > now.getTime()) return recent.pair
    const graceMs = this.ctx.settings.refreshGraceSeconds * 1000
    if (record.usedAt !== null && graceMs > 0 && now.getTime() - record.usedAt.getTime() <= graceMs) {
      const live = await this.#liveSession(record.sessionId, now)
      if (live) return this.#rotate(tokenHash, live, now)
    }
    const session = await this.ctx.store.findSessionById(record.sessionId)
    if (session) await revokeSession(this.ctx, session, 'refresh_reused')
    throw new TesseraError('refresh_reused', 'This refresh token was already used; its session has been revoked.')
  }

  /** The session and its active user, when the session is neither revoked nor expired. */
  async #liveSession(sessionId: string, now: Date): Promise<{ user: UserRecord; session: SessionRecord } | null> {
    const session = await this.ctx.store.findSessionById(sessionId)
    // The absolute lifetime is checked too: sessions refreshed before refreshes were capped by it
    // may have a later expiresAt stored.
    if (!session || session.revokedAt !== null || session.expiresAt <= now || maxAgeEndMs(this.ctx, session) <= now.getTime()) return null
    const user = await this.ctx.store.findUserById(session.userId)
    return user?.isActive ? { user, session } : null
  }

  /** A new refresh token of `session`: it lives `refreshTtlSeconds`, and no longer than the session may. */
  async #newRefreshToken(session: SessionRecord): Promise<{ token: string; expiresAt: Date }> {
    const now = this.ctx.clock.now()
    const { token, secretHash } = generateToken(REFRESH_PREFIX)
    const expiresAt = new Date(Math.min(addSeconds(now, this.ctx.settings.refreshTtlSeconds).getTime(), maxAgeEndMs(this.ctx, session)))
    await this.ctx.store.insertRefreshToken({ id: generateSessionId(), sessionId: session.id, tokenHash: secretHash, createdAt: now, expiresAt, usedAt: null })
    return { token, expiresAt }
  }

  #forgetExpired(now: number): void {
    for (const [hash, entry] of this.#recent) if (entry.until <= now) this.#recent.delete(hash)
  }
}
