import BetterSqlite3 from 'better-sqlite3'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { CommandError } from '../../src/cli/run-command.js'
import { testDatabaseUrl } from '../support/database.js'
import { makeServer, register, type TestServer } from '../support/server.js'
import { damageableCopy, djangoOnPostgres, fixture, importDjango } from './support.js'

// Where the rows come from: a custom user model, a database missing a table or not Django's at
// all, and Django on PostgreSQL. Runs on SQLite and on PostgreSQL (the Tessera side).
const dir = mkdtempSync(join(tmpdir(), 'tessera-import-'))
const servers: TestServer[] = []

async function freshServer(): Promise<TestServer> {
  const server = await makeServer()
  servers.push(server)
  return server
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.dispose()))
})
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

const loginStatus = async (server: TestServer, username: string, password: string) =>
  (await server.app.inject({ method: 'POST', url: '/auth/login', payload: { username, password } })).statusCode
const userByKey = async (server: TestServer, key: string) =>
  server.app.inject({ method: 'GET', url: '/auth/user', headers: { authorization: `Token ${key}` } })

describe('import-django with a custom user model (USERNAME_FIELD = "email", no username column)', () => {
  const custom = fixture('custom.sqlite3')

  it('derives usernames as registration does, and every e-mail logs in with its original password', async () => {
    const server = await freshServer()
    const run = await importDjango(server.tessera, custom.path, { userTable: 'accounts_account' })
    expect(run.warnings).toContain('accounts_account has no username column: usernames are derived from e-mails, as registration does')
    expect(run.report.users).toMatchObject({ read: 3, imported: 3, skipped: 0 })
    expect(run.report.tokens).toMatchObject({ read: 2, imported: 2 })
    for (const user of custom.users) {
      const stored = await server.tessera.getUser(user.id)
      expect(stored).toMatchObject({ email: user.email, username: user.email.split('@')[0], isActive: user.isActive, isStaff: user.isStaff })
      expect(await loginStatus(server, user.email, user.password!)).toBe(user.isActive ? 200 : 400)
      if (user.token) expect((await userByKey(server, user.token)).json().user.email).toBe(user.email)
    }
  })

  it('takes usernames from --username-column, deriving only where it is empty, and a distinct one when taken', async () => {
    const server = await freshServer()
    await register(server, { username: 'ben', email: 'ben@tessera.example' })
    const run = await importDjango(server.tessera, custom.path, { userTable: 'accounts_account', usernameColumn: 'handle' })
    const usernames = await Promise.all(custom.users.map(async (user) => (await server.tessera.findUser(user.email))?.username))
    expect(usernames).toEqual(['ann', 'ben-2', 'cat'])
    // The registered user holds id 1 as well, so ann (Django id 1) gets a new one.
    expect(run.issues).toEqual([
      { kind: 'changed', row: 'accounts_account id 2', message: 'has no username of its own and ben is taken; imported as ben-2' },
      { kind: 'changed', row: 'accounts_account id 1', message: 'has an id another Tessera user holds; was imported as Tessera user 4' },
    ])
  })

  it('names the table when --user-table is missing, and the column when a mapping is wrong', async () => {
    const server = await freshServer()
    await expect(importDjango(server.tessera, custom.path)).rejects.toThrow(
      new CommandError(
        `${custom.path} has no auth_user table (tables that may hold users: accounts_account, accounts_account_groups, ` +
          'accounts_account_user_permissions); name a custom user model\'s table with --user-table',
      ),
    )
    await expect(importDjango(server.tessera, custom.path, { userTable: 'accounts_account', usernameColumn: 'nickname' })).rejects.toThrow(
      /^accounts_account has no column nickname \(its columns: date_joined, email, handle, id, is_active, is_staff, is_superuser, last_login, password\); name it with --username-column$/,
    )
  })
})

