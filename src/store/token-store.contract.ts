import { describe, expect, it } from 'vitest'
import { at, DAY, newOneTimeToken, newRefreshToken, newSession, newUser, T0 } from './fixtures.contract.js'
import type { OneTimeTokenRecord, RefreshTokenRecord, SessionRecord, Store, UserRecord } from './store.js'

/**
 * Declares the token part of the store contract (refresh and one-time tokens); called inside
 * `describeStoreContract`, whose hooks give each test an empty store, which `current` returns.
 */
export function describeTokenStoreContract(current: () => Store): void {
  const addUser = async (): Promise<UserRecord> => {
    const result = await current().insertUser(newUser())
    if (!result.ok) throw new Error(`fixture user refused: ${result.conflict}`)
    return result.user
  }

  const addSession = async (userId: number, overrides: Partial<SessionRecord> = {}): Promise<SessionRecord> => {
    const session = newSession(userId, overrides)
    await current().insertSession(session)
    return session
  }

  const addRefreshToken = async (sessionId: string, overrides: Partial<RefreshTokenRecord> = {}) => {
    const token = newRefreshToken(sessionId, overrides)
    await current().insertRefreshToken(token)
    return token
  }

  const addOneTimeToken = async (userId: number, overrides: Partial<OneTimeTokenRecord> = {}) => {
    const token = newOneTimeToken(userId, overrides)
    await current().insertOneTimeToken(token)
    return token
  }

  describe('refresh tokens', () => {
    it('insertRefreshToken() round-trips every field, used or not; an unknown hash finds null', async () => {
      const store = current()
      const session = await addSession((await addUser()).id)
      const fresh = await addRefreshToken(session.id, { createdAt: at(0.001), expiresAt: at(30 * DAY + 0.999) })
      const spent = await addRefreshToken(session.id, { usedAt: at(5.005) })
      expect(await store.findRefreshTokenByHash(fresh.tokenHash)).toEqual(fresh)
      expect(await store.findRefreshTokenByHash(spent.tokenHash)).toEqual(spent)
      expect(await store.findRefreshTokenByHash('f'.repeat(64))).toBeNull()
      expect(await store.findRefreshTokenByHash(session.secretHash)).toBeNull()
    })

    it('insertRefreshToken() rejects a token of an unknown session, or with an id or hash already used', async () => {
      const store = current()
      const session = await addSession((await addUser()).id)
      const token = await addRefreshToken(session.id)
      await expect(store.insertRefreshToken(newRefreshToken('no-such-session'))).rejects.toThrow()
      const sameHash = newRefreshToken(session.id, { tokenHash: token.tokenHash })
      await expect(store.insertRefreshToken(sameHash)).rejects.toThrow()
      await expect(store.insertRefreshToken({ ...token, tokenHash: 'e'.repeat(64) })).rejects.toThrow()
      expect(await store.findRefreshTokenByHash('e'.repeat(64))).toBeNull()
      expect(await store.findRefreshTokenByHash(token.tokenHash)).toEqual(token)
    })

    it('markRefreshTokenUsed() spends a token once: true, then false; false for an unknown id', async () => {
      const store = current()
      const session = await addSession((await addUser()).id)
      const token = await addRefreshToken(session.id)
      const next = await addRefreshToken(session.id)
      expect(await store.markRefreshTokenUsed(token.id, at(60.001))).toBe(true)
      expect(await store.markRefreshTokenUsed(token.id, at(61))).toBe(false)
      expect(await store.findRefreshTokenByHash(token.tokenHash)).toEqual({ ...token, usedAt: at(60.001) })
      expect(await store.findRefreshTokenByHash(next.tokenHash)).toEqual(next)
      expect(await store.markRefreshTokenUsed('no-such-token', at(62))).toBe(false)
    })

    it('markRefreshTokenUsed() lets exactly one of 20 concurrent refreshes win, and keeps its time', async () => {
      const store = current()
      const session = await addSession((await addUser()).id)
      const token = await addRefreshToken(session.id)
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.markRefreshTokenUsed(token.id, at(100 + i))),
      )
      expect(results.filter(Boolean)).toHaveLength(1)
      // A loser that wrote anyway would leave its own time behind.
      expect(await store.findRefreshTokenByHash(token.tokenHash)).toEqual({
        ...token,
        usedAt: at(100 + results.indexOf(true)),
      })
    })

    it('deleteDeadSessions() deletes the refresh tokens of the sessions it deletes, and only those', async () => {
      const store = current()
      const user = await addUser()
      const revoked = await addSession(user.id, { revokedAt: at(10) })
      const expired = await addSession(user.id, { expiresAt: at(10) })
      const live = await addSession(user.id)
      const gone = [
        await addRefreshToken(revoked.id),
        await addRefreshToken(revoked.id, { usedAt: at(5) }),
        await addRefreshToken(expired.id),
      ]
      const kept = [await addRefreshToken(live.id, { usedAt: at(5) }), await addRefreshToken(live.id)]
      // Only sessions count: the tokens deleted with them are not the caller's to count.
      expect(await store.deleteDeadSessions(at(100))).toBe(2)
      for (const token of gone) {
        expect(await store.findRefreshTokenByHash(token.tokenHash)).toBeNull()
        expect(await store.markRefreshTokenUsed(token.id, at(101))).toBe(false)
      }
      for (const token of kept) expect(await store.findRefreshTokenByHash(token.tokenHash)).toEqual(token)
      // The tokens' ids and hashes are free again, as their rows are gone.
      await expect(store.insertRefreshToken({ ...gone[0]!, sessionId: live.id })).resolves.toBeUndefined()
    })
  })

  describe('one-time tokens', () => {
    it('insertOneTimeToken() round-trips every field of both purposes; an unknown hash finds null', async () => {
      const store = current()
      const user = await addUser()
      const reset = await addOneTimeToken(user.id, {
        email: 'Zoë.Ünïcode+tag@Exämple.org',
        createdAt: at(0.001),
        expiresAt: at(3600.999),
      })
      const verify = await addOneTimeToken(user.id, {
        purpose: 'email_verify',
        expiresAt: at(3 * DAY),
        usedAt: at(7.007),
      })
      expect(await store.findOneTimeToken(reset.tokenHash)).toEqual(reset)
      expect(await store.findOneTimeToken(verify.tokenHash)).toEqual(verify)
      expect(await store.findOneTimeToken('f'.repeat(64))).toBeNull()
    })

    it('insertOneTimeToken() rejects a token of an unknown user, or with a hash already used', async () => {
      const store = current()
      const user = await addUser()
      const token = await addOneTimeToken(user.id)
      await expect(store.insertOneTimeToken(newOneTimeToken(user.id + 1000))).rejects.toThrow()
      await expect(store.insertOneTimeToken({ ...token, purpose: 'email_verify' })).rejects.toThrow()
      expect(await store.findOneTimeToken(token.tokenHash)).toEqual(token)
    })

    it('markOneTimeTokenUsed() spends a token once: true, then false; false for an unknown hash', async () => {
      const store = current()
      const user = await addUser()
      const token = await addOneTimeToken(user.id)
      const other = await addOneTimeToken(user.id, { purpose: 'email_verify' })
      expect(await store.markOneTimeTokenUsed(token.tokenHash, at(60.001))).toBe(true)
      expect(await store.markOneTimeTokenUsed(token.tokenHash, at(61))).toBe(false)
      expect(await store.findOneTimeToken(token.tokenHash)).toEqual({ ...token, usedAt: at(60.001) })
      expect(await store.findOneTimeToken(other.tokenHash)).toEqual(other)
      expect(await store.markOneTimeTokenUsed('f'.repeat(64), at(62))).toBe(false)
    })

    it('markOneTimeTokenUsed() lets exactly one of 20 concurrent uses win, and keeps its time', async () => {
      const store = current()
      const token = await addOneTimeToken((await addUser()).id)
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.markOneTimeTokenUsed(token.tokenHash, at(100 + i))),
      )
      expect(results.filter(Boolean)).toHaveLength(1)
      expect(await store.findOneTimeToken(token.tokenHash)).toEqual({
        ...token,
        usedAt: at(100 + results.indexOf(true)),
      })
    })

    it('deleteExpiredOneTimeTokens() deletes tokens expired before the cut-off, used or not; counts them', async () => {
      const store = current()
      const user = await addUser()
      const expired = await addOneTimeToken(user.id, { expiresAt: at(10) })
      const expiredUsed = await addOneTimeToken(user.id, { expiresAt: at(20), usedAt: at(15) })
      const expiresAtCut = await addOneTimeToken(user.id, { expiresAt: at(100) })
      const usedLive = await addOneTimeToken(user.id, { expiresAt: at(200), usedAt: at(50) })
      const live = await addOneTimeToken(user.id, { purpose: 'email_verify', expiresAt: at(3 * DAY) })
      expect(await store.deleteExpiredOneTimeTokens(at(100))).toBe(2)
      expect(await store.findOneTimeToken(expired.tokenHash)).toBeNull()
      expect(await store.findOneTimeToken(expiredUsed.tokenHash)).toBeNull()
      for (const kept of [expiresAtCut, usedLive, live]) {
        expect(await store.findOneTimeToken(kept.tokenHash)).toEqual(kept)
      }
      expect(await store.deleteExpiredOneTimeTokens(at(100))).toBe(0)
      expect(await store.deleteExpiredOneTimeTokens(T0)).toBe(0)
    })
  })
}
