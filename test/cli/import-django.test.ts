import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTessera } from '../../src/open-tessera.js'
import { damageableCopy, fixture } from '../import/support.js'
import { bundleCli } from '../support/cli-bundle.js'

// `tessera import-django` as an operator runs it: the built CLI in a child process, against the
// real Django fixture, into SQLite files of its own.
let cli: Awaited<ReturnType<typeof bundleCli>>
let dir: string
const { path: djangoPath, users } = fixture('default.sqlite3')

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `tessera import-django …` with DATABASE_URL naming `database` in the temp folder. */
function importDjango(database: string, args: string[]): Run {
  const inherited = Object.entries(process.env).filter(([key]) => !/^(TESSERA_|DATABASE_URL$|LOG_LEVEL$)/.test(key))
  const result = spawnSync(process.execPath, [cli.path, 'import-django', ...args], {
    cwd: dir,
    env: { ...Object.fromEntries(inherited), DATABASE_URL: `sqlite:${join(dir, database)}` },
    encoding: 'utf8',
    input: '',
  })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

async function countRows(database: string): Promise<{ users: number; sessions: number }> {
  const opened = await openTessera({ databaseUrl: `sqlite:${join(dir, database)}`, cacheSize: 0 })
  try {
    const page = await opened.tessera.listUsers({ limit: 200 })
    const sessions = await Promise.all(page.users.map((user) => opened.tessera.listSessions(user.id)))
    return { users: page.users.length, sessions: sessions.flat().length }
  } finally {
    await opened.close()
  }
}

beforeAll(async () => {
  cli = await bundleCli('cli-import')
  dir = mkdtempSync(join(tmpdir(), 'tessera-cli-import-'))
})

afterAll(() => {
  cli?.dispose()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('tessera import-django', () => {
  it('imports the fixture with a summary on stdout and notes on stderr, and a second run does nothing', async () => {
    const first = importDjango('a.db', ['--from', djangoPath])
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toMatch(/^Users: {2}11 read, 11 imported \(0 under a new id\), 0 already imported, 0 skipped$/m)
    expect(first.stdout).toMatch(/^Tokens: 10 read, 10 imported, 0 already imported, 0 skipped$/m)
    expect(first.stdout).toMatch(/^Time: +[\d.]+ s \([\d,]+ users\/s, [\d,]+ rows\/s\)$/m)
    expect(first.stderr).toBe('note: auth_user id 10 has no e-mail; imported with the placeholder django-user-10@no-email.invalid\n')
    expect(await countRows('a.db')).toEqual({ users: 11, sessions: 10 })
    const second = importDjango('a.db', ['--from', `sqlite:${djangoPath}`])
    expect(second.code).toBe(0)
    expect(second.stdout).toMatch(/^Users: {2}11 read, 0 imported .*11 already imported, 0 skipped$/m)
    expect(second.stdout).toMatch(/^Nothing to do: everything was imported before\.$/m)
    expect(second.stderr).toBe('')
    expect(await countRows('a.db')).toEqual({ users: 11, sessions: 10 })
    // Keys are secrets: no output ever shows one.
    for (const user of users) if (user.token) expect(first.stdout + first.stderr + second.stdout).not.toContain(user.token)
  })

  it('--dry-run reports what it would do and writes nothing', async () => {
    const run = importDjango('dry.db', ['--from', djangoPath, '--dry-run'])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/^Users: {2}11 read, 11 to import/m)
    expect(run.stdout).toMatch(/^Dry run: nothing was written\.$/m)
    expect(await countRows('dry.db')).toEqual({ users: 0, sessions: 0 })
  })

  it('--strict stops at the first problem row with status 1, after the summary', async () => {
    const { path, db } = damageableCopy('default.sqlite3', dir)
    db.prepare("UPDATE auth_user SET password = 'sha1$salt$abc' WHERE username = 'carol'").run()
    db.close()
    const run = importDjango('strict.db', ['--from', path, '--strict', '--batch-size', '2'])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('password: auth_user id 3 has a sha1 hash, a hasher Tessera does not verify;')
    expect(run.stderr).toMatch(/^tessera: error: stopped \(--strict\) at auth_user id 3; fix it, or run without --strict/m)
    expect(run.stdout).toMatch(/^Users: {2}4 read, 2 imported/m)
    expect(await countRows('strict.db')).toMatchObject({ users: 2 })
  })

  it('imports a custom user model with its mapping, and reports a missing user table in one line', async () => {
    const custom = fixture('custom.sqlite3')
    const run = importDjango('custom.db', ['--from', custom.path, '--user-table', 'accounts_account', '--no-username-column', '--emails-verified'])
    expect(run.code, run.stderr).toBe(0)
    expect(run.stderr).toMatch(/^warning: accounts_account has no username column/m)
    expect(run.stdout).toMatch(/^Users: {2}3 read, 3 imported/m)
    const opened = await openTessera({ databaseUrl: `sqlite:${join(dir, 'custom.db')}`, cacheSize: 0 })
    try {
      expect(await opened.tessera.getUser(1)).toMatchObject({ email: 'ann@example.org', username: 'ann', emailVerified: true })
    } finally {
      await opened.close()
    }
    const wrong = importDjango('custom.db', ['--from', custom.path])
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toMatch(/^tessera: error: .*has no auth_user table \(tables that may hold users: accounts_account, .*--user-table\n$/)
  })

  it('refuses a missing --from and a bad --batch-size as usage errors (status 2)', () => {
    expect(importDjango('x.db', []).code).toBe(2)
    const bad = importDjango('x.db', ['--from', djangoPath, '--batch-size', 'many'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toBe('tessera: error: --batch-size must be a whole number from 1 to 50000\n')
  })
})
