import type { Kysely } from 'kysely'
import type { TokenStore } from '../token-store.js'
import { toOneTimeToken, toOneTimeTokenRow, toRefreshToken, toRefreshTokenRow, type Database } from './schema.js'

/**
 * Builds the token methods of the Kysely store (refresh and one-time tokens); `createKyselyStore`
 * composes them with the rest.
 */
export function createKyselyTokenStore(db: Kysely<Database>): TokenStore {
  return {
    async insertRefreshToken(token) {
      await db.insertInto('refresh_tokens').values(toRefreshTokenRow(token)).execute()
    },

    async findRefreshTokenByHash(tokenHash) {
      const row = await db
        .selectFrom('refresh_tokens')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst()
      return row ? toRefreshToken(row) : null
    },

    async markRefreshTokenUsed(id, at) {
      // Compare-and-set in one statement: of concurrent refreshes with one token, the database
      // lets exactly one update see `used_at is null` (PostgreSQL re-checks it after the row lock).
      const result = await db
        .updateTable('refresh_tokens')
        .set({ used_at: at.getTime() })
        .where('id', '=', id)
        .where('used_at', 'is', null)
        .executeTakeFirst()
      return result.numUpdatedRows === 1n
    },

    async insertOneTimeToken(token) {
      await db.insertInto('one_time_tokens').values(toOneTimeTokenRow(token)).execute()
    },

    async findOneTimeToken(tokenHash) {
      const row = await db
        .selectFrom('one_time_tokens')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst()
      return row ? toOneTimeToken(row) : null
    },

    async markOneTimeTokenUsed(tokenHash, at) {
      // Compare-and-set, as markRefreshTokenUsed: a reset link works once, however many clicks race.
      const result = await db
        .updateTable('one_time_tokens')
        .set({ used_at: at.getTime() })
        .where('token_hash', '=', tokenHash)
        .where('used_at', 'is', null)
        .executeTakeFirst()
      return result.numUpdatedRows === 1n
    },

    async deleteExpiredOneTimeTokens(before) {
      const result = await db
        .deleteFrom('one_time_tokens')
        .where('expires_at', '<', before.getTime())
        .executeTakeFirst()
      return Number(result.numDeletedRows)
    },
  }
}
