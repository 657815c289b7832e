import { describe, expect, it } from 'vitest'
import { createMemoryCounters } from '../cache/memory-counters.js'
import { createMemoryStore } from '../store/memory/memory-store.js'
import { createFakeClock } from './clock.js'
import { Tessera } from './tessera.js'

const PASSWORD = 'Correct-Horse-Battery-9'
const MAX_AGE = 100

describe('refresh tokens and the session lifetime', () => {
  it('refreshing keeps a JWT session alive only until TOKEN_MAX_AGE, never past it', async () => {
    const clock = createFakeClock()
    const tessera = new Tessera({
      store: createMemoryStore(),
      counters: createMemoryCounters(),
      clock,
      audit: false,
      settings: { tokenIdleSeconds: 60, refreshTtlSeconds: 60, tokenMaxAgeSeconds: MAX_AGE },
    })
    await tessera.createUser({ email: 'ann@example.com', username: 'ann', password: PASSWORD })
    const start = clock.now().getTime()
    const first = await tessera.loginWithJwt({ identifier: 'ann', password: PASSWORD }, 'spa')
    expect(first.refreshExpiresAt.getTime()).toBe(start + 60_000)

    clock.advance(50)
    const second = await tessera.refreshJwt(first.refresh)
    // now + 60 s would be past the absolute limit: the refresh token lives only as long as its session may.
    expect(second.refreshExpiresAt.getTime()).toBe(start + MAX_AGE * 1000)
    expect((await tessera.store.findSessionById(first.session.id))?.expiresAt.getTime()).toBe(start + MAX_AGE * 1000)

    clock.advance(45)
    const third = await tessera.refreshJwt(second.refresh)
    expect((await tessera.verifyAccessToken(third.access)).ok).toBe(true)

    clock.advance(6)
    await expect(tessera.refreshJwt(third.refresh)).rejects.toMatchObject({ code: 'invalid_token' })
    expect(await tessera.checkRefreshToken(third.refresh)).toBe(false)
    expect(await tessera.verifyAccessToken(third.access)).toEqual({ ok: false, reason: 'invalid_token' })
  })

  it('a session whose stored expiry runs past its absolute lifetime (refreshed before the cap) is refused at the cap', async () => {
    const clock = createFakeClock()
    const store = createMemoryStore()
    const tessera = new Tessera({ store, counters: createMemoryCounters(), clock, audit: false, settings: { tokenMaxAgeSeconds: MAX_AGE } })
    await tessera.createUser({ email: 'bo@example.com', username: 'bo', password: PASSWORD })
    const pair = await tessera.loginWithJwt({ identifier: 'bo', password: PASSWORD }, 'spa')
    // As an older server wrote it: now + REFRESH_TTL, uncapped.
    await store.touchSessions([{ id: pair.session.id, lastUsedAt: clock.now(), expiresAt: new Date(clock.now().getTime() + 30 * 86_400_000) }])
    clock.advance(MAX_AGE + 1)
    await expect(tessera.refreshJwt(pair.refresh)).rejects.toMatchObject({ code: 'invalid_token' })
  })
})

describe('access JWTs', () => {
  it('isSignedAccessToken() is false once the token has expired, even when its signature check is cached', async () => {
    const clock = createFakeClock()
    const tessera = new Tessera({ store: createMemoryStore(), counters: createMemoryCounters(), clock, audit: false, settings: { accessTtlSeconds: 60 } })
    await tessera.createUser({ email: 'cy@example.com', username: 'cy', password: PASSWORD })
    const { access } = await tessera.loginWithJwt({ identifier: 'cy', password: PASSWORD }, 'spa')
    expect((await tessera.verifyAccessToken(access)).ok).toBe(true)
    expect(await tessera.isSignedAccessToken(access)).toBe(true)
    clock.advance(61)
    expect(await tessera.isSignedAccessToken(access)).toBe(false)
    expect((await tessera.verifyAccessToken(access)).ok).toBe(false)
  })
})
