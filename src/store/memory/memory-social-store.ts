import type { SocialCodeRecord, SocialIdentityRecord } from '../store.js'
import type { SocialStore } from '../social-store.js'

/** The memory store's social tables: their Store methods, and what the users table calls on them. */
export interface MemorySocialTables {
  methods: SocialStore
  clear(): void
}

/**
 * Builds social identities and codes held in Maps, with the SQL engines' keys and foreign keys;
 * `createMemoryStore` composes them with the rest.
 */
export function createMemorySocialTables(parents: { hasUser(id: number): boolean }): MemorySocialTables {
  const identities = new Map<number, SocialIdentityRecord>()
  const identityIdByKey = new Map<string, number>()
  const codes = new Map<string, SocialCodeRecord>()
  let lastIdentityId = 0
  // A separator no provider id contains, so ("a", "b:c") and ("a:b", "c") are different keys.
  const keyOf = (provider: string, subject: string) => `${provider}\u0000${subject}`

  const methods: SocialStore = {
    async insertSocialIdentity(identity) {
      if (!parents.hasUser(identity.userId)) throw new Error(`memory store: no user ${identity.userId} (foreign key)`)
      const key = keyOf(identity.provider, identity.subject)
      if (identityIdByKey.has(key)) return null
      const record = copyIdentity({ ...identity, id: ++lastIdentityId })
      identities.set(record.id, record)
      identityIdByKey.set(key, record.id)
      return copyIdentity(record)
    },

    async findSocialIdentity(provider, subject) {
      const id = identityIdByKey.get(keyOf(provider, subject))
      return id === undefined ? null : copyIdentity(identities.get(id)!)
    },

    async listSocialIdentities(userId) {
      return [...identities.values()].filter((identity) => identity.userId === userId).sort((a, b) => a.id - b.id).map(copyIdentity)
    },

    async touchSocialIdentity(id, seen) {
      const identity = identities.get(id)
      if (identity === undefined) return null
      identity.email = seen.email
      identity.emailVerified = seen.emailVerified
      identity.lastUsedAt = new Date(seen.lastUsedAt)
      return copyIdentity(identity)
    },

    async deleteSocialIdentity(id, userId, keepLast) {
      // Check and delete with no await between: the transaction the SQL engines use.
      const identity = identities.get(id)
      if (identity === undefined || identity.userId !== userId) return 'not_found'
      if (keepLast && ![...identities.values()].some((other) => other.userId === userId && other.id !== id)) return 'last'
      identities.delete(id)
      identityIdByKey.delete(keyOf(identity.provider, identity.subject))
      return 'deleted'
    },

    async insertSocialCode(code) {
      if (!parents.hasUser(code.userId)) throw new Error(`memory store: no user ${code.userId} (foreign key)`)
      if (codes.has(code.codeHash)) throw new Error('memory store: social code hash is taken')
      codes.set(code.codeHash, copyCode(code))
    },

    async takeSocialCode(codeHash, purpose, now) {
      const code = codes.get(codeHash)
      if (code === undefined || code.purpose !== purpose || code.expiresAt.getTime() <= now.getTime()) return null
      codes.delete(codeHash)
      return code
    },

    async deleteExpiredSocialCodes(before) {
      let deleted = 0
      for (const code of [...codes.values()]) {
        if (code.expiresAt.getTime() < before.getTime()) {
          codes.delete(code.codeHash)
          deleted++
        }
      }
      return deleted
    },
  }

  return {
    methods,
    clear() {
      identities.clear()
      identityIdByKey.clear()
      codes.clear()
    },
  }
}

/** Records hold mutable Dates, so the store never shares one with a caller. */
function copyIdentity(identity: SocialIdentityRecord): SocialIdentityRecord {
  return {
    id: identity.id,
    userId: identity.userId,
    provider: identity.provider,
    subject: identity.subject,
    email: identity.email,
    emailVerified: identity.emailVerified,
    createdAt: new Date(identity.createdAt),
    lastUsedAt: new Date(identity.lastUsedAt),
  }
}

/** A social code's own copy; see copyIdentity. */
function copyCode(code: SocialCodeRecord): SocialCodeRecord {
  return { ...code, createdAt: new Date(code.createdAt), expiresAt: new Date(code.expiresAt) }
}
