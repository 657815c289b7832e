import type { OneTimeTokenRecord, RefreshTokenRecord } from '../store.js'
import type { TokenStore } from '../token-store.js'

/** The rows token tables point at, as the memory store's foreign keys see them. */
export interface TokenParents {
  hasSession(id: string): boolean
  hasUser(id: number): boolean
}

/** The memory store's token tables: their Store methods, and what the parent tables call on them. */
export interface MemoryTokenTables {
  methods: TokenStore
  /** ON DELETE CASCADE from sessions: drops the refresh tokens of the sessions in `sessionIds`. */
  deleteRefreshTokensOf(sessionIds: ReadonlySet<string>): void
  clear(): void
}

/**
 * Builds refresh and one-time tokens held in Maps, with the SQL engines' keys and foreign keys;
 * `createMemoryStore` composes them with the rest.
 */
export function createMemoryTokenTables(parents: TokenParents): MemoryTokenTables {
  const refreshTokens = new Map<string, RefreshTokenRecord>()
  const refreshIdByHash = new Map<string, string>()
  const oneTimeTokens = new Map<string, OneTimeTokenRecord>()

  const methods: TokenStore = {
    async insertRefreshToken(token) {
      if (!parents.hasSession(token.sessionId)) {
        throw new Error(`memory store: no session ${token.sessionId} (foreign key)`)
      }
      if (refreshTokens.has(token.id)) throw new Error(`memory store: refresh token id ${token.id} is taken`)
      if (refreshIdByHash.has(token.tokenHash)) throw new Error('memory store: refresh token hash is taken')
      refreshTokens.set(token.id, copyRefreshToken(token))
      refreshIdByHash.set(token.tokenHash, token.id)
    },

    async findRefreshTokenByHash(tokenHash) {
      const id = refreshIdByHash.get(tokenHash)
      const token = id === undefined ? undefined : refreshTokens.get(id)
      return token ? copyRefreshToken(token) : null
    },

    async markRefreshTokenUsed(id, at) {
      // Check and write with no await between: the compare-and-set the SQL engines do in one UPDATE.
      const token = refreshTokens.get(id)
      if (token === undefined || token.usedAt !== null) return false
      token.usedAt = new Date(at)
      return true
    },

    async insertOneTimeToken(token) {
      if (!parents.hasUser(token.userId)) throw new Error(`memory store: no user ${token.userId} (foreign key)`)
      if (oneTimeTokens.has(token.tokenHash)) throw new Error('memory store: one-time token hash is taken')
      oneTimeTokens.set(token.tokenHash, copyOneTimeToken(token))
    },

    async findOneTimeToken(tokenHash) {
      const token = oneTimeTokens.get(tokenHash)
      return token ? copyOneTimeToken(token) : null
    },

    async markOneTimeTokenUsed(tokenHash, at) {
      // As markRefreshTokenUsed: no await between the check and the write.
      const token = oneTimeTokens.get(tokenHash)
      if (token === undefined || token.usedAt !== null) return false
      token.usedAt = new Date(at)
      return true
    },

    async deleteExpiredOneTimeTokens(before) {
      let deleted = 0
      for (const token of [...oneTimeTokens.values()]) {
        if (token.expiresAt.getTime() < before.getTime()) {
          oneTimeTokens.delete(token.tokenHash)
          deleted++
        }
      }
      return deleted
    },
  }

  return {
    methods,
    deleteRefreshTokensOf(sessionIds) {
      if (sessionIds.size === 0) return
      for (const token of [...refreshTokens.values()]) {
        if (sessionIds.has(token.sessionId)) {
          refreshTokens.delete(token.id)
          refreshIdByHash.delete(token.tokenHash)
        }
      }
    },
    clear() {
      refreshTokens.clear()
      refreshIdByHash.clear()
      oneTimeTokens.clear()
    },
  }
}

/** Records hold mutable Dates, so the store never shares one with a caller. */
function copyRefreshToken(token: RefreshTokenRecord): RefreshTokenRecord {
  return {
    id: token.id,
    sessionId: token.sessionId,
    tokenHash: token.tokenHash,
    createdAt: new Date(token.createdAt),
    expiresAt: new Date(token.expiresAt),
    usedAt: token.usedAt && new Date(token.usedAt),
  }
}

/** A one-time token's own copy; see copyRefreshToken. */
function copyOneTimeToken(token: OneTimeTokenRecord): OneTimeTokenRecord {
  return {
    tokenHash: token.tokenHash,
    userId: token.userId,
    purpose: token.purpose,
    email: token.email,
    createdAt: new Date(token.createdAt),
    expiresAt: new Date(token.expiresAt),
    usedAt: token.usedAt && new Date(token.usedAt),
  }
}
