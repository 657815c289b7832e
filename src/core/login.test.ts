import { beforeEach, describe, expect, it } from 'vitest'
import { createMemoryCounters } from '../cache/memory-counters.js'
import { createMemoryStore } from '../store/memory/memory-store.js'
import type { Store, UserRecord } from '../store/store.js'
import { createFakeClock } from './clock.js'
import { TesseraError, ThrottledError } from './errors.js'
import type { TesseraEvents } from './events.js'
import { Tessera } from './tessera.js'

const PASSWORD = 'Correct-Horse-Battery-9'
// base64(pbkdf2_hmac('sha256', b'correct horse battery', b'seasalt123', 1000)), as Django encodes it
// (the same fixture as passwords.test.ts).
const DJANGO_CORRECT_HORSE = 'pbkdf2_sha256$1000$seasalt123$8LLL/IKTXXEzdJJ5hUYPuyAMUebCj/rtkXlKp0V5hNo='
const WINDOW = 60

let clock: ReturnType<typeof createFakeClock>
let store: Store
let tessera: Tessera
let ann: UserRecord
let failures: Array<TesseraEvents['login.failed']>

beforeEach(async () => {
  clock = createFakeClock()
  store = createMemoryStore()
  tessera = new Tessera({
    store,
    counters: createMemoryCounters(),
    clock,
    settings: { loginThrottle: { limit: 3, windowSeconds: WINDOW }, addressThrottle: null },
  })
  failures = []
  tessera.on('login.failed', (payload) => failures.push(payload))
  ann = await tessera.createUser({ email: 'Ann.Smith@Example.com', username: 'ann', password: PASSWORD })
})

/** Resolves to the error code verifyLogin throws, or 'ok'. */
async function outcome(identifier: string, password: string, address?: string): Promise<string> {
  try {
    await tessera.verifyLogin({ identifier, password, address })
    return 'ok'
  } catch (error) {
    if (error instanceof TesseraError) return error.code
    throw error
  }
}

