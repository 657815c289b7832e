import { beforeEach, describe, expect, it } from 'vitest'
import { createMemoryCounters } from '../cache/memory-counters.js'
import { createMemoryStore } from '../store/memory/memory-store.js'
import type { UserRecord } from '../store/store.js'
import { createFakeClock } from './clock.js'
import { TesseraError, ValidationError } from './errors.js'
import type { TesseraEvents } from './events.js'
import { credentialUserOf } from '../store/store.js'
import type { StaffActor } from './staff.js'
import { Tessera } from './tessera.js'

const PASSWORD = 'Correct-Horse-Battery-9'
const ADDRESS = '198.51.100.7'

let clock: ReturnType<typeof createFakeClock>
let tessera: Tessera
let root: UserRecord
let staff: UserRecord
let ann: UserRecord
let actions: Array<TesseraEvents['admin.action']>
let revocations: Array<TesseraEvents['session.revoked']>

/** `user` acting from ADDRESS, as a face hands the core its caller. */
const as = (user: UserRecord): StaffActor => ({ user: credentialUserOf(user), address: ADDRESS })

/** The error code `promise` rejects with, or 'ok'. */
async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
    return 'ok'
  } catch (error) {
    if (error instanceof TesseraError) return error.code
    throw error
  }
}

beforeEach(async () => {
  clock = createFakeClock()
  tessera = new Tessera({ store: createMemoryStore(), counters: createMemoryCounters(), clock, audit: false })
  root = await tessera.createUser({ email: 'root@example.com', username: 'root', password: PASSWORD }, { isSuperuser: true })
  staff = await tessera.createUser({ email: 'staff@example.com', username: 'staff', password: PASSWORD }, { isStaff: true })
  ann = await tessera.createUser({ email: 'ann@example.com', username: 'ann', password: PASSWORD })
  actions = []
  revocations = []
  tessera.on('admin.action', (payload) => actions.push(payload))
  tessera.on('session.revoked', (payload) => revocations.push(payload))
})

describe('every staff operation', () => {
  it('refuses a caller who is not staff, or no longer active, before telling whether the user exists', async () => {
    const { session } = await tessera.createSession(ann, 'phone')
    const inactiveStaff = { ...staff, isActive: false }
    for (const actor of [as(ann), as(inactiveStaff)]) {
      for (const userId of [root.id, 999_999]) {
        expect(await outcome(tessera.listSessionsAsStaff(actor, userId))).toBe('permission_denied')
        expect(await outcome(tessera.revokeSessionAsStaff(actor, userId, session.id))).toBe('permission_denied')
        expect(await outcome(tessera.revokeUserSessionsAsStaff(actor, userId))).toBe('permission_denied')
        expect(await outcome(tessera.createTokenAsStaff(actor, userId, 'x'))).toBe('permission_denied')
        expect(await outcome(tessera.updateUserAsStaff(actor, userId, { isActive: false }))).toBe('permission_denied')
      }
    }
    expect(await tessera.listSessions(ann.id)).toHaveLength(1)
    expect(actions).toEqual([])
  })

  it('answers not_found for a user who does not exist', async () => {
    expect(await outcome(tessera.listSessionsAsStaff(as(staff), 999_999))).toBe('not_found')
    expect(await outcome(tessera.revokeUserSessionsAsStaff(as(staff), 999_999))).toBe('not_found')
    expect(await outcome(tessera.createTokenAsStaff(as(staff), 999_999, 'x'))).toBe('not_found')
  })
})

describe('listSessionsAsStaff()', () => {
  it("lists a user's live sessions, a superuser's included: seeing is not acting", async () => {
    const phone = await tessera.createSession(ann, 'phone')
    const laptop = await tessera.createSession(ann, 'laptop')
    await tessera.revokeSessionById(laptop.session.id)
    expect((await tessera.listSessionsAsStaff(as(staff), ann.id)).map((s) => s.id)).toEqual([phone.session.id])
    await tessera.createSession(root, 'ops')
    expect(await tessera.listSessionsAsStaff(as(staff), root.id)).toHaveLength(1)
    expect(actions).toEqual([])
  })
})

