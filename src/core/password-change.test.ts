import { beforeEach, describe, expect, it } from 'vitest'
import { createMemoryCounters } from '../cache/memory-counters.js'
import { createMemoryStore } from '../store/memory/memory-store.js'
import type { UserRecord } from '../store/store.js'
import { createFakeClock } from './clock.js'
import { ThrottledError, ValidationError } from './errors.js'
import type { TesseraEvents } from './events.js'
import { Tessera } from './tessera.js'

const PASSWORD = 'Correct-Horse-Battery-9'
const NEW_PASSWORD = 'Another-Staple-Tower-77'

let clock: ReturnType<typeof createFakeClock>
let tessera: Tessera
let ann: UserRecord

beforeEach(async () => {
  clock = createFakeClock()
  tessera = new Tessera({
    store: createMemoryStore(),
    counters: createMemoryCounters(),
    clock,
    settings: { loginThrottle: { limit: 3, windowSeconds: 60 } },
  })
  ann = await tessera.createUser({ email: 'ann@example.com', username: 'ann', password: PASSWORD })
})

async function validationFields(promise: Promise<unknown>): Promise<Record<string, string[]>> {
  const error = await promise.catch((e: unknown) => e)
  expect(error).toBeInstanceOf(ValidationError)
  return (error as ValidationError).fields
}

describe('changePassword()', () => {
  it('sets the new password, keeps the calling session, revokes the others, and emits password.changed', async () => {
    const current = await tessera.createSession(ann, 'laptop')
    const other = await tessera.createSession(ann, 'phone')
    const changed: Array<TesseraEvents['password.changed']> = []
    const revoked: Array<TesseraEvents['session.revoked']> = []
    tessera.on('password.changed', (p) => changed.push(p))
    tessera.on('session.revoked', (p) => revoked.push(p))
    clock.advance(10)

    const user = await tessera.changePassword(ann.id, PASSWORD, NEW_PASSWORD, current.session.id)
    expect(user.passwordChangedAt).toEqual(clock.now())
    expect((await tessera.validateToken(current.token)).ok).toBe(true)
    expect((await tessera.validateToken(other.token)).ok).toBe(false)
    expect(changed).toEqual([{ userId: ann.id }])
    expect(revoked).toEqual([{ userId: ann.id, sessionIds: [other.session.id], reason: 'password_changed' }])
    await expect(tessera.verifyLogin({ identifier: 'ann', password: NEW_PASSWORD })).resolves.toMatchObject({ id: ann.id })
  })

  it('refuses a wrong current password with errors.currentPassword, and changes nothing', async () => {
    const fields = await validationFields(tessera.changePassword(ann.id, 'wrong', NEW_PASSWORD))
    expect(fields).toEqual({ currentPassword: ['Your old password was entered incorrectly. Please enter it again.'] })
    await expect(tessera.verifyLogin({ identifier: 'ann', password: PASSWORD })).resolves.toMatchObject({ id: ann.id })
  })

  it('runs the validators on the new password, and reports both fields at once', async () => {
    expect(await validationFields(tessera.changePassword(ann.id, PASSWORD, 'ann@example.com'))).toEqual({
      newPassword: ['The password is too similar to the email.'],
    })
    const both = await validationFields(tessera.changePassword(ann.id, 'wrong', '12345678'))
    expect(Object.keys(both).sort()).toEqual(['currentPassword', 'newPassword'])
  })

  it('throttles wrong current passwords per user with the login limit, and forgives them on success', async () => {
    for (let i = 0; i < 2; i++) await validationFields(tessera.changePassword(ann.id, 'wrong', NEW_PASSWORD))
    await tessera.changePassword(ann.id, PASSWORD, NEW_PASSWORD)
    for (let i = 0; i < 3; i++) await validationFields(tessera.changePassword(ann.id, 'wrong', PASSWORD))
    await expect(tessera.changePassword(ann.id, NEW_PASSWORD, PASSWORD)).rejects.toBeInstanceOf(ThrottledError)
    clock.advance(60)
    await expect(tessera.changePassword(ann.id, NEW_PASSWORD, 'Third-Lucky-Pebble-5')).resolves.toMatchObject({ id: ann.id })
  })
})

describe('setPassword()', () => {
  it('sets a password without the current one and revokes every session when none is kept', async () => {
    const session = await tessera.createSession(ann, 'laptop')
    await tessera.setPassword(ann.id, NEW_PASSWORD)
    expect((await tessera.validateToken(session.token)).ok).toBe(false)
    await expect(tessera.verifyLogin({ identifier: 'ann', password: NEW_PASSWORD })).resolves.toMatchObject({ id: ann.id })
  })

  it('keeps options.keepSessionId alive', async () => {
    const kept = await tessera.createSession(ann, 'laptop')
    const other = await tessera.createSession(ann, 'phone')
    await tessera.setPassword(ann.id, NEW_PASSWORD, { keepSessionId: kept.session.id })
    expect((await tessera.validateToken(kept.token)).ok).toBe(true)
    expect((await tessera.validateToken(other.token)).ok).toBe(false)
  })

  it('reports a weak password under options.field', async () => {
    expect(await validationFields(tessera.setPassword(ann.id, 'x7#Qz', { field: 'password' }))).toEqual({
      password: ['This password is too short. It must contain at least 8 characters.'],
    })
    expect(Object.keys(await validationFields(tessera.setPassword(ann.id, '123456789')))).toEqual(['newPassword'])
  })

  it('throws not_found for a user that does not exist', async () => {
    await expect(tessera.setPassword(9999, NEW_PASSWORD)).rejects.toMatchObject({ code: 'not_found' })
  })
})
