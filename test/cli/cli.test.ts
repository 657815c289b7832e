import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundleCli } from '../support/cli-bundle.js'
import { openTessera } from '../../src/open-tessera.js'

let cli: Awaited<ReturnType<typeof bundleCli>>
let bundle: string
const PASSWORD = 'violet-kettle-harbour-42'

let dir: string
let databaseUrl: string

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `tessera …` in `cwd` with the test database plus `env`; stdin is a pipe, not a terminal. */
function tessera(args: string[], env: Record<string, string | undefined> = {}, cwd = dir): Run {
  const inherited = Object.entries(process.env).filter(([key]) => !/^(TESSERA_|DATABASE_URL$|LOG_LEVEL$|PORT$)/.test(key))
  const result = spawnSync(process.execPath, [bundle, ...args], {
    cwd,
    // An undefined value leaves the variable unset in the child.
    env: { ...Object.fromEntries(inherited), DATABASE_URL: databaseUrl, ...env },
    encoding: 'utf8',
    input: '',
  })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

/** Creates a superuser through the CLI and returns its run. */
function createSuperuser(email: string, password = PASSWORD, extra: Record<string, string> = {}): Run {
  return tessera(['createsuperuser', '--no-input'], { TESSERA_SUPERUSER_EMAIL: email, TESSERA_SUPERUSER_PASSWORD: password, ...extra })
}

/** Asserts a failure reported as exactly one `tessera: error:` line and no stack trace. */
function expectOneErrorLine(run: Run, code: number, pattern: RegExp): void {
  expect(run.code).toBe(code)
  const lines = run.stderr.trimEnd().split('\n')
  expect(lines).toHaveLength(1)
  expect(lines[0]).toMatch(/^tessera: error: /)
  expect(lines[0]).toMatch(pattern)
  expect(run.stderr).not.toMatch(/\n\s+at /)
}

/** Whether `token` still authenticates, checked through the core against the same database. */
async function tokenWorks(token: string): Promise<boolean> {
  const opened = await openTessera({ databaseUrl, cacheSize: 0, settings: {} })
  try {
    return (await opened.tessera.validateToken(token)).ok
  } finally {
    await opened.close()
  }
}

beforeAll(async () => {
  cli = await bundleCli('cli')
  bundle = cli.path
  dir = mkdtempSync(join(tmpdir(), 'tessera-cli-'))
  databaseUrl = `sqlite:${join(dir, 'x.db')}`
})

afterAll(() => {
  cli?.dispose()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('tessera CLI', () => {
  it('lists its commands, and serve --help lists the environment variables', () => {
    const help = tessera(['--help'])
    expect(help.code).toBe(0)
    for (const command of ['serve', 'migrate', 'createsuperuser', 'token', 'users', 'cleartokens']) expect(help.stdout).toContain(command)
    const serve = tessera(['serve', '--help'])
    expect(serve.code).toBe(0)
    expect(serve.stdout).toMatch(/Environment:[\s\S]*DATABASE_URL[\s\S]*LOG_LEVEL/)
  })

  it('migrate creates the database and reports the schema', () => {
    const run = tessera(['migrate'])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/^Database is up to date/)
    expect(existsSync(join(dir, 'x.db'))).toBe(true)
  })

  it('createsuperuser --no-input creates a staff superuser from TESSERA_SUPERUSER_*', () => {
    const run = createSuperuser('admin@example.com')
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/^Superuser created: admin@example\.com \(id \d+\)\n$/)
    const list = tessera(['users', 'list'])
    expect(list.stdout).toMatch(/admin@example\.com\s+admin\s+yes\s+yes\s+yes/)
  })

  it('createsuperuser refuses a weak password with the validator message and status 1', () => {
    const run = createSuperuser('weak@example.com', 'password')
    expectOneErrorLine(run, 1, /^tessera: error: password: .*This password is too common\.$/)
    expect(run.stdout).toBe('')
    expect(tessera(['users', 'list', '--search', 'weak']).stdout).toBe('')
  })

  it('createsuperuser refuses a taken e-mail, and needs --no-input without a terminal', () => {
    expectOneErrorLine(createSuperuser('ADMIN@example.com', PASSWORD, { TESSERA_SUPERUSER_USERNAME: 'other' }), 1, /email: A user with that email already exists\./)
    expectOneErrorLine(tessera(['createsuperuser']), 2, /--no-input/)
    expectOneErrorLine(tessera(['createsuperuser', '--no-input']), 2, /TESSERA_SUPERUSER_EMAIL/)
  })

  it('token create prints the token alone on stdout, once, and the database keeps only its hash', async () => {
    expect(createSuperuser('bob@example.com').code).toBe(0)
    const run = tessera(['token', 'create', 'bob'])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/^tsr_[A-Za-z0-9_-]{40,}\n$/)
    const token = run.stdout.trim()
    expect(run.stderr).toMatch(/shown only this once/)
    expect(run.stderr).not.toContain(token)
    expect(await tokenWorks(token)).toBe(true)
    const stored = ['x.db', 'x.db-wal'].filter((f) => existsSync(join(dir, f))).map((f) => readFileSync(join(dir, f)).toString('latin1'))
    expect(stored.join('')).not.toContain(token)
  })

  it('token create -r revokes the earlier token of the same device, and only that device', async () => {
    const first = tessera(['token', 'create', 'bob@example.com', '--device', 'laptop']).stdout.trim()
    const phone = tessera(['token', 'create', 'bob', '--device', 'phone']).stdout.trim()
    const second = tessera(['token', 'create', 'bob', '--device', 'laptop', '-r'])
    expect(second.code).toBe(0)
    expect(second.stderr).toMatch(/Revoked 1 previous session on device "laptop"/)
    expect(await tokenWorks(first)).toBe(false)
    expect(await tokenWorks(second.stdout.trim())).toBe(true)
    expect(await tokenWorks(phone)).toBe(true)
  })

  it('token list shows sessions without any secret, and token revoke ends one', async () => {
    const token = tessera(['token', 'create', 'bob', '--device', 'tablet']).stdout.trim()
    const list = tessera(['token', 'list', 'bob'])
    expect(list.code).toBe(0)
    const [header, ...rows] = list.stdout.trimEnd().split('\n')
    expect(header).toMatch(/^ID\s+DEVICE\s+CREATED\s+LAST USED\s+EXPIRES$/)
    expect(rows.map((row) => row.split(/\s+/)[1]).sort()).toEqual(['cli', 'laptop', 'phone', 'tablet'])
    expect(list.stdout + list.stderr).not.toMatch(/tsr_/)
    const tabletId = rows.find((row) => row.includes('tablet'))?.split(/\s+/)[0] ?? ''
    const revoke = tessera(['token', 'revoke', tabletId])
    expect(revoke.code).toBe(0)
    expect(revoke.stdout).toBe(`Revoked session ${tabletId}.\n`)
    expect(await tokenWorks(token)).toBe(false)
    expectOneErrorLine(tessera(['token', 'revoke', tabletId]), 1, /No live session/)
  })

  it('users list searches and pages, and rejects a bad --limit as a usage error', () => {
    const all = tessera(['users', 'list'])
    expect(all.stdout.split('\n')[0]).toMatch(/^ID\s+EMAIL\s+USERNAME\s+ACTIVE\s+STAFF\s+SUPERUSER\s+JOINED$/)
    expect(all.stdout).toContain('bob@example.com')
    const bob = tessera(['users', 'list', '--search', 'BOB'])
    expect(bob.stdout).not.toContain('admin@example.com')
    expect(bob.stdout).toContain('bob@example.com')
    const page = tessera(['users', 'list', '--limit', '1'])
    expect(page.stdout.trimEnd().split('\n')).toHaveLength(2)
    expect(page.stderr).toMatch(/--after \d+/)
    const bad = tessera(['users', 'list', '--limit', 'lots'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/--limit/)
  })

  it('users deactivate revokes every session; users activate lets the user back in', async () => {
    const token = tessera(['token', 'create', 'bob']).stdout.trim()
    const off = tessera(['users', 'deactivate', 'bob'])
    expect(off.code).toBe(0)
    expect(off.stdout).toMatch(/^Deactivated bob@example\.com/)
    expect(await tokenWorks(token)).toBe(false)
    expect(tessera(['token', 'list', 'bob']).stderr).toMatch(/No live sessions/)
    expect(tessera(['users', 'list', '--search', 'bob']).stdout).toMatch(/bob@example\.com\s+bob\s+no\s/)
    expect(tessera(['users', 'activate', 'bob']).stdout).toMatch(/^Activated bob@example\.com/)
    expect(tessera(['users', 'list', '--search', 'bob']).stdout).toMatch(/bob@example\.com\s+bob\s+yes\s/)
  })

  it('cleartokens deletes the revoked sessions and audit rows older than AUDIT_RETENTION, and reports how many', async () => {
    const opened = await openTessera({ databaseUrl, cacheSize: 0, settings: {} })
    try {
      // Each command above wrote its audit rows before it exited: the deactivation is there.
      const revoked = await opened.tessera.listAuditEvents({ kind: 'session.revoked' })
      expect(revoked.events.map((event) => event.detail.reason)).toContain('user_deactivated')
      const old = new Date(Date.now() - 91 * 86_400_000)
      const row = { at: old, kind: 'login.failed', userId: null, actorId: null, address: '192.0.2.1', detail: {} }
      await opened.store.appendAuditEvents([row, row])
    } finally {
      await opened.close()
    }
    const first = tessera(['cleartokens'])
    expect(first.code).toBe(0)
    const [sessions, audit] = first.stdout.split('\n')
    const deleted = Number(/^Deleted (\d+) expired or revoked sessions?\.$/.exec(sessions ?? '')?.[1])
    expect(deleted).toBeGreaterThanOrEqual(3)
    expect(audit).toBe('Deleted 2 audit events older than 90 days.')
    expect(tessera(['cleartokens'], { AUDIT_RETENTION: '2w' }).stdout).toBe(
      'Deleted 0 expired or revoked sessions.\nDeleted 0 audit events older than 14 days.\n',
    )
  })

  it('an unknown user is one error line and status 1', () => {
    for (const args of [['token', 'create', 'nobody'], ['token', 'list', 'nobody@example.com'], ['users', 'deactivate', '9999']]) {
      const run = tessera(args)
      expectOneErrorLine(run, 1, /No user with e-mail, username or id "/)
      expect(run.stdout).toBe('')
    }
  })

  it('bad configuration is one error line and status 2', () => {
    expectOneErrorLine(tessera(['users', 'list'], { PORT: 'eighty' }), 2, /PORT/)
    expectOneErrorLine(tessera(['cleartokens'], { DATABASE_URL: 'mysql://db/tessera' }), 2, /DATABASE_URL/)
  })

  it('reads .env from the working directory, and the environment wins over it', () => {
    const other = mkdtempSync(join(dir, 'env-'))
    writeFileSync(join(other, '.env'), `DATABASE_URL=sqlite:${join(dir, 'x.db')}\nPORT=eighty\n`)
    const run = tessera(['users', 'list', '--search', 'bob'], { DATABASE_URL: undefined, PORT: '9000' }, other)
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('bob@example.com')
  })
})
