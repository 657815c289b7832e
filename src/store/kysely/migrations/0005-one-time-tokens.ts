import type { Kysely } from 'kysely'

/** Creates `one_time_tokens`: password-reset and e-mail-verification tokens, stored hashed. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('one_time_tokens')
    .addColumn('token_hash', 'text', (col) => col.primaryKey())
    .addColumn('user_id', 'integer', (col) => col.notNull().references('users.id').onDelete('cascade'))
    // No CHECK on the purposes: adding one later would mean rebuilding the table in SQLite.
    .addColumn('purpose', 'text', (col) => col.notNull())
    .addColumn('email', 'text', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('expires_at', 'bigint', (col) => col.notNull())
    .addColumn('used_at', 'bigint')
    .execute()
  // For the cascade when a user is deleted.
  await db.schema.createIndex('one_time_tokens_user_id_index').on('one_time_tokens').column('user_id').execute()
  // For deleteExpiredOneTimeTokens, which would otherwise scan the table.
  await db.schema
    .createIndex('one_time_tokens_expires_at_index')
    .on('one_time_tokens')
    .column('expires_at')
    .execute()
}

/** Drops `one_time_tokens`. */
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('one_time_tokens').execute()
}
