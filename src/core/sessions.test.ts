import { describe, expect, it } from 'vitest'
import { createLruPrincipalCache } from '../cache/lru-cache.js'
import { createMemoryCounters } from '../cache/memory-counters.js'
import { createMemoryStore } from '../store/memory/memory-store.js'
import type { Store, UserRecord } from '../store/store.js'
import { createFakeClock } from './clock.js'
import type { TesseraEventName, TesseraEvents } from './events.js'
import { noCache, type Principal, type PrincipalCache } from './principal.js'
import type { TesseraSettings } from './settings.js'
import { Tessera } from './tessera.js'
import { generateToken } from './tokens.js'

const IDLE = 3600
const MAX_AGE = 10 * IDLE
const TOUCH = 60
const INVALID = { ok: false, reason: 'invalid_token' }
const INACTIVE = { ok: false, reason: 'user_inactive' }

/** A store that counts the calls the tests care about, delegating everything to a memory store. */
function spiedStore() {
  const inner = createMemoryStore()
  const calls = { touched: 0, findCredentialBySecretHash: 0 }
  const store: Store = {
    ...inner,
    touchSessions(touches) {
      calls.touched += touches.length
      return inner.touchSessions(touches)
    },
    findCredentialBySecretHash(secretHash) {
      calls.findCredentialBySecretHash++
      return inner.findCredentialBySecretHash(secretHash)
    },
  }
  return { store, calls }
}

/** A core over a spied memory store, an LRU cache and a fake clock, with short lifetimes. */
function setup(settings: Partial<TesseraSettings> = {}, cache: PrincipalCache = createLruPrincipalCache(1000)) {
  const clock = createFakeClock()
  const { store, calls } = spiedStore()
  const errors: unknown[] = []
  const tessera = new Tessera({
    store,
    counters: createMemoryCounters(),
    cache,
    clock,
    settings: { tokenIdleSeconds: IDLE, tokenMaxAgeSeconds: MAX_AGE, touchIntervalSeconds: TOUCH, ...settings },
    reportError: (error) => errors.push(error),
  })
  let next = 0
  /** Inserts a user straight into the store (no password hashing: these tests never log in). */
  const makeUser = async (fields: Partial<UserRecord> = {}): Promise<UserRecord> => {
    const name = `user${++next}`
    const result = await store.insertUser({
      email: `${name}@example.com`,
      emailKey: `${name}@example.com`,
      username: name,
      usernameKey: name,
      passwordHash: '!unusable',
      isActive: true,
      isStaff: false,
      isSuperuser: false,
      emailVerified: false,
      bio: null,
      image: null,
      dateJoined: clock.now(),
      lastLogin: null,
      passwordChangedAt: clock.now(),
      ...fields,
    })
    if (!result.ok) throw new Error(`conflict on ${result.conflict}`)
    return result.user
  }
  /** Records every payload of `event`. */
  const record = <K extends TesseraEventName>(event: K): Array<TesseraEvents[K]> => {
    const seen: Array<TesseraEvents[K]> = []
    tessera.on(event, (payload) => seen.push(payload))
    return seen
  }
  return { tessera, store, calls, clock, errors, makeUser, record }
}

/** The principal of a token that must be valid. */
async function principalOf(tessera: Tessera, token: string): Promise<Principal> {
  const check = await tessera.validateToken(token)
  if (!check.ok) throw new Error(`expected a valid token, got ${check.reason}`)
  return check.principal
}

