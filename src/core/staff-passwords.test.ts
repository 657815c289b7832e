import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryCounters } from '../cache/memory-counters.js'
import { createMemoryStore } from '../store/memory/memory-store.js'
import type { UserRecord } from '../store/store.js'
import { createFakeClock } from './clock.js'
import { TesseraError, ThrottledError, ValidationError } from './errors.js'
import type { TesseraEvents } from './events.js'
import { createMemoryMailer, type Mailer } from './mailer.js'
import { makeUnusablePassword } from './passwords.js'
import { credentialUserOf } from '../store/store.js'
import type { StaffActor } from './staff.js'
import { Tessera } from './tessera.js'

const PASSWORD = 'Correct-Horse-Battery-9'
const NEW_PASSWORD = 'Another-Staple-Tower-77'
const ADDRESS = '198.51.100.7'
const TOKEN_IN_LINK = /[?&]token=(tsro_[A-Za-z0-9_-]{43})(?:&|$)/m

let clock: ReturnType<typeof createFakeClock>
let mailer: ReturnType<typeof createMemoryMailer>
let tessera: Tessera
let root: UserRecord
let staff: UserRecord
let ann: UserRecord
let actions: Array<TesseraEvents['admin.action']>

const as = (user: UserRecord): StaffActor => ({ user: credentialUserOf(user), address: ADDRESS })

function build(mail: Mailer): Tessera {
  return new Tessera({ store: createMemoryStore(), counters: createMemoryCounters(), clock, mailer: mail, audit: false })
}

async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
    return 'ok'
  } catch (error) {
    if (error instanceof TesseraError) return error.code
    throw error
  }
}

/** The reset token of the last mail's link. */
function lastToken(): string {
  const match = TOKEN_IN_LINK.exec(mailer.sent.at(-1)?.text ?? '')
  if (!match) throw new Error('no reset link was mailed')
  return match[1]!
}

async function setUp(mail: Mailer): Promise<void> {
  tessera = build(mail)
  root = await tessera.createUser({ email: 'root@example.com', username: 'root', password: PASSWORD }, { isSuperuser: true })
  staff = await tessera.createUser({ email: 'staff@example.com', username: 'staff', password: PASSWORD }, { isStaff: true })
  ann = await tessera.createUser({ email: 'ann@example.com', username: 'ann', password: PASSWORD })
  actions = []
  tessera.on('admin.action', (payload) => actions.push(payload))
  // Reset links issued in the millisecond a password was set are dead by design.
  clock.advance(1)
}

beforeEach(async () => {
  clock = createFakeClock()
  mailer = createMemoryMailer()
  await setUp(mailer)
})

describe('sendPasswordResetAsStaff()', () => {
  it('mails the self-service reset link before answering; the link sets a password', async () => {
    const requested: Array<TesseraEvents['password.reset_requested']> = []
    tessera.on('password.reset_requested', (payload) => requested.push(payload))
    await tessera.sendPasswordResetAsStaff(as(staff), ann.id)
    expect(mailer.sent).toHaveLength(1)
    expect(mailer.sent[0]!.to).toBe('ann@example.com')
    await tessera.requestPasswordReset('ann@example.com')
    await vi.waitFor(() => expect(mailer.sent).toHaveLength(2))
    // The same mail as the form's, link and all.
    expect(mailer.sent[0]!.subject).toBe(mailer.sent[1]!.subject)
    expect(mailer.sent[0]!.text.replace(TOKEN_IN_LINK, '')).toBe(mailer.sent[1]!.text.replace(TOKEN_IN_LINK, ''))
    mailer.sent.pop()
    await tessera.confirmPasswordReset(lastToken(), NEW_PASSWORD)
    expect((await tessera.verifyLogin({ identifier: 'ann', password: NEW_PASSWORD })).id).toBe(ann.id)
    expect(requested[0]).toEqual({ userId: ann.id, address: ADDRESS })
    expect(actions).toEqual([{ actorId: staff.id, address: ADDRESS, action: 'password_reset_sent', userId: ann.id }])
  })

  it('serves an account whose password is unusable (how staff give it one), unlike the form', async () => {
    await tessera.store.updateUser(ann.id, { passwordHash: makeUnusablePassword() })
    await tessera.sendPasswordResetAsStaff(as(staff), ann.id)
    await tessera.confirmPasswordReset(lastToken(), NEW_PASSWORD)
    expect((await tessera.verifyLogin({ identifier: 'ann', password: NEW_PASSWORD })).id).toBe(ann.id)
  })

  it('refuses an inactive account and one without an e-mail with a ValidationError, mailing nothing', async () => {
    await tessera.setUserActive(ann.id, false)
    const inactive = await tessera.sendPasswordResetAsStaff(as(staff), ann.id).catch((e: unknown) => e)
    expect((inactive as ValidationError).fields).toEqual({ user: ['This account is inactive; activate it first.'] })
    const bob = await tessera.createUser({ email: 'bob@example.com', username: 'bob', password: PASSWORD })
    // Imported Django users may have none.
    await tessera.store.updateUser(bob.id, { email: '', emailKey: '' })
    const none = await tessera.sendPasswordResetAsStaff(as(staff), bob.id).catch((e: unknown) => e)
    expect(none).toBeInstanceOf(ValidationError)
    expect((none as ValidationError).fields.user?.[0]).toMatch(/no e-mail/)
    expect(mailer.sent).toEqual([])
    expect(actions).toEqual([])
  })

  it("takes a superuser for a superuser's password, and staff for anyone's", async () => {
    expect(await outcome(tessera.sendPasswordResetAsStaff(as(staff), root.id))).toBe('permission_denied')
    expect(await outcome(tessera.sendPasswordResetAsStaff(as(ann), staff.id))).toBe('permission_denied')
    expect(await outcome(tessera.sendPasswordResetAsStaff(as(staff), 999_999))).toBe('not_found')
    expect(mailer.sent).toEqual([])
    expect(await outcome(tessera.sendPasswordResetAsStaff(as(root), root.id))).toBe('ok')
  })

  it('shares the per-e-mail limit of the form: five mails an hour, then ThrottledError', async () => {
    await tessera.requestPasswordReset('ann@example.com')
    for (let i = 0; i < 4; i++) await tessera.sendPasswordResetAsStaff(as(staff), ann.id)
    const error = await tessera.sendPasswordResetAsStaff(as(staff), ann.id).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ThrottledError)
    clock.advance(3600)
    await tessera.sendPasswordResetAsStaff(as(staff), ann.id)
    expect(actions).toHaveLength(5)
  })

  it('answers service_unavailable when the mail cannot be sent, and announces nothing', async () => {
    await setUp({ send: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:25')) })
    const error = await tessera.sendPasswordResetAsStaff(as(staff), ann.id).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TesseraError)
    expect((error as TesseraError).code).toBe('service_unavailable')
    expect(actions).toEqual([])
  })
})

