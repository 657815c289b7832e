import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryCounters } from '../cache/memory-counters.js'
import { createMemoryStore } from '../store/memory/memory-store.js'
import type { Store, UserRecord } from '../store/store.js'
import { AUDIT_KINDS, type AuditEntry, type AuditQuery } from './audit.js'
import { createFakeClock } from './clock.js'
import { TesseraError, ValidationError } from './errors.js'
import { createMemoryMailer } from './mailer.js'
import { credentialUserOf } from '../store/store.js'
import { Tessera, type TesseraOptions } from './tessera.js'

const PASSWORD = 'Correct-Horse-Battery-9'
const NEW_PASSWORD = 'Another-Staple-Tower-77'
const HOME = '203.0.113.9'
const OFFICE = '198.51.100.7'

let clock: ReturnType<typeof createFakeClock>
let mailer: ReturnType<typeof createMemoryMailer>
let tessera: Tessera
let ann: UserRecord

function build(overrides: Partial<TesseraOptions> = {}): Tessera {
  return new Tessera({ store: createMemoryStore(), counters: createMemoryCounters(), clock, mailer, ...overrides })
}

/** Every row about `userId` (or all), oldest first, for readable expectations. */
async function rows(query: AuditQuery = {}): Promise<AuditEntry[]> {
  return (await tessera.listAuditEvents({ limit: 200, ...query })).events.reverse()
}

beforeEach(async () => {
  clock = createFakeClock()
  mailer = createMemoryMailer()
  tessera = build()
  ann = await tessera.createUser({ email: 'Ann@Example.com', username: 'ann', password: PASSWORD })
  clock.advance(60)
})