describe('validateToken()', () => {
  it('returns the principal of a fresh token', async () => {
    const { tessera, clock, makeUser } = setup()
    const user = await makeUser({ isStaff: true })
    const { token, session } = await tessera.createSession(user, 'laptop')
    expect(session).toMatchObject({ userId: user.id, device: 'laptop', revokedAt: null })
    expect(session.expiresAt).toEqual(new Date(clock.now().getTime() + IDLE * 1000))
    expect(await tessera.validateToken(token)).toEqual({
      ok: true,
      principal: {
        user: { id: user.id, email: user.email, username: user.username, isActive: true, isStaff: true, isSuperuser: false },
        sessionId: session.id,
        expiresAt: session.expiresAt,
      },
    })
  })

  it('returns invalid_token for an unknown, a malformed or a revoked token', async () => {
    const { tessera, calls, makeUser } = setup()
    expect(await tessera.validateToken(generateToken().token)).toEqual(INVALID)
    expect(await tessera.validateToken('0123456789abcdef0123456789abcdef01234567')).toEqual(INVALID)
    const lookups = calls.findCredentialBySecretHash
    for (const malformed of ['', 'tsr_', 'tsr_short', 'Token abc', 'x'.repeat(10_000)]) {
      expect(await tessera.validateToken(malformed)).toEqual(INVALID)
    }
    // A token of the wrong shape never costs a database read.
    expect(calls.findCredentialBySecretHash).toBe(lookups)

    const { token } = await tessera.createSession(await makeUser(), 'phone')
    await tessera.logout(await principalOf(tessera, token))
    expect(await tessera.validateToken(token)).toEqual(INVALID)
  })

  it('returns user_inactive when the session is live but its user was deactivated outside the core', async () => {
    const { tessera, store, makeUser } = setup({}, noCache)
    const user = await makeUser()
    const { token } = await tessera.createSession(user, 'phone')
    await store.updateUser(user.id, { isActive: false })
    expect(await tessera.validateToken(token)).toEqual(INACTIVE)
  })

  it('lets a token made for an inactive user work once the user is activated', async () => {
    const { tessera, makeUser } = setup()
    const user = await makeUser({ isActive: false })
    const { token } = await tessera.createSession(user, 'cli')
    expect(await tessera.validateToken(token)).toEqual(INACTIVE)
    await tessera.setUserActive(user.id, true)
    expect((await tessera.validateToken(token)).ok).toBe(true)
  })
})

describe('expiry', () => {
  it('ends a session left unused past tokenIdleSeconds, cached or not', async () => {
    const { tessera, store, clock, makeUser } = setup()
    const { token } = await tessera.createSession(await makeUser(), 'phone')
    await principalOf(tessera, token)
    clock.advance(IDLE - 1)
    expect((await tessera.validateToken(token)).ok).toBe(true)
    clock.advance(IDLE)
    expect(await tessera.validateToken(token)).toEqual(INVALID)
    // A second process with a cold cache agrees.
    const cold = new Tessera({ store, counters: createMemoryCounters(), clock, settings: tessera.settings })
    expect(await cold.validateToken(token)).toEqual(INVALID)
  })

  it('slides the idle limit on use, so a token used within each window lives on', async () => {
    const { tessera, store, clock, makeUser } = setup()
    const { token, session } = await tessera.createSession(await makeUser(), 'phone')
    for (let i = 0; i < 5; i++) {
      clock.advance(IDLE - 10)
      const principal = await principalOf(tessera, token)
      expect(principal.expiresAt).toEqual(new Date(clock.now().getTime() + IDLE * 1000))
    }
    await tessera.flush()
    const stored = await store.findSessionById(session.id)
    expect(stored?.lastUsedAt).toEqual(clock.now())
    expect(stored?.expiresAt).toEqual(new Date(clock.now().getTime() + IDLE * 1000))
  })

  it('writes lastUsedAt at most once per touchIntervalSeconds, however often the token is used', async () => {
    const { tessera, calls, clock, makeUser } = setup()
    const { token } = await tessera.createSession(await makeUser(), 'phone')
    for (let interval = 0; interval < 10; interval++) {
      const before = calls.touched
      for (let i = 0; i < 100; i++) {
        expect((await tessera.validateToken(token)).ok).toBe(true)
        // Written at once, so the writer's coalescing cannot hide touches the core asked for.
        await tessera.flush()
        clock.advance(TOUCH / 100)
      }
      expect(calls.touched - before).toBeLessThanOrEqual(1)
    }
    // Ten intervals of use: about one write each, not a thousand.
    expect(calls.touched).toBeGreaterThanOrEqual(9)
    expect(calls.touched).toBeLessThanOrEqual(10)
  })

  it('writes once for a burst of concurrent uses of a cached token', async () => {
    const { tessera, calls, clock, makeUser } = setup()
    const { token } = await tessera.createSession(await makeUser(), 'phone')
    await principalOf(tessera, token)
    clock.advance(TOUCH + 1)
    const checks = await Promise.all(Array.from({ length: 100 }, () => tessera.validateToken(token)))
    expect(checks.every((check) => check.ok)).toBe(true)
    expect(calls.touched).toBe(0)
    await tessera.flush()
    expect(calls.touched).toBe(1)
  })

  it('ends a session at tokenMaxAgeSeconds even when it is used all the time', async () => {
    const { tessera, store, clock, makeUser } = setup()
    const created = clock.now().getTime()
    const { token } = await tessera.createSession(await makeUser(), 'phone')
    const cap = new Date(created + MAX_AGE * 1000)
    for (let elapsed = 0; elapsed < MAX_AGE; elapsed += TOUCH * 10) {
      const principal = await principalOf(tessera, token)
      expect(principal.expiresAt.getTime()).toBeLessThanOrEqual(cap.getTime())
      clock.advance(TOUCH * 10)
    }
    expect(clock.now()).toEqual(cap)
    expect(await tessera.validateToken(token)).toEqual(INVALID)
    const cold = new Tessera({ store, counters: createMemoryCounters(), clock, settings: tessera.settings })
    expect(await cold.validateToken(token)).toEqual(INVALID)
  })
})

