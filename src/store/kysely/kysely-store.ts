import { CompiledQuery, sql, type Kysely, type Selectable, type Transaction, type Updateable } from 'kysely'
import { rankFirst } from '../rank-first.js'
import type { Store, UniqueConflict, UserWriteResult } from '../store.js'
import { compileOnce, compileOncePerColumns } from './compiled-once.js'
import { insertChunked, MAX_ROWS_PER_STATEMENT, runsBy } from './insert-chunked.js'
import { createKyselyAuditStore } from './kysely-audit-store.js'
import { createKyselyImportStore } from './kysely-import-store.js'
import { createKyselySettingsStore } from './kysely-settings-store.js'
import { createKyselySocialStore } from './kysely-social-store.js'
import { createKyselyTokenStore } from './kysely-token-store.js'
import {
  CREDENTIAL_COLUMNS,
  toSession,
  toSessionCredential,
  toSessionRow,
  toUser,
  toUserPatchRow,
  toUserRow,
  type Database,
  type UsersTable,
} from './schema.js'
import { atSlotsCondition, compiledSessionInsert, insertSessionRows, secretHashChange, SESSION_SLOTS, slotBase, usesSessionSlots } from './session-slots.js'

/**
 * A prepared SELECT: the first row's values in the order the query selects them, or undefined
 * when there is none. Values, not an object, so the hot path builds no object per column.
 */
export type PreparedRead = (parameters: readonly unknown[]) => readonly unknown[] | undefined | Promise<readonly unknown[] | undefined>

/** What an engine may add to the shared store; every field is optional. */
export interface KyselyStoreOptions {
  /**
   * Prepares `sql` (a compiled SELECT of this store) for repeated runs outside Kysely's executor,
   * such as a cached statement on a reader connection; it must see every committed write. The
   * hot path uses it so token checks neither queue behind a lock Kysely may hold for a whole
   * transaction (a bulk import) nor pay the executor's per-query cost.
   * @default runs through Kysely's executor
   */
  prepareRead?: (sql: string) => PreparedRead
  /**
   * Runs in the transaction that inserted users with ids of their own, after them, so the engine
   * can move its id generator past those ids (PostgreSQL's identity sequence does not follow them).
   * @default nothing, as SQLite's AUTOINCREMENT follows them by itself
   */
  afterUsersWithIds?: (trx: Transaction<Database>) => Promise<void>
}

/**
 * Builds the `Store` over any Kysely database holding Tessera's schema (see migrate.ts); every
 * engine shares it, so an engine file only opens the connection.
 */