describe('what the audit log records', () => {
  it('a login: login.succeeded and the session it made, with who, when and from where', async () => {
    const { session } = await tessera.login({ identifier: 'ann', password: PASSWORD, address: HOME }, 'phone')
    const [succeeded, created] = await rows({ userId: ann.id, beforeId: Number.MAX_SAFE_INTEGER }).then((all) => all.slice(-2))
    expect(succeeded).toMatchObject({ kind: 'login.succeeded', userId: ann.id, actorId: null, address: HOME, at: clock.now(), detail: {} })
    expect(created).toMatchObject({ kind: 'session.created', userId: ann.id, address: HOME, detail: { sessionId: session.id, device: 'phone' } })
  })

  it('a failed login: the account the identifier names (or none), the identifier cut short, why, and from where', async () => {
    await tessera.login({ identifier: 'ANN@example.com', password: 'wrong', address: HOME }, 'x').catch(() => {})
    await tessera.login({ identifier: `nobody-${'x'.repeat(400)}`, password: 'wrong', address: OFFICE }, 'x').catch(() => {})
    const failed = await rows({ kind: 'login.failed' })
    expect(failed).toHaveLength(2)
    expect(failed[0]).toMatchObject({ userId: ann.id, address: HOME, detail: { identifier: 'ann@example.com', reason: 'invalid_credentials' } })
    expect(failed[1]).toMatchObject({ userId: null, address: OFFICE, detail: { reason: 'invalid_credentials' } })
    expect(failed[1]!.detail.identifier).toHaveLength(254)
    expect(JSON.stringify(failed)).not.toContain('wrong')
  })

  it('a registration: the new user and its first session, from the address it came from', async () => {
    const { user } = await tessera.register({ email: 'bob@example.com', password: PASSWORD }, 'laptop', OFFICE)
    expect((await rows({ userId: user.id })).map((r) => [r.kind, r.address])).toEqual([
      ['user.created', OFFICE],
      ['session.created', OFFICE],
    ])
    expect((await rows({ kind: 'user.created', userId: user.id }))[0]!.detail).toEqual({
      email: 'bob@example.com',
      username: 'bob',
      isStaff: false,
      isSuperuser: false,
    })
  })

  it('a logout: the session revoked, and why', async () => {
    const { session } = await tessera.login({ identifier: 'ann', password: PASSWORD, address: HOME }, 'phone')
    await tessera.logout({ user: credentialUserOf(ann), sessionId: session.id, expiresAt: session.expiresAt })
    const [revoked] = await rows({ kind: 'session.revoked' })
    expect(revoked).toMatchObject({ userId: ann.id, actorId: null, detail: { reason: 'logout', count: 1, sessionIds: [session.id] } })
  })

  it('a password change: password.changed, and the other sessions revoked for it', async () => {
    const kept = await tessera.login({ identifier: 'ann', password: PASSWORD }, 'phone')
    await tessera.login({ identifier: 'ann', password: PASSWORD }, 'laptop')
    await tessera.changePassword(ann.id, PASSWORD, NEW_PASSWORD, kept.session.id)
    const kinds = (await rows({ userId: ann.id })).map((r) => [r.kind, r.detail.reason])
    expect(kinds.slice(-2)).toEqual([
      ['session.revoked', 'password_changed'],
      ['password.changed', undefined],
    ])
  })

  it('a reset: requested and confirmed, each from its own address', async () => {
    clock.advance(1)
    await tessera.requestPasswordReset('ann@example.com', HOME)
    await vi.waitFor(() => expect(mailer.sent).toHaveLength(1))
    const token = /token=(tsro_[A-Za-z0-9_-]{43})/.exec(mailer.sent[0]!.text)![1]!
    await tessera.confirmPasswordReset(token, NEW_PASSWORD, OFFICE)
    expect((await rows({ kind: 'password.reset_requested' }))[0]).toMatchObject({ userId: ann.id, address: HOME })
    expect((await rows({ kind: 'password.reset' }))[0]).toMatchObject({ userId: ann.id, address: OFFICE })
  })

  it("a staff deactivation: the admin's action with who did it and from where, and what followed", async () => {
    const root = await tessera.createUser({ email: 'root@example.com', username: 'root', password: PASSWORD }, { isSuperuser: true })
    await tessera.login({ identifier: 'ann', password: PASSWORD }, 'phone')
    clock.advance(5)
    await tessera.updateUserAsStaff({ user: credentialUserOf(root), address: OFFICE }, ann.id, { isActive: false })
    const [action] = await rows({ kind: 'admin.action' })
    expect(action).toMatchObject({
      userId: ann.id,
      actorId: root.id,
      address: OFFICE,
      at: clock.now(),
      detail: { action: 'user_updated', changed: 'isActive', isActive: false },
    })
    const after = (await rows({ userId: ann.id })).slice(-3).map((r) => r.kind)
    expect(after).toEqual(['user.updated', 'session.revoked', 'admin.action'])
  })

  it('never a token, a token hash or a password, whatever happened', async () => {
    const root = await tessera.createUser({ email: 'root@example.com', username: 'root', password: PASSWORD }, { isSuperuser: true })
    const staff = { user: credentialUserOf(root), address: OFFICE }
    const secrets: string[] = [PASSWORD, NEW_PASSWORD]
    const signedIn = await tessera.login({ identifier: 'ann', password: PASSWORD, address: HOME }, 'phone')
    secrets.push(signedIn.token, signedIn.session.secretHash)
    const jwt = await tessera.loginWithJwt({ identifier: 'ann', password: PASSWORD }, 'web')
    secrets.push(jwt.access, jwt.refresh)
    const rotated = await tessera.rotateToken({ user: credentialUserOf(ann), sessionId: signedIn.session.id, expiresAt: signedIn.session.expiresAt })
    secrets.push(rotated.token, rotated.session.secretHash)
    const minted = await tessera.createTokenAsStaff(staff, ann.id, 'support')
    secrets.push(minted.token, minted.session.secretHash)
    await tessera.changePassword(ann.id, PASSWORD, NEW_PASSWORD)
    await tessera.setUnusablePasswordAsStaff(staff, ann.id)
    const stored = (await tessera.store.findUserById(ann.id))!.passwordHash
    const text = JSON.stringify(await rows())
    for (const secret of [...secrets, stored]) expect(text).not.toContain(secret)
    expect(new Set((await rows()).map((r) => r.kind))).toEqual(
      new Set(['user.created', 'login.succeeded', 'session.created', 'token.rotated', 'admin.action', 'session.revoked', 'password.changed']),
    )
  })
})

