import { PostgresAdapter, type Kysely } from 'kysely'

/** As in 0001-users: the identity column differs between the engines, and only there. */
function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter
}

/**
 * Creates `audit_events`: the append-only log of auth events, and the indexes of the admin page's
 * listings, each read newest first by id: all rows, one user's rows, one kind's rows, one user's
 * rows of one kind. Rows name users without a foreign key, so history outlives deleted accounts.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = isPostgres(db)
  await db.schema
    .createTable('audit_events')
    // Keyset pagination needs ids that only grow: AUTOINCREMENT never reuses one, even after the
    // newest rows are deleted; PostgreSQL's identity sequence never goes back either.
    .addColumn('id', postgres ? 'bigint' : 'integer', (col) =>
      postgres ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement(),
    )
    .addColumn('at', 'bigint', (col) => col.notNull())
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('user_id', 'integer')
    .addColumn('actor_id', 'integer')
    .addColumn('address', 'text')
    .addColumn('detail', 'text', (col) => col.notNull().defaultTo('{}'))
    .execute()
  await db.schema.createIndex('audit_events_user_id_id_index').on('audit_events').columns(['user_id', 'id']).execute()
  await db.schema.createIndex('audit_events_kind_id_index').on('audit_events').columns(['kind', 'id']).execute()
  // A user flooded with failed logins must not make "their admin actions" a scan of every row.
  await db.schema
    .createIndex('audit_events_user_id_kind_id_index')
    .on('audit_events')
    .columns(['user_id', 'kind', 'id'])
    .execute()
  // For deleteAuditEventsBefore (retention), which would otherwise scan the whole log.
  await db.schema.createIndex('audit_events_at_index').on('audit_events').column('at').execute()
}

/** Drops `audit_events`. */
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('audit_events').execute()
}
