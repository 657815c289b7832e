import { rankFirst } from '../rank-first.js'
import { credentialUserOf, type NewUser, type SessionCredential, type SessionRecord, type Store, type UserRecord, type UserWriteResult } from '../store.js'
import { createMemoryAuditTable } from './memory-audit-store.js'
import { createMemoryImportTables } from './memory-import-store.js'
import { createMemorySocialTables } from './memory-social-store.js'
import { createMemoryTokenTables } from './memory-token-store.js'

/**
 * Builds a `Store` held in Maps, with the SQL engines' semantics (unique keys, foreign keys,
 * all-or-nothing bulk inserts), for unit tests of the core; nothing survives `close()`.
 */
export function createMemoryStore(): Store {
  const users = new Map<number, UserRecord>()
  const idByEmailKey = new Map<string, number>()
  const idByUsernameKey = new Map<string, number>()
  const sessions = new Map<string, SessionRecord>()
  const idBySecretHash = new Map<string, string>()
  const settings = new Map<string, string>()
  const tokens = createMemoryTokenTables({ hasSession: (id) => sessions.has(id), hasUser: (id) => users.has(id) })
  const audit = createMemoryAuditTable()
  const social = createMemorySocialTables({ hasUser: (id) => users.has(id) })
  let lastUserId = 0

  /** A conflict for `user`, ignoring the user's own row (`selfId`) as an update must. */
  const conflictFor = (user: Pick<UserRecord, 'emailKey' | 'usernameKey'>, selfId?: number) => {
    const byEmail = idByEmailKey.get(user.emailKey)
    if (byEmail !== undefined && byEmail !== selfId) return 'email' as const
    const byUsername = idByUsernameKey.get(user.usernameKey)
    if (byUsername !== undefined && byUsername !== selfId) return 'username' as const
    return null
  }

  const addUser = (user: NewUser): UserWriteResult => {
    const conflict = conflictFor(user)
    if (conflict !== null) return { ok: false, conflict }
    if (user.id !== undefined && users.has(user.id)) throw new Error(`memory store: user id ${user.id} is taken`)
    const id = user.id ?? lastUserId + 1
    lastUserId = Math.max(lastUserId, id)
    const record = copyUser({ ...user, id })
    users.set(id, record)
    idByEmailKey.set(record.emailKey, id)
    idByUsernameKey.set(record.usernameKey, id)
    return { ok: true, user: copyUser(record) }
  }

  const addSession = (session: SessionRecord): void => {
    if (!users.has(session.userId)) throw new Error(`memory store: no user ${session.userId} (foreign key)`)
    if (sessions.has(session.id)) throw new Error(`memory store: session id ${session.id} is taken`)
    if (idBySecretHash.has(session.secretHash)) throw new Error('memory store: secret hash is taken')
    sessions.set(session.id, copySession(session))
    idBySecretHash.set(session.secretHash, session.id)
  }

  const credentialOf = (sessionId: string): SessionCredential | null => {
    const session = sessions.get(sessionId)
    const user = session && users.get(session.userId)
    return session && user ? toCredential(session, user) : null
  }

  const imports = createMemoryImportTables({
    userById: (id) => {
      const user = users.get(id)
      return user && copyUser(user)
    },
    userIdByEmailKey: (emailKey) => idByEmailKey.get(emailKey),
    userIdByUsernameKey: (usernameKey) => idByUsernameKey.get(usernameKey),
    hasSecretHash: (secretHash) => idBySecretHash.has(secretHash),
    addUser,
    addSession,
  })

  /** Revokes the live sessions `pick` chooses, at `at`; returns their ids. */
  const revokeWhere = (at: Date, pick: (session: SessionRecord) => boolean): string[] => {
    const revoked: string[] = []
    for (const session of sessions.values()) {
      if (session.revokedAt === null && pick(session)) {
        session.revokedAt = new Date(at)
        revoked.push(session.id)
      }
    }
    return revoked
  }

  const isLive = (session: SessionRecord, now: Date) =>
    session.revokedAt === null && session.expiresAt.getTime() > now.getTime()

  /** Newest first, ties broken by id, as the SQL engines order them. */
  const liveSessionsOf = (userId: number, now: Date) =>
    [...sessions.values()]
      .filter((session) => session.userId === userId && isLive(session, now))
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))

  return {
    async insertUser(user) {
      return addUser(user)
    },

    async insertUsers(batch) {
      // All or nothing, like one transaction: check the whole batch before writing any of it.
      const emailKeys = new Set<string>()
      const usernameKeys = new Set<string>()
      const ids = new Set<number>()
      for (const user of batch) {
        const taken = conflictFor(user) !== null || (user.id !== undefined && (users.has(user.id) || ids.has(user.id)))
        if (taken || emailKeys.has(user.emailKey) || usernameKeys.has(user.usernameKey)) {
          throw new Error('memory store: UNIQUE constraint failed in insertUsers')
        }
        emailKeys.add(user.emailKey)
        usernameKeys.add(user.usernameKey)
        if (user.id !== undefined) ids.add(user.id)
      }
      for (const user of batch) addUser(user)
      return batch.length
    },

    async findUserById(id) {
      const user = users.get(id)
      return user ? copyUser(user) : null
    },

    async findUserByEmailKey(emailKey) {
      const id = idByEmailKey.get(emailKey)
      return id === undefined ? null : copyUser(users.get(id) as UserRecord)
    },

    async findUserByUsernameKey(usernameKey) {
      const id = idByUsernameKey.get(usernameKey)
      return id === undefined ? null : copyUser(users.get(id) as UserRecord)
    },

    async updateUser(id, patch) {
      const current = users.get(id)
      if (current === undefined) return null
      const defined = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined))
      const next = copyUser({ ...current, ...defined, id, dateJoined: current.dateJoined })
      const conflict = conflictFor(next, id)
      if (conflict !== null) return { ok: false, conflict }
      idByEmailKey.delete(current.emailKey)
      idByUsernameKey.delete(current.usernameKey)
      idByEmailKey.set(next.emailKey, id)
      idByUsernameKey.set(next.usernameKey, id)
      users.set(id, next)
      return { ok: true, user: copyUser(next) }
    },

    async listUsers({ q, isActive, isStaff, afterId, limit }) {
      const needle = q ? q.normalize('NFC').toLowerCase() : undefined
      const found: UserRecord[] = []
      for (const user of [...users.values()].sort((a, b) => a.id - b.id)) {
        if (found.length >= limit) break
        if (afterId !== undefined && user.id <= afterId) continue
        if (isActive !== undefined && user.isActive !== isActive) continue
        if (isStaff !== undefined && user.isStaff !== isStaff) continue
        if (needle !== undefined && !user.emailKey.includes(needle) && !user.usernameKey.includes(needle)) continue
        found.push(copyUser(user))
      }
      return found
    },

    async insertSession(session) {
      addSession(session)
    },

    async insertSessions(batch) {
      const ids = new Set<string>()
      const hashes = new Set<string>()
      for (const session of batch) {
        const taken = sessions.has(session.id) || idBySecretHash.has(session.secretHash)
        if (taken || ids.has(session.id) || hashes.has(session.secretHash) || !users.has(session.userId)) {
          throw new Error('memory store: constraint failed in insertSessions')
        }
        ids.add(session.id)
        hashes.add(session.secretHash)
      }
      for (const session of batch) addSession(session)
      return batch.length
    },

    async findCredentialBySecretHash(secretHash) {
      const id = idBySecretHash.get(secretHash)
      return id === undefined ? null : credentialOf(id)
    },

    async findCredentialBySessionId(id) {
      return credentialOf(id)
    },

    async findSessionById(id) {
      const session = sessions.get(id)
      return session ? copySession(session) : null
    },

    async listLiveSessions(userId, now) {
      return liveSessionsOf(userId, now).map(copySession)
    },

    async touchSessions(touches) {
      for (const { id, lastUsedAt, expiresAt } of touches) {
        const session = sessions.get(id)
        if (session === undefined) continue
        session.lastUsedAt = new Date(lastUsedAt)
        session.expiresAt = new Date(expiresAt)
      }
    },

    async replaceSessionSecret(id, secretHash) {
      const session = sessions.get(id)
      if (session === undefined || session.revokedAt !== null) return false
      if (idBySecretHash.has(secretHash)) throw new Error('memory store: secret hash is taken')
      idBySecretHash.delete(session.secretHash)
      idBySecretHash.set(secretHash, id)
      session.secretHash = secretHash
      return true
    },

    async revokeSession(id, at) {
      const session = sessions.get(id)
      if (session === undefined || session.revokedAt !== null) return false
      session.revokedAt = new Date(at)
      return true
    },

    async revokeUserSessions(userId, at, exceptId) {
      return revokeWhere(at, (session) => session.userId === userId && session.id !== exceptId)
    },

    async revokeDeviceSessions(userId, device, at) {
      return revokeWhere(at, (session) => session.userId === userId && session.device === device)
    },

    async revokeSessionsBeyond(userId, keep, now, keepId) {
      if (!Number.isInteger(keep) || keep < 0) throw new RangeError('tessera: keep must be an integer ≥ 0')
      const ranked = rankFirst(liveSessionsOf(userId, now).map((session) => session.id), keepId)
      const beyond = new Set(ranked.slice(keep))
      return revokeWhere(now, (session) => beyond.has(session.id))
    },

    async deleteDeadSessions(before) {
      const deleted = new Set<string>()
      for (const session of [...sessions.values()]) {
        const revokedBefore = session.revokedAt !== null && session.revokedAt.getTime() < before.getTime()
        if (revokedBefore || session.expiresAt.getTime() < before.getTime()) {
          sessions.delete(session.id)
          idBySecretHash.delete(session.secretHash)
          deleted.add(session.id)
        }
      }
      tokens.deleteRefreshTokensOf(deleted)
      return deleted.size
    },

    async getSetting(key) {
      return settings.get(key) ?? null
    },

    async putSettingIfAbsent(key, value) {
      if (!settings.has(key)) settings.set(key, value)
      return settings.get(key) as string
    },

    async replaceSetting(key, expected, value) {
      if (settings.get(key) !== expected) return false
      settings.set(key, value)
      return true
    },

    ...tokens.methods,
    ...social.methods,
    ...audit.methods,
    ...imports.methods,

    async ping() {},

    async close() {
      users.clear()
      sessions.clear()
      idByEmailKey.clear()
      idByUsernameKey.clear()
      idBySecretHash.clear()
      settings.clear()
      tokens.clear()
      social.clear()
      audit.clear()
      imports.clear()
    },
  }
}

