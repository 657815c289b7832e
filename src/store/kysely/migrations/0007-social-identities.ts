import { PostgresAdapter, type Kysely } from 'kysely'

/** As in 0001-users: the identity column differs between the engines, and only there. */
function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter
}

/**
 * Creates `social_identities` (a user's accounts at external identity providers, one row per
 * provider and subject) and `social_codes` (the short-lived single-use codes of the browser flow,
 * stored hashed). Both go with their user.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('social_identities')
    .addColumn('id', 'integer', (col) =>
      isPostgres(db) ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement(),
    )
    .addColumn('user_id', 'integer', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('provider', 'text', (col) => col.notNull())
    .addColumn('subject', 'text', (col) => col.notNull())
    .addColumn('email', 'text')
    .addColumn('email_verified', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('last_used_at', 'bigint', (col) => col.notNull())
    .execute()
  // Every social sign-in looks its identity up by these two; the store recognises a taken pair by a unique violation.
  await db.schema
    .createIndex('social_identities_provider_subject_unique')
    .on('social_identities')
    .columns(['provider', 'subject'])
    .unique()
    .execute()
  // For a user's list, the last-identity check, and the cascade when a user is deleted.
  await db.schema.createIndex('social_identities_user_id_index').on('social_identities').column('user_id').execute()

  await db.schema
    .createTable('social_codes')
    .addColumn('code_hash', 'text', (col) => col.primaryKey())
    // No CHECK on the purposes: adding one later would mean rebuilding the table in SQLite.
    .addColumn('purpose', 'text', (col) => col.notNull())
    .addColumn('user_id', 'integer', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('provider', 'text', (col) => col.notNull())
    .addColumn('device', 'text', (col) => col.notNull())
    .addColumn('challenge', 'text')
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('expires_at', 'bigint', (col) => col.notNull())
    .execute()
  await db.schema.createIndex('social_codes_user_id_index').on('social_codes').column('user_id').execute()
  // For deleteExpiredSocialCodes, run on every insert, which would otherwise scan the table.
  await db.schema.createIndex('social_codes_expires_at_index').on('social_codes').column('expires_at').execute()
}

/** Drops both tables. */
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('social_codes').execute()
  await db.schema.dropTable('social_identities').execute()
}
