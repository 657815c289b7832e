import type { Kysely } from 'kysely'

/**
 * What `tessera import-django` keeps so that running it again changes nothing: `django_users`
 * links each imported Django user id to the Tessera user it became, `django_tokens` holds the
 * hash of every DRF key ever imported (so a key whose session was revoked, rotated or cleared is
 * never brought back), and `sessions.imported_at` is when an imported session's lifetime began.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('django_users')
    .addColumn('django_id', 'bigint', (col) => col.primaryKey())
    // Kept when the Tessera user is deleted, so a second run does not bring the user back.
    .addColumn('user_id', 'integer', (col) => col.unique().references('users.id').onDelete('set null'))
    .addColumn('imported_at', 'bigint', (col) => col.notNull())
    .execute()
  await db.schema
    .createTable('django_tokens')
    .addColumn('secret_hash', 'text', (col) => col.primaryKey())
    .addColumn('imported_at', 'bigint', (col) => col.notNull())
    .execute()
  // Nullable: null for every session Tessera started itself, so adding it rewrites no rows.
  await db.schema.alterTable('sessions').addColumn('imported_at', 'bigint').execute()
}

/** Drops what `up` made. */
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sessions').dropColumn('imported_at').execute()
  await db.schema.dropTable('django_tokens').execute()
  await db.schema.dropTable('django_users').execute()
}