describe('listAuditEvents()', () => {
  it('pages newest first by id, filters by user and kind, and says when the last page is reached', async () => {
    for (let i = 0; i < 5; i++) await tessera.login({ identifier: 'ann', password: PASSWORD }, `d${i}`)
    const first = await tessera.listAuditEvents({ userId: ann.id, kind: 'session.created', limit: 2 })
    expect(first.events.map((e) => e.detail.device)).toEqual(['d4', 'd3'])
    const second = await tessera.listAuditEvents({ userId: ann.id, kind: 'session.created', limit: 2, beforeId: first.nextBeforeId! })
    expect(second.events.map((e) => e.detail.device)).toEqual(['d2', 'd1'])
    const last = await tessera.listAuditEvents({ userId: ann.id, kind: 'session.created', limit: 2, beforeId: second.nextBeforeId! })
    expect(last.events.map((e) => e.detail.device)).toEqual(['d0'])
    expect(last.nextBeforeId).toBeNull()
    expect((await tessera.listAuditEvents({})).events.length).toBeLessThanOrEqual(50)
  })

  it.each<[string, AuditQuery]>([
    ['limit', { limit: 0 }],
    ['limit', { limit: 201 }],
    ['limit', { limit: 1.5 }],
    ['userId', { userId: -1 }],
    ['userId', { userId: 2 ** 60 }],
    ['beforeId', { beforeId: Number.NaN }],
    ['kind', { kind: 'nope' as never }],
  ])('refuses a bad %s with a ValidationError naming it', async (field, query) => {
    const error = await tessera.listAuditEvents(query).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ValidationError)
    expect(Object.keys((error as ValidationError).fields)).toEqual([field])
  })

  it('offers every kind it records, and only kinds that exist', () => {
    expect(AUDIT_KINDS).toContain('admin.action')
    expect(new Set(AUDIT_KINDS).size).toBe(AUDIT_KINDS.length)
    expect(Object.isFrozen(AUDIT_KINDS)).toBe(true)
  })
})

describe('the audit log and the requests it records', () => {
  it('a burst of 5,000 events reaches the store in batches of at most 100, all of them, with no flush', async () => {
    const base = createMemoryStore()
    const batches: number[] = []
    const store: Store = { ...base, appendAuditEvents: (rows) => (batches.push(rows.length), base.appendAuditEvents(rows)) }
    tessera = build({ store })
    const users = await Promise.all(
      Array.from({ length: 50 }, (_, i) => tessera.store.insertUser({ ...ann, id: undefined, email: `u${i}@x.org`, emailKey: `u${i}@x.org`, username: `u${i}`, usernameKey: `u${i}` })),
    )
    for (const result of users) {
      if (!result.ok) throw new Error('fixture user refused')
      for (let i = 0; i < 100; i++) await tessera.createSession(result.user, `d${i}`)
    }
    await vi.waitFor(() => expect(batches.reduce((a, b) => a + b, 0)).toBe(5000), { timeout: 5000 })
    expect(Math.max(...batches)).toBeLessThanOrEqual(100)
    expect(batches.length).toBeGreaterThanOrEqual(50)
    expect(await base.listAuditEvents({ kind: 'session.created', limit: 10_000 })).toHaveLength(5000)
  })

  it('a store that refuses audit rows fails no request; the failure is reported', async () => {
    const reported: string[] = []
    const base = createMemoryStore()
    const broken: Store = { ...base, appendAuditEvents: () => Promise.reject(new Error('disk full')) }
    tessera = build({ store: broken, reportError: (_, what) => reported.push(what), audit: { retryDelayMs: 60_000 } })
    const { user, token } = await tessera.register({ email: 'bob@example.com', password: PASSWORD }, 'phone', HOME)
    await tessera.login({ identifier: 'bob', password: PASSWORD, address: HOME }, 'laptop')
    const check = await tessera.validateToken(token)
    expect(check.ok).toBe(true)
    if (check.ok) await tessera.logout(check.principal)
    await tessera.login({ identifier: 'bob', password: 'wrong' }, 'x').then(
      () => expect.unreachable(),
      (error: unknown) => expect((error as TesseraError).code).toBe('invalid_credentials'),
    )
    await tessera.flush()
    expect(reported[0]).toMatch(/^audit log: writing \d+ events failed/)
    expect(tessera.auditBacklog()?.pending).toBeGreaterThan(0)
    expect(user.email).toBe('bob@example.com')
  })

  it('writes nothing with `audit: false`', async () => {
    const store = createMemoryStore()
    tessera = build({ store, audit: false })
    await tessera.register({ email: 'bob@example.com', password: PASSWORD }, 'phone', HOME)
    await tessera.flush()
    expect(await store.listAuditEvents({ limit: 10 })).toEqual([])
    expect(tessera.auditBacklog()).toBeNull()
  })
})