describe('cache invalidation', () => {
  it('refuses a cached token at once after logout, and only that one', async () => {
    const { tessera, calls, makeUser } = setup()
    const user = await makeUser()
    const phone = await tessera.createSession(user, 'phone')
    const laptop = await tessera.createSession(user, 'laptop')
    const principal = await principalOf(tessera, phone.token)
    await principalOf(tessera, laptop.token)
    const lookups = calls.findCredentialBySecretHash
    await principalOf(tessera, phone.token)
    expect(calls.findCredentialBySecretHash).toBe(lookups) // served from the cache
    await tessera.logout(principal)
    expect(await tessera.validateToken(phone.token)).toEqual(INVALID)
    expect((await tessera.validateToken(laptop.token)).ok).toBe(true)
  })

  it('refuses every cached token of the user after logoutAll, and no one else’s', async () => {
    const { tessera, makeUser } = setup()
    const [user, other] = [await makeUser(), await makeUser()]
    const tokens = [await tessera.createSession(user, 'a'), await tessera.createSession(user, 'b')].map((s) => s.token)
    const theirs = (await tessera.createSession(other, 'a')).token
    for (const token of [...tokens, theirs]) await principalOf(tessera, token)
    await tessera.logoutAll(await principalOf(tessera, tokens[0]!))
    for (const token of tokens) expect(await tessera.validateToken(token)).toEqual(INVALID)
    expect((await tessera.validateToken(theirs)).ok).toBe(true)
  })

  it('refuses a cached token at once after setUserActive(false)', async () => {
    const { tessera, makeUser } = setup()
    const user = await makeUser()
    const { token } = await tessera.createSession(user, 'phone')
    await principalOf(tessera, token)
    await tessera.setUserActive(user.id, false)
    expect((await tessera.validateToken(token)).ok).toBe(false)
  })

  it('refuses a cached token at once after revokeOwnSession, revokeSessionById and revokeDeviceSessions', async () => {
    const { tessera, makeUser } = setup()
    const user = await makeUser()
    const [a, b, c] = [await tessera.createSession(user, 'a'), await tessera.createSession(user, 'b'), await tessera.createSession(user, 'c')]
    for (const { token } of [a, b, c]) await principalOf(tessera, token)
    await tessera.revokeOwnSession(user.id, a.session.id)
    expect(await tessera.revokeSessionById(b.session.id)).toBe(true)
    expect(await tessera.revokeDeviceSessions(user.id, 'c')).toBe(1)
    for (const { token } of [a, b, c]) expect(await tessera.validateToken(token)).toEqual(INVALID)
  })

  it('shows a changed username and new privileges on the next request', async () => {
    const { tessera, makeUser } = setup()
    const user = await makeUser()
    const { token } = await tessera.createSession(user, 'phone')
    await principalOf(tessera, token)
    await tessera.updateProfile(user.id, { username: 'renamed' })
    expect((await principalOf(tessera, token)).user.username).toBe('renamed')
  })
})

