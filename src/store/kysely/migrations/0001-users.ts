import { PostgresAdapter, type Kysely } from 'kysely'

/**
 * The one place where the engines' DDL differs: SQLite's AUTOINCREMENT never reuses an id, and
 * PostgreSQL's identity column is its standard equivalent. `getExecutor()` (public in Kysely's
 * types, though documented as internal) is the one way to see the dialect of a `Kysely<any>`.
 */
function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter
}

/** Creates `users` with its two unique case-folded keys. */
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = isPostgres(db)
  await db.schema
    .createTable('users')
    .addColumn('id', 'integer', (col) =>
      postgres ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement(),
    )
    .addColumn('email', 'text', (col) => col.notNull())
    .addColumn('email_key', 'text', (col) => col.notNull())
    .addColumn('username', 'text', (col) => col.notNull())
    .addColumn('username_key', 'text', (col) => col.notNull())
    .addColumn('password_hash', 'text', (col) => col.notNull())
    .addColumn('is_active', 'integer', (col) => col.notNull().defaultTo(1))
    .addColumn('is_staff', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('is_superuser', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('email_verified', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('bio', 'text')
    .addColumn('image', 'text')
    .addColumn('date_joined', 'bigint', (col) => col.notNull())
    .addColumn('last_login', 'bigint')
    .addColumn('password_changed_at', 'bigint', (col) => col.notNull())
    .execute()
  // The store recognises a conflict by these index names (kysely-store.ts: uniqueConflictOf).
  await db.schema.createIndex('users_email_key_unique').on('users').column('email_key').unique().execute()
  await db.schema
    .createIndex('users_username_key_unique')
    .on('users')
    .column('username_key')
    .unique()
    .execute()
}

/** Drops `users`. */
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('users').execute()
}
