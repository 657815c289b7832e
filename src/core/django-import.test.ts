import { describe, expect, it } from 'vitest'
import { createLruPrincipalCache } from '../cache/lru-cache.js'
import { createMemoryCounters } from '../cache/memory-counters.js'
import { createMemoryStore } from '../store/memory/memory-store.js'
import { createFakeClock } from './clock.js'
import type { DjangoTokenRow, DjangoUserRow, ImportIssue } from './django-rows.js'
import { Tessera } from './tessera.js'

const IDLE = 3600
const MAX_AGE = 10 * IDLE
const KEY = '0123456789abcdef0123456789abcdef01234567'
const THREE_YEARS_AGO = '2023-01-01 09:30:15.123456'

/** A core over a memory store and a fake clock (2026-01-01), with short session lifetimes. */
function setup() {
  const clock = createFakeClock()
  const store = createMemoryStore()
  const tessera = new Tessera({
    store,
    counters: createMemoryCounters(),
    cache: createLruPrincipalCache(100),
    clock,
    settings: { tokenIdleSeconds: IDLE, tokenMaxAgeSeconds: MAX_AGE, touchIntervalSeconds: 60 },
  })
  const issues: ImportIssue[] = []
  const start = (dryRun = false) =>
    tessera.startDjangoImport({ userTable: 'auth_user', dryRun, strict: false, emailsVerified: false, onIssue: (issue) => issues.push(issue) })
  return { clock, store, tessera, issues, start }
}

function djangoUser(id: number, fields: Partial<DjangoUserRow> = {}): DjangoUserRow {
  return {
    id,
    password: '!unusable',
    email: `user${id}@example.com`,
    username: `user${id}`,
    isActive: true,
    isStaff: false,
    isSuperuser: false,
    dateJoined: THREE_YEARS_AGO,
    lastLogin: null,
    ...fields,
  }
}

const token = (userId: number, key = KEY): DjangoTokenRow => ({ key, userId, created: THREE_YEARS_AGO })

describe('DjangoImport and the lifetime of imported keys', () => {
  it("keeps DRF's created for display, and counts the key's idle and absolute lifetimes from the import", async () => {
    const { clock, tessera, start } = setup()
    const importer = start()
    await importer.importUsers([djangoUser(1)])
    await importer.finishUsers()
    await importer.importTokens([token(1)])
    const [session] = await tessera.listSessions(1)
    expect(session).toMatchObject({ createdAt: new Date('2023-01-01T09:30:15.123Z'), importedAt: clock.now() })
    expect(session!.expiresAt).toEqual(new Date(clock.now().getTime() + IDLE * 1000))
    // Used every idle period, it lives to MAX_AGE after the import, not after DRF's created.
    for (let used = 0; used < MAX_AGE - IDLE / 2; used += IDLE / 2) {
      expect((await tessera.validateToken(KEY)).ok, `after ${used} s`).toBe(true)
      clock.advance(IDLE / 2)
    }
    clock.advance(IDLE / 2)
    expect(await tessera.validateToken(KEY)).toEqual({ ok: false, reason: 'invalid_token' })
  })

  it('lets an imported key die when unused for the idle lifetime after the import', async () => {
    const { clock, tessera, start } = setup()
    const importer = start()
    await importer.importUsers([djangoUser(1)])
    await importer.finishUsers()
    await importer.importTokens([token(1)])
    clock.advance(IDLE + 1)
    expect((await tessera.validateToken(KEY)).ok).toBe(false)
  })
})

describe('DjangoImport with a username column and derived usernames', () => {
  it('derives a distinct username when the derived one is taken in the same batch, and conflicts on a given one', async () => {
    const { store, issues, start } = setup()
    const importer = start()
    await importer.importUsers([
      djangoUser(1, { email: 'sam@one.example', username: null }),
      djangoUser(2, { email: 'sam@two.example', username: null }),
      djangoUser(3, { email: 'x@three.example', username: 'Sam' }),
      djangoUser(4, { email: 'y@four.example', username: 'SAM-2' }),
    ])
    await importer.finishUsers()
    expect((await store.findUserById(1))?.username).toBe('sam')
    expect((await store.findUserById(2))?.username).toBe('sam-2')
    expect(await store.findUserById(3)).toBeNull()
    expect(await store.findUserById(4)).toBeNull()
    expect(issues.map(({ kind, row }) => `${kind} ${row}`)).toEqual(['changed auth_user id 2', 'conflict auth_user id 3', 'conflict auth_user id 4'])
    expect(issues[1]!.message).toBe("username Sam is already Django user 1's (auth_user id 1); not imported")
  })

  it('refuses a username with an @ that is not the user\'s own e-mail, as registration does, and accepts the e-mail as username', async () => {
    const { store, issues, start } = setup()
    const importer = start()
    await importer.importUsers([
      djangoUser(1, { email: 'ann@example.com', username: 'ann@example.com' }),
      djangoUser(2, { email: 'bo@example.com', username: 'ann@elsewhere.example' }),
    ])
    expect((await store.findUserById(1))?.username).toBe('ann@example.com')
    expect(issues).toEqual([
      {
        kind: 'invalid',
        row: 'auth_user id 2',
        message: expect.stringMatching(/^username "ann@elsewhere\.example" is not one Tessera accepts \(.*\); skipped$/),
      },
    ])
  })

  it('reads Django text datetimes as UTC (or at their offset), and reports an unreadable one', async () => {
    const { store, issues, start } = setup()
    const importer = start()
    await importer.importUsers([
      djangoUser(1, { dateJoined: '2020-02-29 23:59:59', lastLogin: '2024-05-06T07:08:09.5+02:00' }),
      djangoUser(2, { dateJoined: 'yesterday' }),
    ])
    expect(await store.findUserById(1)).toMatchObject({
      dateJoined: new Date('2020-02-29T23:59:59Z'),
      lastLogin: new Date('2024-05-06T05:08:09.500Z'),
    })
    expect(issues).toEqual([{ kind: 'changed', row: 'auth_user id 2', message: 'has an unreadable date_joined; imported without it' }])
  })
})
