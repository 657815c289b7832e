import type { Kysely, Selectable } from 'kysely'
import type { SocialCodeRecord, SocialIdentityRecord } from '../store.js'
import type { SocialStore } from '../social-store.js'
import type { Database, SocialCodesTable, SocialIdentitiesTable } from './schema.js'

/**
 * Builds the social-login methods of the Kysely store (identities and codes);
 * `createKyselyStore` composes them with the rest. Their rows map to records here, beside the
 * only queries that read them.
 */
export function createKyselySocialStore(db: Kysely<Database>): SocialStore {
  return {
    async insertSocialIdentity(identity) {
      try {
        const row = await db
          .insertInto('social_identities')
          .values({
            user_id: identity.userId,
            provider: identity.provider,
            subject: identity.subject,
            email: identity.email,
            email_verified: identity.emailVerified ? 1 : 0,
            created_at: identity.createdAt.getTime(),
            last_used_at: identity.lastUsedAt.getTime(),
          })
          .returningAll()
          .executeTakeFirstOrThrow()
        return toSocialIdentity(row)
      } catch (error) {
        // The (provider, subject) pair is the only unique key a valid insert can collide on.
        if (isUniqueViolation(error)) return null
        throw error
      }
    },

    async findSocialIdentity(provider, subject) {
      const row = await db
        .selectFrom('social_identities')
        .selectAll()
        .where('provider', '=', provider)
        .where('subject', '=', subject)
        .executeTakeFirst()
      return row ? toSocialIdentity(row) : null
    },

    async listSocialIdentities(userId) {
      const rows = await db.selectFrom('social_identities').selectAll().where('user_id', '=', userId).orderBy('id').execute()
      return rows.map(toSocialIdentity)
    },

    async touchSocialIdentity(id, seen) {
      const row = await db
        .updateTable('social_identities')
        .set({ email: seen.email, email_verified: seen.emailVerified ? 1 : 0, last_used_at: seen.lastUsedAt.getTime() })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst()
      return row ? toSocialIdentity(row) : null
    },

    async deleteSocialIdentity(id, userId, keepLast) {
      if (!keepLast) {
        const result = await db.deleteFrom('social_identities').where('id', '=', id).where('user_id', '=', userId).executeTakeFirst()
        return result.numDeletedRows > 0n ? 'deleted' : 'not_found'
      }
      return db.transaction().execute(async (trx) => {
        // A no-op write locks the user's row (PostgreSQL) or the database (SQLite) first, so two
        // concurrent unlinks of a user's last two identities run one after the other, and the
        // second sees that only one is left.
        await trx.updateTable('users').set((eb) => ({ email: eb.ref('email') })).where('id', '=', userId).execute()
        const rows = await trx.selectFrom('social_identities').select('id').where('user_id', '=', userId).execute()
        if (!rows.some((row) => Number(row.id) === id)) return 'not_found'
        if (rows.length === 1) return 'last'
        await trx.deleteFrom('social_identities').where('id', '=', id).execute()
        return 'deleted'
      })
    },

    async insertSocialCode(code) {
      await db
        .insertInto('social_codes')
        .values({
          code_hash: code.codeHash,
          purpose: code.purpose,
          user_id: code.userId,
          provider: code.provider,
          device: code.device,
          challenge: code.challenge,
          created_at: code.createdAt.getTime(),
          expires_at: code.expiresAt.getTime(),
        })
        .execute()
    },

    async takeSocialCode(codeHash, purpose, now) {
      // Delete-and-return in one statement: of concurrent exchanges of one code, one gets the row.
      const row = await db
        .deleteFrom('social_codes')
        .where('code_hash', '=', codeHash)
        .where('purpose', '=', purpose)
        .where('expires_at', '>', now.getTime())
        .returningAll()
        .executeTakeFirst()
      return row ? toSocialCode(row) : null
    },

    async deleteExpiredSocialCodes(before) {
      const result = await db.deleteFrom('social_codes').where('expires_at', '<', before.getTime()).executeTakeFirst()
      return Number(result.numDeletedRows)
    },
  }
}

/** The record a `social_identities` row stands for; PostgreSQL's driver returns `bigint` as a string. */
function toSocialIdentity(row: Selectable<SocialIdentitiesTable>): SocialIdentityRecord {
  return {
    id: Number(row.id),
    userId: Number(row.user_id),
    provider: row.provider,
    subject: row.subject,
    email: row.email,
    emailVerified: row.email_verified !== 0,
    createdAt: new Date(Number(row.created_at)),
    lastUsedAt: new Date(Number(row.last_used_at)),
  }
}

/** The record a `social_codes` row stands for. */
function toSocialCode(row: Selectable<SocialCodesTable>): SocialCodeRecord {
  return {
    codeHash: row.code_hash,
    purpose: row.purpose,
    userId: Number(row.user_id),
    provider: row.provider,
    device: row.device,
    challenge: row.challenge,
    createdAt: new Date(Number(row.created_at)),
    expiresAt: new Date(Number(row.expires_at)),
  }
}

/** True for SQLite's and PostgreSQL's unique violations. */
function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505'
}