describe('rotateToken()', () => {
  it('kills the old token at once and keeps the session, its age and its device', async () => {
    const { tessera, clock, makeUser, record } = setup()
    const rotated = record('token.rotated')
    const { token, session } = await tessera.createSession(await makeUser(), 'phone')
    clock.advance(100)
    const issued = await tessera.rotateToken(await principalOf(tessera, token))
    expect(issued.token).not.toBe(token)
    expect(issued.session).toMatchObject({ id: session.id, device: 'phone', createdAt: session.createdAt })
    expect(await tessera.validateToken(token)).toEqual(INVALID)
    expect((await principalOf(tessera, issued.token)).sessionId).toBe(session.id)
    expect(rotated).toEqual([{ userId: session.userId, sessionId: session.id }])
    // A rotated token keeps the session's absolute cap: rotation is no way to live for ever.
    clock.advance(MAX_AGE)
    expect(await tessera.validateToken(issued.token)).toEqual(INVALID)
  })

  it('throws invalid_token for a session revoked meanwhile', async () => {
    const { tessera, makeUser } = setup()
    const { token } = await tessera.createSession(await makeUser(), 'phone')
    const principal = await principalOf(tessera, token)
    await tessera.logout(principal)
    await expect(tessera.rotateToken(principal)).rejects.toMatchObject({ code: 'invalid_token' })
  })
})

describe('the session cap', () => {
  it('revokes the oldest sessions beyond maxSessionsPerUser, cached or not', async () => {
    const { tessera, clock, makeUser, record } = setup({ maxSessionsPerUser: 3 })
    const revoked = record('session.revoked')
    const user = await makeUser()
    const issued = []
    for (let i = 0; i < 5; i++) {
      issued.push(await tessera.createSession(user, `device ${i}`))
      await principalOf(tessera, issued[i]!.token)
      clock.advance(1)
    }
    expect(await tessera.validateToken(issued[0]!.token)).toEqual(INVALID)
    expect(await tessera.validateToken(issued[1]!.token)).toEqual(INVALID)
    for (const { token } of issued.slice(2)) expect((await tessera.validateToken(token)).ok).toBe(true)
    expect(revoked).toEqual([
      { userId: user.id, sessionIds: [issued[0]!.session.id], reason: 'session_cap' },
      { userId: user.id, sessionIds: [issued[1]!.session.id], reason: 'session_cap' },
    ])
    expect((await tessera.listSessions(user.id)).map((s) => s.device)).toEqual(['device 4', 'device 3', 'device 2'])
  })

  // Two logins of one user in the same millisecond tie on createdAt; the tie must not be broken
  // by the random session id, or the session just created (and its token) may be the one revoked.
  it('never revokes the session it has just created, even when createdAt ties', async () => {
    const { tessera, makeUser } = setup({ maxSessionsPerUser: 1 })
    const user = await makeUser()
    for (let i = 0; i < 20; i++) {
      const { token } = await tessera.createSession(user, `device ${i}`)
      expect(await tessera.validateToken(token), `login ${i}`).toMatchObject({ ok: true })
    }
  })
})

describe('events', () => {
  it('emits user.created, session.created and session.revoked with its reason', async () => {
    const { tessera, makeUser, record } = setup()
    const usersCreated = record('user.created')
    const sessionsCreated = record('session.created')
    const revoked = record('session.revoked')
    const user = await tessera.createUser({ email: 'Ann@Example.com', username: 'ann', password: 'Correct-Horse-77' })
    expect(usersCreated).toEqual([{ user: expect.objectContaining({ id: user.id, email: 'Ann@Example.com', username: 'ann' }) }])
    expect(JSON.stringify(usersCreated)).not.toContain('argon2')

    const { token, session } = await tessera.createSession(user, 'phone')
    expect(sessionsCreated).toEqual([{ userId: user.id, sessionId: session.id, device: 'phone' }])
    expect(JSON.stringify(sessionsCreated)).not.toContain(token)

    await tessera.logout(await principalOf(tessera, token))
    const other = await tessera.createSession(await makeUser(), 'x')
    await tessera.logoutAll(await principalOf(tessera, other.token))
    expect(revoked).toEqual([
      { userId: user.id, sessionIds: [session.id], reason: 'logout' },
      { userId: other.session.userId, sessionIds: [other.session.id], reason: 'logout_all' },
    ])
  })

  it('reports a throwing subscriber without failing the operation', async () => {
    const { tessera, errors, makeUser } = setup()
    tessera.on('session.created', () => {
      throw new Error('subscriber failed')
    })
    const { token } = await tessera.createSession(await makeUser(), 'phone')
    expect((await tessera.validateToken(token)).ok).toBe(true)
    expect(errors).toEqual([new Error('subscriber failed')])
  })
})