describe('setUnusablePasswordAsStaff()', () => {
  it('no password signs in after it; it ends every session and kills reset links, as a password change', async () => {
    const changed: Array<TesseraEvents['password.changed']> = []
    const revoked: Array<TesseraEvents['session.revoked']> = []
    tessera.on('password.changed', (payload) => changed.push(payload))
    tessera.on('session.revoked', (payload) => revoked.push(payload))
    const { token } = await tessera.createSession(ann, 'phone')
    await tessera.sendPasswordResetAsStaff(as(staff), ann.id)
    const link = lastToken()
    clock.advance(1)
    const user = await tessera.setUnusablePasswordAsStaff(as(staff), ann.id)
    expect(user.passwordHash).toMatch(/^![A-Za-z0-9]{40}$/)
    expect(await outcome(tessera.verifyLogin({ identifier: 'ann', password: PASSWORD }))).toBe('invalid_credentials')
    expect((await tessera.validateToken(token)).ok).toBe(false)
    expect(await outcome(tessera.confirmPasswordReset(link, NEW_PASSWORD))).toBe('invalid_one_time_token')
    expect(changed).toEqual([{ userId: ann.id }])
    expect(revoked).toEqual([expect.objectContaining({ userId: ann.id, reason: 'password_changed' })])
    expect(actions.at(-1)).toEqual({ actorId: staff.id, address: ADDRESS, action: 'password_unusable', userId: ann.id })
    // A new reset link, sent afterwards, is how the account gets a password again.
    clock.advance(1)
    await tessera.sendPasswordResetAsStaff(as(staff), ann.id)
    await tessera.confirmPasswordReset(lastToken(), NEW_PASSWORD)
  })

  it("refuses one's own account, and a superuser's unless a superuser asks", async () => {
    expect(await outcome(tessera.setUnusablePasswordAsStaff(as(staff), staff.id))).toBe('permission_denied')
    expect(await outcome(tessera.setUnusablePasswordAsStaff(as(root), root.id))).toBe('permission_denied')
    expect(await outcome(tessera.setUnusablePasswordAsStaff(as(staff), root.id))).toBe('permission_denied')
    expect(await outcome(tessera.setUnusablePasswordAsStaff(as(ann), staff.id))).toBe('permission_denied')
    expect((await tessera.verifyLogin({ identifier: 'root', password: PASSWORD })).id).toBe(root.id)
    expect((await tessera.verifyLogin({ identifier: 'staff', password: PASSWORD })).id).toBe(staff.id)
    const other = await tessera.createUser({ email: 'root2@example.com', username: 'root2', password: PASSWORD }, { isSuperuser: true })
    expect(await outcome(tessera.setUnusablePasswordAsStaff(as(other), root.id))).toBe('ok')
  })
})