/** Records hold mutable Dates, so the store never shares one with a caller. */
function copyUser(user: UserRecord): UserRecord {
  return {
    id: user.id,
    email: user.email,
    emailKey: user.emailKey,
    username: user.username,
    usernameKey: user.usernameKey,
    passwordHash: user.passwordHash,
    isActive: user.isActive,
    isStaff: user.isStaff,
    isSuperuser: user.isSuperuser,
    emailVerified: user.emailVerified,
    bio: user.bio,
    image: user.image,
    dateJoined: new Date(user.dateJoined),
    lastLogin: user.lastLogin && new Date(user.lastLogin),
    passwordChangedAt: new Date(user.passwordChangedAt),
  }
}

/** A session's own copy; see copyUser. */
/** What the hot path reads of a session and its user (see `SessionCredential`). */
function toCredential(session: SessionRecord, user: UserRecord): SessionCredential {
  return {
    sessionId: session.id,
    secretHash: session.secretHash,
    createdAt: session.createdAt.getTime(),
    importedAt: session.importedAt ? session.importedAt.getTime() : null,
    lastUsedAt: session.lastUsedAt.getTime(),
    expiresAt: session.expiresAt.getTime(),
    revokedAt: session.revokedAt ? session.revokedAt.getTime() : null,
    user: credentialUserOf(user),
  }
}

function copySession(session: SessionRecord): SessionRecord {
  return {
    id: session.id,
    userId: session.userId,
    secretHash: session.secretHash,
    device: session.device,
    createdAt: new Date(session.createdAt),
    lastUsedAt: new Date(session.lastUsedAt),
    expiresAt: new Date(session.expiresAt),
    revokedAt: session.revokedAt && new Date(session.revokedAt),
    // Only imported sessions carry the field, as the SQL engines read them.
    ...(session.importedAt ? { importedAt: new Date(session.importedAt) } : {}),
  }
}
