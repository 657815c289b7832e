import type { Kysely } from 'kysely'

/** Creates `refresh_tokens`: one row per link of a session's rotation chain, gone with its session. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('refresh_tokens')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('session_id', 'text', (col) => col.notNull().references('sessions.id').onDelete('cascade'))
    .addColumn('token_hash', 'text', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('expires_at', 'bigint', (col) => col.notNull())
    .addColumn('used_at', 'bigint')
    .execute()
  await db.schema
    .createIndex('refresh_tokens_token_hash_unique')
    .on('refresh_tokens')
    .column('token_hash')
    .unique()
    .execute()
  // Without it, each session deleteDeadSessions removes costs a scan of this table to find the
  // rows its cascade deletes.
  await db.schema.createIndex('refresh_tokens_session_id_index').on('refresh_tokens').column('session_id').execute()
}

/** Drops `refresh_tokens`. */
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('refresh_tokens').execute()
}
