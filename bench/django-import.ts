/**
 * How fast `tessera import-django` takes over a large DRF deployment:
 *
 *   npm run build && npx tsc -p tsconfig.bench.json
 *   node dist-bench/bench/django-import.js [--users 1000000] [--postgres postgres://…/db] [--fresh]
 *
 * Makes (or reuses) bench/data/django-<N>.sqlite3 with the schema of the real Django fixture
 * (test/fixtures/django/default.sqlite3: Django 3.2's auth_user, authtoken_token and
 * django_migrations) and N users, each with a real pbkdf2_sha256 hash and a DRF key; then runs the
 * built CLI into a fresh Tessera database, twice — the import, then the rerun that must change
 * nothing — on SQLite, and on PostgreSQL when `--postgres` names a server (a database of its own
 * is created there and dropped at the end). Prints each run's summary and its wall time.
 */
import BetterSqlite3 from 'better-sqlite3'
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { DATA_DIR, ROOT } from './dist.js'

const FIXTURE = join(ROOT, 'test', 'fixtures', 'django', 'default.sqlite3')
const DJANGO_TABLES = ['django_migrations', 'auth_user', 'authtoken_token']
const CHUNK = 10_000

const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '1000000' },
    postgres: { type: 'string' },
    fresh: { type: 'boolean', default: false },
  },
})

const count = Number(args.users)
if (!Number.isInteger(count) || count < 1) throw new RangeError('--users must be a positive whole number')
mkdirSync(DATA_DIR, { recursive: true })
const django = join(DATA_DIR, `django-${count}.sqlite3`)
if (args.fresh || !existsSync(django)) makeDjangoDatabase(django, count)

const sqliteTarget = join(DATA_DIR, `import-target-${process.pid}.db`)
try {
  timedRuns('SQLite', `sqlite:${sqliteTarget}`)
} finally {
  for (const suffix of ['', '-wal', '-shm']) rmSync(sqliteTarget + suffix, { force: true })
}
if (args.postgres) {
  const name = `tessera_import_bench_${process.pid}`
  await onServer(args.postgres, `create database ${name}`)
  try {
    const url = new URL(args.postgres)
    url.pathname = `/${name}`
    timedRuns('PostgreSQL', url.toString())
  } finally {
    await onServer(args.postgres, `drop database if exists ${name} with (force)`)
  }
}

/** The import and its rerun into `databaseUrl`, each timed from the outside. */
function timedRuns(engine: string, databaseUrl: string): void {
  for (const run of ['import', 'rerun']) {
    const started = performance.now()
    const result = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli', 'main.js'), 'import-django', '--from', django], {
      env: { ...process.env, DATABASE_URL: databaseUrl },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 16 * 1024 * 1024,
    })
    const seconds = (performance.now() - started) / 1000
    if (result.status !== 0) throw new Error(`${engine} ${run}: tessera import-django exited with ${result.status}`)
    process.stdout.write(`\n${engine}, ${run} of ${count.toLocaleString('en-US')} users and keys: ${seconds.toFixed(1)} s wall, ` +
      `${Math.round(count / seconds).toLocaleString('en-US')} users/s\n${result.stdout}`)
  }
}

/** A Django-shaped SQLite file with `users` users and one DRF key each, written beside and then moved in place. */
function makeDjangoDatabase(path: string, users: number): void {
  const started = performance.now()
  const partial = `${path}.partial`
  rmSync(partial, { force: true })
  const fixture = new BetterSqlite3(FIXTURE, { readonly: true })
  const schema = fixture
    .prepare(`SELECT sql FROM sqlite_master WHERE tbl_name IN (${DJANGO_TABLES.map(() => '?').join(', ')}) AND sql IS NOT NULL`)
    .all(...DJANGO_TABLES) as { sql: string }[]
  // A real pbkdf2_sha256 hash made by Django, shared by every user: the import copies hashes, it never checks them.
  const { password } = fixture.prepare("SELECT password FROM auth_user WHERE password LIKE 'pbkdf2_sha256$%' LIMIT 1").get() as { password: string }
  const migrations = fixture.prepare('SELECT app, name, applied FROM django_migrations').all()
  fixture.close()
  const db = new BetterSqlite3(partial)
  try {
    db.pragma('journal_mode = OFF')
    db.pragma('synchronous = OFF')
    for (const { sql } of schema) db.exec(sql)
    const migration = db.prepare('INSERT INTO django_migrations (app, name, applied) VALUES (@app, @name, @applied)')
    for (const row of migrations) migration.run(row)
    const user = db.prepare(
      `INSERT INTO auth_user (id, password, last_login, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined)
       VALUES (?, ?, NULL, 0, ?, '', '', ?, 0, 1, '2021-06-01 12:00:00.000000')`,
    )
    const token = db.prepare("INSERT INTO authtoken_token (key, created, user_id) VALUES (?, '2022-01-01 12:00:00.000000', ?)")
    for (let first = 1; first <= users; first += CHUNK) {
      const last = Math.min(users, first + CHUNK - 1)
      db.transaction(() => {
        for (let id = first; id <= last; id++) {
          user.run(id, password, `user${id}`, `user${id}@example.com`)
          token.run(randomBytes(20).toString('hex'), id)
        }
      })()
    }
  } finally {
    db.close()
  }
  renameSync(partial, path)
  process.stdout.write(`made ${path} (${users.toLocaleString('en-US')} users) in ${((performance.now() - started) / 1000).toFixed(1)} s\n`)
}

async function onServer(serverUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl })
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}
