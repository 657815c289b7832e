import { CompiledQuery, sql, type Compilable, type Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, testDatabaseUrl, type CreatedDatabase } from '../../../test/support/database.js'
import type { AuditEventQuery, NewAuditEvent, Store } from '../store.js'
import { createKyselyStore, migrateToLatest, openPostgres, openSqlite } from './index.js'
import { deleteAuditRange, oldestAuditBatch, selectAuditEvents } from './kysely-audit-store.js'
import type { Database } from './schema.js'

/*
 * The admin page lists the audit log newest first, overall, for one user, for one kind, and for
 * one user and kind; retention deletes by time. With millions of rows each must be a walk along an
 * index in id order that stops at the page's limit, never a scan and a sort: these tests ask each
 * engine's planner, on a table big enough (and analysed) for it to prefer what it would in production.
 */

const ROWS = 20_000

/**
 * ROWS rows as a busy log looks: user 1 under a guessing attack holds half of them (nearly all
 * failed logins), 500 other users share the rest; admin actions are rare.
 */
async function seed(store: Store): Promise<void> {
  const start = Date.UTC(2026, 0, 1)
  for (let base = 0; base < ROWS; base += 1000) {
    const batch: NewAuditEvent[] = Array.from({ length: 1000 }, (_, j) => {
      const i = base + j
      const attacked = i % 2 === 0
      const kind = attacked ? 'login.failed' : i % 200 === 1 ? 'admin.action' : i % 3 === 0 ? 'session.created' : 'login.succeeded'
      return { at: new Date(start + i * 1000), kind, userId: attacked ? 1 : 2 + (i % 500), actorId: null, address: '127.0.0.1', detail: {} }
    })
    await store.appendAuditEvents(batch)
  }
}

/**
 * The listings the page makes; for each, the index SQLite must walk (null: the table itself, by
 * rowid), the indexes PostgreSQL may read through, and whether it must walk one in id order (no
 * sort: the walk stops at the page's limit). PostgreSQL may sort a few dozen rows an index found.
 */
const LISTINGS: [string, AuditEventQuery, RegExp | null, RegExp, boolean][] = [
  ['newest first overall', { limit: 50 }, null, /^audit_events_pkey$/, true],
  ['the next page overall', { limit: 50, beforeId: 15_000 }, null, /^audit_events_pkey$/, true],
  ['one user with a few rows', { userId: 42, limit: 50 }, /^audit_events_user_id_(kind_)?id_index$/, /^audit_events_user_id_(kind_)?id_index$/, false],
  ['one user with half the rows', { userId: 1, limit: 50 }, /^audit_events_user_id_(kind_)?id_index$/, /^audit_events_(pkey|user_id_id_index)$/, true],
  ['one user, next page', { userId: 1, limit: 50, beforeId: 15_000 }, /^audit_events_user_id_(kind_)?id_index$/, /^audit_events_(pkey|user_id_id_index)$/, true],
  ['a rare kind', { kind: 'admin.action', limit: 50 }, /^audit_events_kind_id_index$/, /^audit_events_kind_id_index$/, false],
  ['a common kind', { kind: 'login.failed', limit: 50 }, /^audit_events_kind_id_index$/, /^audit_events_(pkey|kind_id_index)$/, true],
  ['one user and kind', { userId: 42, kind: 'login.succeeded', limit: 50 }, /^audit_events_user_id_kind_id_index$/, /^audit_events_user_id_(kind_)?id_index$/, false],
  ['the attacked user’s failures', { userId: 1, kind: 'login.failed', limit: 50 }, /^audit_events_user_id_kind_id_index$/, /^audit_events_(pkey|user_id_id_index|user_id_kind_id_index|kind_id_index)$/, true],
]