export function createKyselyStore(db: Kysely<Database>, options: KyselyStoreOptions = {}): Store {
  // Compiled once: the hot path then costs one statement run, not a build and a compile.
  const credential = () =>
    db.selectFrom('sessions').innerJoin('users', 'users.id', 'sessions.user_id').select(CREDENTIAL_COLUMNS)
  const prepared = (sql: string): PreparedRead =>
    options.prepareRead?.(sql) ??
    (async (parameters) => {
      const row = (await db.executeQuery(CompiledQuery.raw(sql, [...parameters]))).rows[0]
      // Every column has a name of its own (CREDENTIAL_COLUMNS), so the object keeps them in order.
      return row === undefined ? undefined : Object.values(row as object)
    })
  const slotted = usesSessionSlots(db)
  const readBySecretHash = prepared(credential().where('sessions.secret_hash', '=', '').compile().sql)
  const readBySlots = prepared(credential().where(atSlotsCondition()).compile().sql)
  const readBySessionId = prepared(credential().where('sessions.id', '=', '').compile().sql)
  const credentialOf = (values: readonly unknown[] | undefined) => (values ? toSessionCredential(values) : null)
  /** The session of `secretHash` at the slots from `base`; else (written before slots, or its slots taken) by the index. */
  const readAtSlots = (base: number, secretHash: string) => {
    const atSlot = readBySlots([base, base + SESSION_SLOTS - 1, secretHash])
    if (atSlot instanceof Promise) return atSlot.then((values) => values ?? readBySecretHash([secretHash]))
    return atSlot ?? readBySecretHash([secretHash])
  }

  const usersWhere = (column: 'id' | 'email_key' | 'username_key') =>
    compileOnce(db, (value) => db.selectFrom('users').selectAll().where(column, '=', column === 'id' ? givenId(value('key')) : value<string>('key')))
  const [userById, userByEmailKey, userByUsernameKey] = [usersWhere('id'), usersWhere('email_key'), usersWhere('username_key')]
  const userOf = (rows: Selectable<UsersTable>[]) => (rows[0] ? toUser(rows[0]) : null)
  const liveSessionCount = compileOnce(db, (value) =>
    db
      .selectFrom('sessions')
      .select((eb) => eb.fn.countAll().as('live'))
      .where('user_id', '=', value<number>('userId'))
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', value<number>('now')),
  )
  // A user's UPDATE, compiled once per set of columns it changes (every login writes `last_login`).
  const updateUserColumns = compileOncePerColumns(db, (columns, value) =>
    db
      .updateTable('users')
      .set(columns)
      .where('id', '=', givenId(value(':id')))
      .returningAll(),
  )
  const updateUserRow = async (id: number, values: Updateable<UsersTable>) => (await updateUserColumns(values, { ':id': id }))[0]
  const touchSession = compileOnce(db, (value) =>
    db
      .updateTable('sessions')
      .set({ last_used_at: value('lastUsedAt'), expires_at: value('expiresAt') })
      .where('id', '=', value<string>('id')),
  )
  const insertSession = compiledSessionInsert(db, slotted)
  const findUserById = async (id: number) => userOf(await userById({ key: id }))

  return {
    async insertUser(user) {
      const values = toUserRow(user)
      const insert = (into: Kysely<Database>) =>
        into.insertInto('users').values(values).returningAll().executeTakeFirstOrThrow()
      const { afterUsersWithIds } = options
      try {
        const row =
          values.id === undefined || afterUsersWithIds === undefined
            ? await insert(db)
            : await db.transaction().execute(async (trx) => {
                const inserted = await insert(trx)
                await afterUsersWithIds(trx)
                return inserted
              })
        return { ok: true, user: toUser(row) }
      } catch (error) {
        return refusal(error)
      }
    },

    async insertUsers(users) {
      if (users.length === 0) return 0
      const rows = users.map(toUserRow)
      await db.transaction().execute(async (trx) => {
        // A multi-row INSERT needs one column list, so users with and without an id go apart.
        for (const run of runsBy(rows, (row) => row.id !== undefined)) {
          await insertChunked(trx, run, (chunk) => trx.insertInto('users').values(chunk))
        }
        if (rows.some((row) => row.id !== undefined)) await options.afterUsersWithIds?.(trx)
      })
      return users.length
    },

    findUserById,

    async findUserByEmailKey(emailKey) {
      return userOf(await userByEmailKey({ key: emailKey }))
    },

    async findUserByUsernameKey(usernameKey) {
      return userOf(await userByUsernameKey({ key: usernameKey }))
    },

    async updateUser(id, patch) {
      const values = toUserPatchRow(patch)
      if (Object.keys(values).length === 0) {
        const user = await findUserById(id)
        return user ? { ok: true, user } : null
      }
      try {
        const row = await updateUserRow(id, values)
        return row ? { ok: true, user: toUser(row) } : null
      } catch (error) {
        return refusal(error)
      }
    },

    async listUsers({ q, isActive, isStaff, afterId, limit }) {
      let query = db.selectFrom('users').selectAll()
      if (q !== undefined && q !== '') {
        const pattern = `%${escapeLike(q.normalize('NFC').toLowerCase())}%`
        query = query.where(({ or }) => or([likeEscaped('email_key', pattern), likeEscaped('username_key', pattern)]))
      }
      if (isActive !== undefined) query = query.where('is_active', '=', isActive ? 1 : 0)
      if (isStaff !== undefined) query = query.where('is_staff', '=', isStaff ? 1 : 0)
      if (afterId !== undefined) query = query.where('id', '>', givenId(afterId))
      const rows = await query.orderBy('id').limit(limit).execute()
      return rows.map(toUser)
    },

    async insertSession(session) {
      await insertSession(toSessionRow(session))
    },

    async insertSessions(sessions) {
      if (sessions.length === 0) return 0
      const rows = sessions.map(toSessionRow)
      await db.transaction().execute((trx) => insertSessionRows(trx, rows, slotted))
      return sessions.length
    },

    findCredentialBySecretHash(secretHash) {
      // SQLite's reader answers synchronously; keeping it so spares every cache miss a promise.
      const base = slotted ? slotBase(secretHash) : null
      const values = base === null ? readBySecretHash([secretHash]) : readAtSlots(base, secretHash)
      return values instanceof Promise ? values.then(credentialOf) : credentialOf(values)
    },

    findCredentialBySessionId(id) {
      const values = readBySessionId([id])
      return values instanceof Promise ? values.then(credentialOf) : credentialOf(values)
    },

    async findSessionById(id) {
      const row = await db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst()
      return row ? toSession(row) : null
    },

    async listLiveSessions(userId, now) {
      const rows = await db
        .selectFrom('sessions')
        .selectAll()
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now.getTime())
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .execute()
      return rows.map(toSession)
    },

    async touchSessions(touches) {
      if (touches.length === 0) return
      await db.transaction().execute(async (trx) => {
        for (const { id, lastUsedAt, expiresAt } of touches) await touchSession({ lastUsedAt: lastUsedAt.getTime(), expiresAt: expiresAt.getTime(), id }, trx)
      })
    },

    async replaceSessionSecret(id, secretHash) {
      const result = await db
        .updateTable('sessions')
        .set(secretHashChange(secretHash, slotted))
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst()
      return result.numUpdatedRows > 0n
    },

    async revokeSession(id, at) {
      const result = await db
        .updateTable('sessions')
        .set({ revoked_at: at.getTime() })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst()
      return result.numUpdatedRows > 0n
    },

    async revokeUserSessions(userId, at, exceptId) {
      let query = db
        .updateTable('sessions')
        .set({ revoked_at: at.getTime() })
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
      if (exceptId !== undefined) query = query.where('id', '!=', exceptId)
      const rows = await query.returning('id').execute()
      return rows.map((row) => row.id)
    },

    async revokeDeviceSessions(userId, device, at) {
      const rows = await db
        .updateTable('sessions')
        .set({ revoked_at: at.getTime() })
        .where('user_id', '=', userId)
        .where('device', '=', device)
        .where('revoked_at', 'is', null)
        .returning('id')
        .execute()
      return rows.map((row) => row.id)
    },

    async revokeSessionsBeyond(userId, keep, now, keepId) {
      if (!Number.isInteger(keep) || keep < 0) throw new RangeError('tessera: keep must be an integer ≥ 0')
      // Every login asks; almost every answer is "nothing to do", which a count over the user's
      // index rows tells without a transaction or a row per session.
      const [counted] = await liveSessionCount({ userId, now: now.getTime() })
      if (Number(counted?.live ?? 0) <= keep) return []
      // Portable: SQLite cannot OFFSET without LIMIT and PostgreSQL has no LIMIT -1, so the few
      // ids of one user are ranked here, inside the transaction that revokes them.
      return db.transaction().execute(async (trx) => {
        const live = await trx
          .selectFrom('sessions')
          .select('id')
          .where('user_id', '=', userId)
          .where('revoked_at', 'is', null)
          .where('expires_at', '>', now.getTime())
          .orderBy('created_at', 'desc')
          .orderBy('id', 'desc')
          .execute()
        const beyond = rankFirst(live.map((row) => row.id), keepId).slice(keep)
        const revoked: string[] = []
        for (let start = 0; start < beyond.length; start += MAX_ROWS_PER_STATEMENT) {
          const rows = await trx
            .updateTable('sessions')
            .set({ revoked_at: now.getTime() })
            .where('id', 'in', beyond.slice(start, start + MAX_ROWS_PER_STATEMENT))
            .where('revoked_at', 'is', null)
            .returning('id')
            .execute()
          for (const row of rows) revoked.push(row.id)
        }
        return revoked
      })
    },

    async deleteDeadSessions(before) {
      // Their refresh tokens go with them: ON DELETE CASCADE (SQLite has foreign_keys on, sqlite.ts).
      const at = before.getTime()
      const result = await db
        .deleteFrom('sessions')
        .where(({ or, eb }) => or([eb('revoked_at', '<', at), eb('expires_at', '<', at)]))
        .executeTakeFirst()
      return Number(result.numDeletedRows)
    },

    ...createKyselySettingsStore(db),
    ...createKyselyTokenStore(db),
    ...createKyselySocialStore(db),
    ...createKyselyAuditStore(db),
    ...createKyselyImportStore(db, options),

    async ping() {
      await sql`select 1`.execute(db)
    },

    async close() {
      await db.destroy()
    },
  }
}

