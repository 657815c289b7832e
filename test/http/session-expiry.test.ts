import { describe, expect, test } from 'vitest'
import { createLruPrincipalCache } from '../../src/cache/lru-cache.js'
import { createMemoryCounters } from '../../src/cache/memory-counters.js'
import { createFakeClock } from '../../src/core/clock.js'
import type { PrincipalCache } from '../../src/core/principal.js'
import type { TesseraSettings } from '../../src/core/settings.js'
import { Tessera } from '../../src/core/tessera.js'
import { createMemoryStore } from '../../src/store/memory/memory-store.js'

// buildServer runs on the wall clock, so expiry is tested on the core with an injected fake clock.

const HOUR = 3600
const MINUTE = 60

/** A core on memory parts and a fake clock, with one registered user and their token. */
async function setUp(settings: Partial<TesseraSettings>, cache?: PrincipalCache) {
  const clock = createFakeClock()
  const tessera = new Tessera({
    store: createMemoryStore(),
    counters: createMemoryCounters(),
    clock,
    settings: { loginThrottle: null, addressThrottle: null, ...settings },
    ...(cache ? { cache } : {}),
  })
  const { user, token } = await tessera.register({ email: 'idle@example.com', password: 'correct horse battery staple 42' }, 'phone')
  const valid = async (credential = token) => (await tessera.validateToken(credential)).ok
  return { clock, tessera, user, token, valid }
}

describe.each([
  ['without a cache', () => undefined],
  ['with the LRU principal cache', () => createLruPrincipalCache(100)],
])('opaque-token expiry %s', (_name, makeCache) => {
  test('a token unused for longer than the idle TTL is refused', async () => {
    const { clock, valid } = await setUp({ tokenIdleSeconds: HOUR }, makeCache())
    expect(await valid()).toBe(true)
    clock.advance(HOUR + 1)
    expect(await valid()).toBe(false)
  })

  test('a token is refused at the very instant its idle TTL runs out', async () => {
    const { clock, valid } = await setUp({ tokenIdleSeconds: HOUR }, makeCache())
    clock.advance(HOUR)
    expect(await valid()).toBe(false)
  })

  test('each use slides the idle expiry forward', async () => {
    const { clock, valid } = await setUp({ tokenIdleSeconds: HOUR }, makeCache())
    for (let i = 0; i < 6; i++) {
      clock.advance(50 * MINUTE)
      expect(await valid(), `use ${i + 1}`).toBe(true)
    }
    // Five hours in, long past the first hour, and still alive because it was used.
    clock.advance(HOUR + 1)
    expect(await valid()).toBe(false)
  })

  test('the absolute maximum age ends a token however often it is used', async () => {
    const { clock, valid } = await setUp({ tokenIdleSeconds: HOUR, tokenMaxAgeSeconds: 2 * HOUR }, makeCache())
    clock.advance(50 * MINUTE)
    expect(await valid()).toBe(true)
    clock.advance(50 * MINUTE)
    expect(await valid()).toBe(true)
    clock.advance(21 * MINUTE)
    expect(await valid()).toBe(false)
  })

  test('the principal carries the expiry the next use must come before', async () => {
    const { clock, tessera, token } = await setUp({ tokenIdleSeconds: HOUR }, makeCache())
    const start = clock.now().getTime()
    clock.advance(10 * MINUTE)
    const check = await tessera.validateToken(token)
    expect(check.ok && check.principal.expiresAt.getTime()).toBe(start + 10 * MINUTE * 1000 + HOUR * 1000)
  })

  test('an expired session is no longer listed among the live ones', async () => {
    const { clock, tessera, user } = await setUp({ tokenIdleSeconds: HOUR }, makeCache())
    expect(await tessera.listSessions(user.id)).toHaveLength(1)
    clock.advance(HOUR + 1)
    expect(await tessera.listSessions(user.id)).toEqual([])
  })

  test('a new login after expiry gives a working token while the old one stays dead', async () => {
    const { clock, tessera, token, valid } = await setUp({ tokenIdleSeconds: HOUR }, makeCache())
    clock.advance(2 * HOUR)
    const fresh = await tessera.login({ identifier: 'idle@example.com', password: 'correct horse battery staple 42' }, 'phone')
    expect(await valid(fresh.token)).toBe(true)
    expect(await valid(token)).toBe(false)
  })
})
