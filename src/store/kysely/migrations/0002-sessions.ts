import type { Kysely } from 'kysely'

/** Creates `sessions`: the hot-path index on `secret_hash`, and the indexes listing and cleanup use. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('user_id', 'integer', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('secret_hash', 'text', (col) => col.notNull())
    .addColumn('device', 'text', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('last_used_at', 'bigint', (col) => col.notNull())
    .addColumn('expires_at', 'bigint', (col) => col.notNull())
    .addColumn('revoked_at', 'bigint')
    .execute()
  await db.schema
    .createIndex('sessions_secret_hash_unique')
    .on('sessions')
    .column('secret_hash')
    .unique()
    .execute()
  await db.schema.createIndex('sessions_user_id_index').on('sessions').column('user_id').execute()
  // deleteDeadSessions asks for `revoked_at < ? OR expires_at < ?`: with an index on each side
  // both engines answer it as a union of two index ranges instead of a scan of every session.
  await db.schema.createIndex('sessions_expires_at_index').on('sessions').column('expires_at').execute()
  // Partial, because live sessions (nearly all rows) have no revocation time to index.
  await db.schema
    .createIndex('sessions_revoked_at_index')
    .on('sessions')
    .column('revoked_at')
    .where('revoked_at', 'is not', null)
    .execute()
}

/** Drops `sessions`. */
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('sessions').execute()
}