/** Turns a unique violation on a user key into a conflict result; rethrows anything else. */
function refusal(error: unknown): UserWriteResult {
  const conflict = uniqueConflictOf(error)
  if (conflict === null) throw error
  return { ok: false, conflict }
}

/**
 * Which user key a failed write collided on, or null for any other error. SQLite says `UNIQUE
 * constraint failed: users.email_key` (code SQLITE_CONSTRAINT_UNIQUE); PostgreSQL sets code 23505
 * and the index name (`users_email_key_unique`) in `constraint`.
 */
export function uniqueConflictOf(error: unknown): UniqueConflict | null {
  if (typeof error !== 'object' || error === null) return null
  const { code, constraint, message } = error as { code?: unknown; constraint?: unknown; message?: unknown }
  if (code !== 'SQLITE_CONSTRAINT_UNIQUE' && code !== '23505') return null
  const where = typeof constraint === 'string' ? constraint : typeof message === 'string' ? message : ''
  if (where.includes('username_key')) return 'username'
  if (where.includes('email_key')) return 'email'
  return null
}

/**
 * An id from outside (the CLI, a staff tool) as a 64-bit value: PostgreSQL's `integer` column
 * would refuse one beyond 2^31 - 1 with an error where the answer is simply "no such user".
 */
function givenId(id: number) {
  return sql<number>`cast(${id} as bigint)`
}

/** A LIKE condition with `!` as its escape character, which means the same in both engines. */
function likeEscaped(column: 'email_key' | 'username_key', pattern: string) {
  return sql<boolean>`${sql.ref(column)} like ${pattern} escape '!'`
}

/** Makes `%`, `_` and `!` in user input match themselves. */
function escapeLike(text: string): string {
  return text.replace(/[!%_]/g, (char) => `!${char}`)
}
