import type { Kysely } from 'kysely'

/** Creates `settings`, the server's own key-value store (signing keys, cookie secrets). */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('settings')
    .addColumn('key', 'text', (col) => col.primaryKey())
    .addColumn('value', 'text', (col) => col.notNull())
    .execute()
}

/** Drops `settings`. */
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('settings').execute()
}
