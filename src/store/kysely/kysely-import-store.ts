import type { Kysely } from 'kysely'
import type { ImportStore } from '../import-store.js'
import type { KyselyStoreOptions } from './kysely-store.js'
import { insertChunked, MAX_ROWS_PER_STATEMENT } from './insert-chunked.js'
import { toSessionRow, toUser, toUserRow, type Database } from './schema.js'
import { insertSessionRows, usesSessionSlots } from './session-slots.js'

/**
 * Builds the import methods of the Kysely store (`tessera import-django`'s links, conflict checks
 * and batch writes); `createKyselyStore` composes them with the rest.
 */
export function createKyselyImportStore(db: Kysely<Database>, options: Pick<KyselyStoreOptions, 'afterUsersWithIds'>): ImportStore {
  return {
    async findDjangoUserLinks(djangoIds) {
      const links = []
      for (const chunk of chunksOf(djangoIds)) {
        const rows = await db.selectFrom('django_users').select(['django_id', 'user_id']).where('django_id', 'in', chunk).execute()
        for (const row of rows) links.push({ djangoId: Number(row.django_id), userId: row.user_id })
      }
      return links
    },

    async findUsersByAnyKey({ ids, emailKeys, usernameKeys }) {
      const found = new Map<number, ReturnType<typeof toUser>>()
      const [idChunks, emailChunks, usernameChunks] = [chunksOf(ids), chunksOf(emailKeys), chunksOf(usernameKeys)]
      // One query per thousand of each key: every IN list is answered from its unique index.
      for (let i = 0; i < Math.max(idChunks.length, emailChunks.length, usernameChunks.length); i++) {
        const [byId, byEmail, byUsername] = [idChunks[i] ?? [], emailChunks[i] ?? [], usernameChunks[i] ?? []]
        const rows = await db
          .selectFrom('users')
          .selectAll()
          .where(({ eb, or }) =>
            or([
              ...(byId.length > 0 ? [eb('id', 'in', byId)] : []),
              ...(byEmail.length > 0 ? [eb('email_key', 'in', byEmail)] : []),
              ...(byUsername.length > 0 ? [eb('username_key', 'in', byUsername)] : []),
            ]),
          )
          .execute()
        for (const row of rows) found.set(row.id, toUser(row))
      }
      return [...found.values()].sort((a, b) => a.id - b.id)
    },

    async insertDjangoUsers(batch) {
      if (batch.length === 0) return []
      const importedAt = Date.now()
      return db.transaction().execute(async (trx) => {
        const withIds = batch.filter(({ user }) => user.id !== undefined)
        const idOf = new Map<number, number>(withIds.map(({ djangoId, user }) => [djangoId, user.id!]))
        await insertChunked(trx, withIds.map(({ user }) => toUserRow(user)), (chunk) => trx.insertInto('users').values(chunk))
        // Before the users without an id, so the id generator gives them none of the ids just written.
        if (withIds.length > 0) await options.afterUsersWithIds?.(trx)
        for (const { djangoId, user } of batch) {
          if (user.id !== undefined) continue
          // One at a time, as a multi-row RETURNING does not promise its order; such users are few.
          const { id } = await trx.insertInto('users').values(toUserRow(user)).returning('id').executeTakeFirstOrThrow()
          idOf.set(djangoId, id)
        }
        const links = batch.map(({ djangoId }) => ({ django_id: djangoId, user_id: idOf.get(djangoId)!, imported_at: importedAt }))
        await insertChunked(trx, links, (chunk) => trx.insertInto('django_users').values(chunk))
        return batch.map(({ djangoId }) => idOf.get(djangoId)!)
      })
    },

    async findImportedTokenHashes(secretHashes) {
      const taken: string[] = []
      for (const chunk of chunksOf(secretHashes)) {
        const rows = await db.selectFrom('django_tokens').select('secret_hash').where('secret_hash', 'in', chunk).execute()
        for (const row of rows) taken.push(row.secret_hash)
      }
      return taken
    },

    async insertDjangoSessions(sessions) {
      if (sessions.length === 0) return 0
      await db.transaction().execute(async (trx) => {
        await insertSessionRows(trx, sessions.map(toSessionRow), usesSessionSlots(db))
        const keys = sessions.map((session) => ({
          secret_hash: session.secretHash,
          imported_at: (session.importedAt ?? session.createdAt).getTime(),
        }))
        await insertChunked(trx, keys, (chunk) => trx.insertInto('django_tokens').values(chunk))
      })
      return sessions.length
    },
  }
}

/** `items` without repeats, in lists of at most MAX_ROWS_PER_STATEMENT (the engines' IN-list comfort). */
function chunksOf<T>(items: T[]): T[][] {
  const unique = [...new Set(items)]
  const chunks: T[][] = []
  for (let start = 0; start < unique.length; start += MAX_ROWS_PER_STATEMENT) chunks.push(unique.slice(start, start + MAX_ROWS_PER_STATEMENT))
  return chunks
}