describe('verifyLogin()', () => {
  it('accepts the e-mail in any case, with surrounding spaces, and the username', async () => {
    for (const identifier of ['Ann.Smith@Example.com', 'ann.smith@example.com', 'ANN.SMITH@EXAMPLE.COM', '  ann.smith@example.com ', 'ann', 'ANN']) {
      const user = await tessera.verifyLogin({ identifier, password: PASSWORD })
      expect(user.id, identifier).toBe(ann.id)
    }
  })

  it('sets lastLogin to now, and emits login.succeeded', async () => {
    const succeeded: Array<TesseraEvents['login.succeeded']> = []
    tessera.on('login.succeeded', (payload) => succeeded.push(payload))
    clock.advance(3600)
    const user = await tessera.verifyLogin({ identifier: 'ann', password: PASSWORD, address: '203.0.113.9' })
    expect(user.lastLogin).toEqual(clock.now())
    expect((await store.findUserById(ann.id))?.lastLogin).toEqual(clock.now())
    expect(succeeded).toEqual([{ userId: ann.id, address: '203.0.113.9' }])
  })

  it('throws the same invalid_credentials for an unknown user, a wrong password and an inactive user', async () => {
    const messages: string[] = []
    const attempt = async (identifier: string, password: string) => {
      const error = await tessera.verifyLogin({ identifier, password }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(TesseraError)
      expect((error as TesseraError).code).toBe('invalid_credentials')
      messages.push((error as TesseraError).message)
    }
    await attempt('nobody@example.com', PASSWORD)
    await attempt('nobody', PASSWORD)
    await attempt('ann', PASSWORD.toLowerCase())
    await attempt('ann', '')
    const bob = await tessera.createUser({ email: 'bob@example.com', password: PASSWORD })
    await tessera.setUserActive(bob.id, false)
    await attempt('bob@example.com', PASSWORD)
    expect(new Set(messages)).toEqual(new Set(['Unable to log in with provided credentials.']))
    expect(failures.map((f) => f.reason)).toEqual(Array(5).fill('invalid_credentials'))
    expect((await store.findUserById(bob.id))?.lastLogin).toBeNull()
  })

  it('logs in a user imported with a Django pbkdf2_sha256 hash and upgrades it to argon2id', async () => {
    const imported = await store.insertUser({
      ...ann,
      id: undefined,
      email: 'legacy@example.com',
      emailKey: 'legacy@example.com',
      username: 'legacy',
      usernameKey: 'legacy',
      passwordHash: DJANGO_CORRECT_HORSE,
    })
    if (!imported.ok) throw new Error('insert failed')
    expect(await outcome('legacy', 'wrong')).toBe('invalid_credentials')
    expect((await store.findUserById(imported.user.id))?.passwordHash).toBe(DJANGO_CORRECT_HORSE)

    const user = await tessera.verifyLogin({ identifier: 'legacy@example.com', password: 'correct horse battery' })
    expect(user.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    expect((await store.findUserById(user.id))?.passwordHash).toBe(user.passwordHash)
    expect(user.lastLogin).toEqual(clock.now())
    // The new hash works, and the old password still does.
    expect(await outcome('legacy', 'correct horse battery')).toBe('ok')
  })
})

describe('login throttling', () => {
  it('refuses the attempt after `limit` failures with ThrottledError, even with the right password', async () => {
    for (let i = 0; i < 3; i++) expect(await outcome('ann', 'wrong')).toBe('invalid_credentials')
    clock.advance(10)
    const error = await tessera.verifyLogin({ identifier: 'ann', password: PASSWORD }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ThrottledError)
    expect((error as ThrottledError).retryAfterSeconds).toBe(WINDOW - 10)
    expect(failures.at(-1)).toMatchObject({ identifier: 'ann', reason: 'throttled' })
  })

  it('counts an identifier without regard to case or surrounding spaces', async () => {
    expect(await outcome('ANN', 'wrong')).toBe('invalid_credentials')
    expect(await outcome('ann', 'wrong')).toBe('invalid_credentials')
    expect(await outcome(' Ann ', 'wrong')).toBe('invalid_credentials')
    expect(await outcome('ann', PASSWORD)).toBe('throttled')
  })

  it('allows logins again once the window has passed', async () => {
    for (let i = 0; i < 3; i++) await outcome('ann', 'wrong')
    expect(await outcome('ann', PASSWORD)).toBe('throttled')
    clock.advance(WINDOW)
    expect(await outcome('ann', PASSWORD)).toBe('ok')
  })

  it('forgives earlier failures after a success', async () => {
    for (let i = 0; i < 2; i++) await outcome('ann', 'wrong')
    expect(await outcome('ann', PASSWORD)).toBe('ok')
    for (let i = 0; i < 2; i++) expect(await outcome('ann', 'wrong')).toBe('invalid_credentials')
    expect(await outcome('ann', PASSWORD)).toBe('ok')
  })

  // A limit checked before the (slow) password check but counted only after it lets every attempt
  // of a parallel burst through; attempts must be counted first, atomically.
  it('lets at most `limit` attempts of a concurrent burst reach the password check', async () => {
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => outcome('ann', 'wrong')))
    expect(outcomes.filter((o) => o === 'invalid_credentials').length).toBeLessThanOrEqual(3)
    expect(outcomes.filter((o) => o === 'throttled').length).toBeGreaterThanOrEqual(17)
  })

  it('throttles unknown identifiers too, so probing for accounts is limited alike', async () => {
    for (let i = 0; i < 3; i++) expect(await outcome('ghost@example.com', PASSWORD)).toBe('invalid_credentials')
    expect(await outcome('ghost@example.com', PASSWORD)).toBe('throttled')
    expect(await outcome('ann', PASSWORD)).toBe('ok')
  })

  it('limits failures per address across accounts when addressThrottle is set', async () => {
    tessera = new Tessera({
      store,
      counters: createMemoryCounters(),
      clock,
      settings: { loginThrottle: null, addressThrottle: { limit: 2, windowSeconds: WINDOW } },
    })
    expect(await outcome('a@example.com', 'x', '198.51.100.7')).toBe('invalid_credentials')
    expect(await outcome('b@example.com', 'x', '198.51.100.7')).toBe('invalid_credentials')
    expect(await outcome('ann', PASSWORD, '198.51.100.7')).toBe('throttled')
    expect(await outcome('ann', PASSWORD, '198.51.100.8')).toBe('ok')
  })
})
