import BetterSqlite3 from 'better-sqlite3'
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { openDjangoSource } from '../../src/cli/django/open-django-source.js'
import { runDjangoImport } from '../../src/cli/django/run-django-import.js'
import type { DjangoImportOptions, DjangoImportReport } from '../../src/core/django-import.js'
import type { ImportIssue } from '../../src/core/django-rows.js'
import type { Tessera } from '../../src/core/tessera.js'
import { createTestDatabase, type CreatedDatabase } from '../support/database.js'

/*
 * The Django fixture (test/fixtures/django, made by scripts/django-fixture/make-fixture.sh with
 * real Django and DRF) and how the import tests use it.
 */

export const FIXTURES = fileURLToPath(new URL('../fixtures/django/', import.meta.url))
export type FixtureDatabase = 'default.sqlite3' | 'custom.sqlite3'
/** Where the fixture's SQLite files are built from their committed SQL (gitignored). */
const BUILT = fileURLToPath(new URL('../../test-output/django-fixture/', import.meta.url))

/**
 * The fixture database as a SQLite file, built once from the SQL dump that is committed in its
 * place (a repository holds no database files). Parallel test files may race to build it: each
 * writes its own temporary file and renames it, so a reader never sees half a database.
 */
export function fixtureFile(database: FixtureDatabase): string {
  const path = join(BUILT, database)
  if (existsSync(path)) return path
  mkdirSync(BUILT, { recursive: true })
  const partial = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}`
  const db = new BetterSqlite3(partial)
  try {
    // The dump creates tables in name order, before some tables its rows refer to (as sqlite3's .dump does).
    db.pragma('foreign_keys = OFF')
    db.exec(readFileSync(join(FIXTURES, database.replace(/\.sqlite3$/, '.sql')), 'utf8'))
  } finally {
    db.close()
  }
  renameSync(partial, path)
  return path
}

/** A user of the fixture as the build script describes it: original password and DRF key included. */
export interface FixtureUser {
  id: number
  username: string | null
  email: string
  hasher: string
  /** Null for the user with an unusable password. */
  password: string | null
  isActive: boolean
  isStaff: boolean
  isSuperuser: boolean
  dateJoined: string
  lastLogin: string | null
  token: string | null
  tokenCreated: string | null
}

/** The users of one fixture database and its user table. */
export function fixture(database: FixtureDatabase): { path: string; userTable: string; users: FixtureUser[] } {
  const described = JSON.parse(readFileSync(join(FIXTURES, 'users.json'), 'utf8'))
  const { userTable, users } = described.databases[database] as { userTable: string; users: FixtureUser[] }
  return { path: fixtureFile(database), userTable, users }
}

/** Copies a fixture database into `dir` (so a test may damage it) and opens it for writing. */
export function damageableCopy(database: FixtureDatabase, dir: string): { path: string; db: BetterSqlite3.Database } {
  const path = join(dir, `copy-${Date.now()}-${Math.random().toString(36).slice(2)}-${database}`)
  copyFileSync(fixtureFile(database), path)
  const db = new BetterSqlite3(path)
  // Damage Django's own constraints would refuse (a token of a user that does not exist).
  db.pragma('foreign_keys = OFF')
  return { path, db }
}

/** What an in-process import reports. */
export interface ImportRun {
  report: DjangoImportReport
  issues: ImportIssue[]
  warnings: string[]
}

/** Imports `from` into `tessera` as `tessera import-django` does, in this process. */
export async function importDjango(
  tessera: Tessera,
  from: string,
  options: Partial<Omit<DjangoImportOptions, 'onIssue' | 'userTable'>> & {
    userTable?: string
    usernameColumn?: string | false
    batchSize?: number
  } = {},
): Promise<ImportRun> {
  const source = await openDjangoSource(from, {
    userTable: options.userTable ?? 'auth_user',
    emailColumn: 'email',
    usernameColumn: options.usernameColumn,
  })
  const issues: ImportIssue[] = []
  const importer = tessera.startDjangoImport({
    userTable: source.shape.userTable,
    dryRun: options.dryRun ?? false,
    strict: options.strict ?? false,
    emailsVerified: options.emailsVerified ?? false,
    onIssue: (issue) => issues.push(issue),
  })
  try {
    await runDjangoImport(source, importer, options.batchSize ?? 5000)
  } finally {
    await source.close()
  }
  return { report: importer.report, issues, warnings: source.shape.warnings }
}

// Django 3.2's PostgreSQL DDL for these tables (`manage.py sqlmigrate auth 0001` … `authtoken 0003`, folded).
const DJANGO_POSTGRES_DDL = `
  CREATE TABLE "django_migrations" ("id" serial NOT NULL PRIMARY KEY, "app" varchar(255) NOT NULL,
    "name" varchar(255) NOT NULL, "applied" timestamp with time zone NOT NULL);
  CREATE TABLE "auth_user" ("id" serial NOT NULL PRIMARY KEY, "password" varchar(128) NOT NULL,
    "last_login" timestamp with time zone NULL, "is_superuser" boolean NOT NULL,
    "username" varchar(150) NOT NULL UNIQUE, "first_name" varchar(150) NOT NULL,
    "last_name" varchar(150) NOT NULL, "email" varchar(254) NOT NULL, "is_staff" boolean NOT NULL,
    "is_active" boolean NOT NULL, "date_joined" timestamp with time zone NOT NULL);
  CREATE TABLE "authtoken_token" ("key" varchar(40) NOT NULL PRIMARY KEY,
    "created" timestamp with time zone NOT NULL, "user_id" integer NOT NULL UNIQUE
    REFERENCES "auth_user" ("id") DEFERRABLE INITIALLY DEFERRED);
`

/**
 * A fresh PostgreSQL database holding the default fixture's Django tables and rows, as Django
 * would have made them on PostgreSQL (booleans, timestamptz); the caller drops it.
 */
export async function djangoOnPostgres(serverUrl: string): Promise<CreatedDatabase> {
  const database = await createTestDatabase(serverUrl)
  const sqlite = new BetterSqlite3(fixture('default.sqlite3').path, { readonly: true })
  const client = new pg.Client({ connectionString: database.url })
  await client.connect()
  try {
    await client.query(DJANGO_POSTGRES_DDL)
    for (const row of sqlite.prepare('SELECT app, name, applied FROM django_migrations').all() as Record<string, string>[]) {
      await client.query('INSERT INTO django_migrations (app, name, applied) VALUES ($1, $2, $3)', [row.app, row.name, utc(row.applied!)])
    }
    for (const row of sqlite.prepare('SELECT * FROM auth_user ORDER BY id').all() as Record<string, string | number | null>[]) {
      await client.query(
        `INSERT INTO auth_user (id, password, last_login, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [row.id, row.password, row.last_login === null ? null : utc(String(row.last_login)), row.is_superuser === 1, row.username,
          row.first_name, row.last_name, row.email, row.is_staff === 1, row.is_active === 1, utc(String(row.date_joined))],
      )
    }
    for (const row of sqlite.prepare('SELECT key, created, user_id FROM authtoken_token').all() as Record<string, string | number>[]) {
      await client.query('INSERT INTO authtoken_token (key, created, user_id) VALUES ($1, $2, $3)', [row.key, utc(String(row.created)), row.user_id])
    }
  } catch (error) {
    await database.drop()
    throw error
  } finally {
    sqlite.close()
    await client.end()
  }
  return database
}

/** Django's SQLite text datetime (naive UTC) as PostgreSQL reads a timestamptz. */
function utc(text: string): string {
  return `${text}+00`
}