describe('audit listing plans: SQLite', () => {
  let db: Kysely<Database>

  beforeAll(async () => {
    db = openSqlite(':memory:')
    await migrateToLatest(db)
    await seed(createKyselyStore(db))
    await sql`analyze`.execute(db)
  })
  afterAll(async () => {
    await db.destroy()
  })

  /** SQLite's EXPLAIN QUERY PLAN lines for `query`. */
  const plan = async (query: Compilable): Promise<string[]> => {
    const compiled = query.compile()
    const { rows } = await db.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${compiled.sql}`, [...compiled.parameters]))
    return rows.map((row) => row.detail)
  }

  it.each(LISTINGS)('%s walks an index in id order, with no sort', async (_, query, index) => {
    const lines = await plan(selectAuditEvents(db, query))
    expect(lines.join('\n')).not.toMatch(/TEMP B-TREE/)
    if (index === null) {
      // The rowid is the primary key: a backward walk of the table itself, stopped by the limit.
      expect(lines.join('\n')).toMatch(/^(SCAN audit_events|SEARCH audit_events USING INTEGER PRIMARY KEY)/m)
    } else {
      const used = /USING (?:COVERING )?INDEX (\S+)/.exec(lines.join('\n'))?.[1]
      expect(used, lines.join('\n')).toMatch(index)
    }
  })

  it('retention finds its batch by the `at` index and deletes it by an index range', async () => {
    const before = new Date(Date.UTC(2026, 0, 1, 1))
    const lines = await plan(oldestAuditBatch(db, before))
    expect(lines.join('\n')).toMatch(/SEARCH audit_events USING (COVERING )?INDEX audit_events_at_index/)
    expect(lines.join('\n')).not.toMatch(/TEMP B-TREE/)
    const deletion = await plan(deleteAuditRange(db, 3600, before))
    // A range of the primary key or of `at`, whichever SQLite prefers: never a scan of the table.
    expect(deletion.join('\n')).toMatch(/^SEARCH audit_events USING (INTEGER PRIMARY KEY|(COVERING )?INDEX audit_events_at_index)/)
  })
})

// Null (the reason printed) without a PostgreSQL server; throws under CI=true.
const serverUrl = testDatabaseUrl()

if (serverUrl === null) {
  describe.skip('audit listing plans: PostgreSQL (no PostgreSQL server: see the printed reason)', () => {
    it('runs when TEST_DATABASE_URL is set or 127.0.0.1:5432 answers', () => {})
  })
} else {
  describe('audit listing plans: PostgreSQL', () => {
    let database: CreatedDatabase
    let db: Kysely<Database>

    beforeAll(async () => {
      database = await createTestDatabase(serverUrl)
      db = openPostgres(database.url)
      await migrateToLatest(db)
      await seed(createKyselyStore(db))
      await sql`analyze audit_events`.execute(db)
    })
    afterAll(async () => {
      await db?.destroy()
      await database?.drop()
    })

    interface PlanNode {
      'Node Type': string
      'Index Name'?: string
      Plans?: PlanNode[]
    }

    /** Every node of PostgreSQL's plan for `query`, depth first. */
    const plan = async (query: Compilable): Promise<PlanNode[]> => {
      const compiled = query.compile()
      const { rows } = await db.executeQuery<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
        CompiledQuery.raw(`explain (format json) ${compiled.sql}`, [...compiled.parameters]),
      )
      const nodes: PlanNode[] = []
      const walk = (node: PlanNode) => {
        nodes.push(node)
        for (const child of node.Plans ?? []) walk(child)
      }
      walk(rows[0]!['QUERY PLAN'][0].Plan)
      return nodes
    }
    const describePlan = (nodes: PlanNode[]) => nodes.map((n) => `${n['Node Type']}${n['Index Name'] ? ` on ${n['Index Name']}` : ''}`).join(' > ')

    it.each(LISTINGS)('%s reads through an index, never a scan of the table', async (_, query, __, indexes, inOrder) => {
      const nodes = await plan(selectAuditEvents(db, query))
      const types = nodes.map((node) => node['Node Type'])
      expect(types, describePlan(nodes)).not.toContain('Seq Scan')
      if (inOrder) expect(types, describePlan(nodes)).not.toContain('Sort')
      const scans = nodes.filter((node) => node['Index Name'] !== undefined)
      expect(scans.length, describePlan(nodes)).toBeGreaterThan(0)
      for (const scan of scans) expect(scan['Index Name'], describePlan(nodes)).toMatch(indexes)
    })

    it('retention finds its batch by the `at` index and deletes it by an index range', async () => {
      const before = new Date(Date.UTC(2026, 0, 1, 1))
      const batch = await plan(oldestAuditBatch(db, before))
      expect(batch.map((node) => node['Node Type']), describePlan(batch)).not.toContain('Seq Scan')
      expect(batch.some((node) => node['Index Name'] === 'audit_events_at_index'), describePlan(batch)).toBe(true)
      const deletion = await plan(deleteAuditRange(db, 3600, before))
      expect(deletion.map((node) => node['Node Type']), describePlan(deletion)).not.toContain('Seq Scan')
    })
  })
}