describe('revokeSessionAsStaff()', () => {
  it('revokes that one session and announces it with who, from where, and which session', async () => {
    const phone = await tessera.createSession(ann, 'phone')
    const laptop = await tessera.createSession(ann, 'laptop')
    await tessera.revokeSessionAsStaff(as(staff), ann.id, phone.session.id)
    expect((await tessera.validateToken(phone.token)).ok).toBe(false)
    expect((await tessera.validateToken(laptop.token)).ok).toBe(true)
    expect(revocations).toEqual([{ userId: ann.id, sessionIds: [phone.session.id], reason: 'admin' }])
    expect(actions).toEqual([
      { actorId: staff.id, address: ADDRESS, action: 'session_revoked', userId: ann.id, detail: { sessionId: phone.session.id, device: 'phone' } },
    ])
  })

  it('is not_found unless the id names a live session of that very user', async () => {
    const expiring = await tessera.createSession(ann, 'idle')
    clock.advance(tessera.settings.tokenIdleSeconds + 1)
    const bob = await tessera.createUser({ email: 'bob@example.com', username: 'bob', password: PASSWORD })
    const bobs = await tessera.createSession(bob, 'phone')
    const revoked = await tessera.createSession(ann, 'old')
    await tessera.revokeSessionById(revoked.session.id)
    const live = await tessera.createSession(ann, 'live')
    for (const id of [bobs.session.id, revoked.session.id, expiring.session.id, 'not-an-id', '', 'x'.repeat(500)]) {
      expect(await outcome(tessera.revokeSessionAsStaff(as(staff), ann.id, id)), id).toBe('not_found')
    }
    expect((await tessera.validateToken(bobs.token)).ok).toBe(true)
    expect((await tessera.validateToken(live.token)).ok).toBe(true)
    expect(actions).toEqual([])
  })

  it("takes a superuser to end a superuser's session", async () => {
    const ops = await tessera.createSession(root, 'ops')
    expect(await outcome(tessera.revokeSessionAsStaff(as(staff), root.id, ops.session.id))).toBe('permission_denied')
    expect((await tessera.validateToken(ops.token)).ok).toBe(true)
    const other = await tessera.createUser({ email: 'root2@example.com', username: 'root2', password: PASSWORD }, { isSuperuser: true })
    await tessera.revokeSessionAsStaff(as(other), root.id, ops.session.id)
    expect((await tessera.validateToken(ops.token)).ok).toBe(false)
  })
})

describe('revokeUserSessionsAsStaff()', () => {
  it('revokes every session, returns how many, and announces the count', async () => {
    const tokens = [await tessera.createSession(ann, 'a'), await tessera.createSession(ann, 'b')]
    expect(await tessera.revokeUserSessionsAsStaff(as(staff), ann.id)).toBe(2)
    for (const { token } of tokens) expect((await tessera.validateToken(token)).ok).toBe(false)
    expect(revocations.at(-1)).toMatchObject({ userId: ann.id, reason: 'admin' })
    expect(actions).toEqual([{ actorId: staff.id, address: ADDRESS, action: 'sessions_revoked', userId: ann.id, detail: { count: 2 } }])
    expect(await tessera.revokeUserSessionsAsStaff(as(staff), ann.id)).toBe(0)
  })

  it("takes a superuser for a superuser's sessions", async () => {
    await tessera.createSession(root, 'ops')
    expect(await outcome(tessera.revokeUserSessionsAsStaff(as(staff), root.id))).toBe('permission_denied')
    expect(await tessera.listSessions(root.id)).toHaveLength(1)
  })
})

describe('createTokenAsStaff()', () => {
  it('starts a session whose token works, and announces the device but never the token', async () => {
    const { token, session } = await tessera.createTokenAsStaff(as(staff), ann.id, '  support\u0000laptop ')
    expect(session.device).toBe('support laptop')
    const check = await tessera.validateToken(token)
    expect(check.ok && check.principal.user.id).toBe(ann.id)
    expect(actions).toEqual([
      { actorId: staff.id, address: ADDRESS, action: 'token_created', userId: ann.id, detail: { sessionId: session.id, device: 'support laptop' } },
    ])
    expect(JSON.stringify(actions)).not.toContain(token)
    expect(JSON.stringify(actions)).not.toContain(session.secretHash)
  })

  it('refuses an inactive account with a ValidationError naming what to do', async () => {
    await tessera.setUserActive(ann.id, false)
    const error = await tessera.createTokenAsStaff(as(staff), ann.id, 'x').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ValidationError)
    expect((error as ValidationError).fields).toEqual({ user: ['This account is inactive; activate it first.'] })
    expect(await tessera.listSessions(ann.id)).toEqual([])
  })

  it('takes a superuser to mint a token for a superuser (it is acting as them)', async () => {
    expect(await outcome(tessera.createTokenAsStaff(as(staff), root.id, 'x'))).toBe('permission_denied')
    const other = await tessera.createUser({ email: 'root2@example.com', username: 'root2', password: PASSWORD }, { isSuperuser: true })
    expect(await outcome(tessera.createTokenAsStaff(as(other), root.id, 'x'))).toBe('ok')
  })
})

describe('updateUserAsStaff()', () => {
  it('announces the fields it changed with their new values, and nothing when nothing changed', async () => {
    await tessera.updateUserAsStaff(as(root), ann.id, { isStaff: true, email: 'Ann.New@example.com', username: 'ann' })
    expect(actions).toEqual([
      {
        actorId: root.id,
        address: ADDRESS,
        action: 'user_updated',
        userId: ann.id,
        detail: { changed: 'isStaff,email', isStaff: true, email: 'Ann.New@example.com' },
      },
    ])
    await tessera.updateUserAsStaff(as(root), ann.id, { isStaff: true, username: 'ANN'.toLowerCase() })
    expect(actions).toHaveLength(1)
  })

  it('deactivation revokes every session, then announces isActive: false', async () => {
    const { token } = await tessera.createSession(ann, 'phone')
    await tessera.updateUserAsStaff(as(staff), ann.id, { isActive: false })
    expect((await tessera.validateToken(token)).ok).toBe(false)
    expect(revocations).toEqual([expect.objectContaining({ userId: ann.id, reason: 'user_deactivated' })])
    expect(actions).toEqual([
      { actorId: staff.id, address: ADDRESS, action: 'user_updated', userId: ann.id, detail: { changed: 'isActive', isActive: false } },
    ])
  })
})