describe('import-django with databases that are not what they should be', () => {
  it('refuses a database that is not Django\'s, a file that is not SQLite, and a missing file, saying which', async () => {
    const server = await freshServer()
    const other = join(dir, 'other.sqlite3')
    const db = new BetterSqlite3(other)
    db.exec('CREATE TABLE things (id integer primary key, name text)')
    db.close()
    await expect(importDjango(server.tessera, other)).rejects.toThrow(
      `${other} is not a Django database: it has neither a django_migrations nor a auth_user table`,
    )
    const text = join(dir, 'notes.txt')
    writeFileSync(text, 'these are not the tables you are looking for\n'.repeat(100))
    await expect(importDjango(server.tessera, text)).rejects.toThrow(new RegExp(`^${text} is not an SQLite database`))
    await expect(importDjango(server.tessera, join(dir, 'missing.sqlite3'))).rejects.toThrow(/^cannot open .*missing\.sqlite3/)
    expect((await server.tessera.listUsers({ limit: 10 })).users).toEqual([])
  })

  it('imports the users of a database without DRF\'s token table, and says there are no keys', async () => {
    const server = await freshServer()
    const { path, db } = damageableCopy('default.sqlite3', dir)
    db.exec('DROP TABLE authtoken_token')
    db.close()
    const run = await importDjango(server.tessera, path)
    expect(run.warnings).toEqual([`${path} has no authtoken_token table (rest_framework.authtoken): no keys to import`])
    expect(run.report.users).toMatchObject({ imported: 11 })
    expect(run.report.tokens).toEqual({ read: 0, imported: 0, unchanged: 0, skipped: 0 })
  })

  it('reads a user table without the optional columns, using Django\'s defaults and saying so', async () => {
    const server = await freshServer()
    const { path, db } = damageableCopy('default.sqlite3', dir)
    db.exec('CREATE TABLE members (id integer primary key, password varchar(128) not null, email varchar(254) not null)')
    db.exec("INSERT INTO members (id, password, email) SELECT id, password, email FROM auth_user WHERE email <> ''")
    db.close()
    const run = await importDjango(server.tessera, path, { userTable: 'members' })
    expect(run.warnings).toEqual([
      'members has no username column: usernames are derived from e-mails, as registration does',
      'members has no is_active column: users are imported as active',
      'members has no is_staff column: users are imported as not staff',
      'members has no is_superuser column: users are imported as not superusers',
      'members has no date_joined column: users are imported as joined now',
      'members has no last_login column: users are imported as never logged in',
    ])
    expect(run.report.users).toMatchObject({ read: 10, imported: 10 })
    const grace = fixture('default.sqlite3').users.find((user) => user.username === 'grace')!
    expect(await server.tessera.getUser(grace.id)).toMatchObject({ isActive: true, username: 'grace' })
    expect(await loginStatus(server, grace.email, grace.password!)).toBe(200)
  })
})

describe('import-django from Django on PostgreSQL', () => {
  const serverUrl = testDatabaseUrl()

  it.skipIf(serverUrl === null)('reads booleans and timestamps as PostgreSQL gives them, and imports the same as from SQLite', async () => {
    const django = await djangoOnPostgres(serverUrl!)
    try {
      const [fromPostgres, fromSqlite] = [await freshServer(), await freshServer()]
      const viaPostgres = await importDjango(fromPostgres.tessera, django.url)
      const viaSqlite = await importDjango(fromSqlite.tessera, fixture('default.sqlite3').path)
      expect(viaPostgres.report).toEqual(viaSqlite.report)
      expect(viaPostgres.issues).toEqual(viaSqlite.issues)
      const { users } = fixture('default.sqlite3')
      for (const user of users) {
        const [a, b] = await Promise.all([fromPostgres.tessera.getUser(user.id), fromSqlite.tessera.getUser(user.id)])
        expect({ ...a, passwordChangedAt: null }).toEqual({ ...b, passwordChangedAt: null })
      }
      const ivan = users.find((user) => user.username === 'ivan')!
      expect(await loginStatus(fromPostgres, 'ivan', ivan.password!)).toBe(200)
      expect((await userByKey(fromPostgres, ivan.token!)).json().user).toMatchObject({ isSuperuser: true, isStaff: true })
      const again = await importDjango(fromPostgres.tessera, django.url)
      expect(again.report.users).toMatchObject({ imported: 0, unchanged: 11 })
    } finally {
      await django.drop()
    }
  })
})
