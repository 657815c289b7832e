import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { at, credentialOf, DAY, newSession, newUser, T0 } from './fixtures.contract.js'
import type { NewUser, SessionRecord, Store, UserRecord } from './store.js'
import { describeAuditStoreContract } from './audit-store.contract.js'
import { describeImportStoreContract } from './import-store.contract.js'
import { describeSocialStoreContract } from './social-store.contract.js'
import { describeTokenStoreContract } from './token-store.contract.js'

/** A store under test and how to dispose of it. */
export interface StoreFixture {
  store: Store
  cleanup(): Promise<void>
}

/**
 * Declares the behaviour every `Store` engine must have, as one vitest suite; `makeStore` gives
 * each test an empty, migrated store.
 */
export function describeStoreContract(name: string, makeStore: () => Promise<StoreFixture>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store
    let fixture: StoreFixture

    beforeEach(async () => {
      fixture = await makeStore()
      store = fixture.store
    })
    afterEach(async () => {
      await fixture.cleanup()
    })

    const addUser = async (overrides: Partial<NewUser> = {}): Promise<UserRecord> => {
      const result = await store.insertUser(newUser(overrides))
      if (!result.ok) throw new Error(`fixture user refused: ${result.conflict}`)
      return result.user
    }

    const addSession = async (userId: number, overrides: Partial<SessionRecord> = {}) => {
      const session = newSession(userId, overrides)
      await store.insertSession(session)
      return session
    }

    describe('users', () => {
      it('insertUser() round-trips every field: unicode, nulls, booleans and dates to the millisecond', async () => {
        const full = newUser({
          email: 'Zoë.Ünïcode+tag@Exämple.org',
          emailKey: 'zoë.ünïcode+tag@exämple.org',
          username: 'Zoë_日本語_🚀',
          usernameKey: 'zoë_日本語_🚀',
          passwordHash: 'pbkdf2_sha256$870000$salt$hash=',
          isActive: false,
          isStaff: true,
          isSuperuser: true,
          emailVerified: true,
          bio: 'Line one\nline "two" — ünïcode 🚀',
          image: 'https://example.com/a.png?x=1&y=2',
          dateJoined: new Date('1999-12-31T23:59:59.999Z'),
          lastLogin: new Date('2025-06-15T08:30:45.001Z'),
          passwordChangedAt: new Date('2024-02-29T12:00:00.500Z'),
        })
        const sparse = newUser()
        for (const input of [full, sparse]) {
          const result = await store.insertUser(input)
          expect(result.ok).toBe(true)
          if (!result.ok) return
          const { id, ...fields } = result.user
          expect(fields).toEqual(input)
          expect(Number.isInteger(id)).toBe(true)
          expect(await store.findUserById(id)).toEqual(result.user)
        }
      })

      it('insertUser() assigns a fresh id, keeps a given one, and later ids never collide with it', async () => {
        const first = await addUser()
        const imported = await addUser({ id: first.id + 1000 })
        expect(imported.id).toBe(first.id + 1000)
        const later = await addUser()
        expect(later.id).toBeGreaterThan(imported.id)
      })

      it('findUserByEmailKey() and findUserByUsernameKey() match keys exactly, case included', async () => {
        const user = await addUser({ email: 'Zoë@x.org', emailKey: 'zoë@x.org', username: 'Zoë', usernameKey: 'zoë' })
        expect(await store.findUserByEmailKey('zoë@x.org')).toEqual(user)
        expect(await store.findUserByUsernameKey('zoë')).toEqual(user)
        expect(await store.findUserByEmailKey('Zoë@x.org')).toBeNull()
        expect(await store.findUserByUsernameKey('ZOË')).toBeNull()
        expect(await store.findUserByEmailKey('nobody@example.com')).toBeNull()
        expect(await store.findUserById(user.id + 1)).toBeNull()
      })

      it('insertUser() returns a conflict, not a throw, for a taken e-mail or username key', async () => {
        const taken = await addUser()
        expect(await store.insertUser(newUser({ emailKey: taken.emailKey }))).toEqual({ ok: false, conflict: 'email' })
        expect(await store.insertUser(newUser({ usernameKey: taken.usernameKey }))).toEqual({
          ok: false,
          conflict: 'username',
        })
        expect(await store.listUsers({ limit: 10 })).toEqual([taken])
      })

      it('insertUser() lets exactly one of 20 concurrent writers of one e-mail win', async () => {
        const results = await Promise.all(
          Array.from({ length: 20 }, () => store.insertUser(newUser({ emailKey: 'race@example.com' }))),
        )
        expect(results.filter((result) => result.ok)).toHaveLength(1)
        expect(results.filter((result) => !result.ok && result.conflict === 'email')).toHaveLength(19)
      })

      it('updateUser() changes only the fields given and returns the user', async () => {
        const user = await addUser()
        const patch = {
          isStaff: true,
          bio: 'hello 👋',
          lastLogin: at(60.001),
          passwordChangedAt: at(61.999),
          passwordHash: '$argon2id$new',
        }
        const result = await store.updateUser(user.id, patch)
        expect(result).toEqual({ ok: true, user: { ...user, ...patch } })
        expect(await store.findUserById(user.id)).toEqual({ ...user, ...patch })
        expect(await store.updateUser(user.id, { bio: null, lastLogin: null })).toEqual({
          ok: true,
          user: { ...user, ...patch, bio: null, lastLogin: null },
        })
      })

      it('updateUser() of lastLogin alone (every login\'s write) changes that user only, and returns null for an unknown one', async () => {
        const user = await addUser()
        const other = await addUser()
        expect(await store.updateUser(user.id, { lastLogin: at(62.5) })).toEqual({ ok: true, user: { ...user, lastLogin: at(62.5) } })
        expect(await store.findUserById(user.id)).toEqual({ ...user, lastLogin: at(62.5) })
        expect(await store.findUserById(other.id)).toEqual(other)
        expect(await store.updateUser(other.id + 1, { lastLogin: at(63) })).toBeNull()
      })

      it('updateUser() returns null for an unknown user, and the user for an empty patch', async () => {
        const user = await addUser()
        expect(await store.updateUser(user.id + 1, { bio: 'x' })).toBeNull()
        expect(await store.updateUser(user.id + 1, {})).toBeNull()
        expect(await store.updateUser(user.id, {})).toEqual({ ok: true, user })
      })

      it('updateUser() returns a conflict for a key another user holds, and writes nothing', async () => {
        const other = await addUser()
        const user = await addUser()
        expect(await store.updateUser(user.id, { emailKey: other.emailKey, bio: 'x' })).toEqual({
          ok: false,
          conflict: 'email',
        })
        expect(await store.updateUser(user.id, { usernameKey: other.usernameKey })).toEqual({
          ok: false,
          conflict: 'username',
        })
        expect(await store.findUserById(user.id)).toEqual(user)
        expect(await store.updateUser(user.id, { emailKey: user.emailKey, usernameKey: user.usernameKey })).toEqual({
          ok: true,
          user,
        })
      })

      it('listUsers() orders by id and pages with afterId and limit', async () => {
        const users = [await addUser(), await addUser(), await addUser(), await addUser(), await addUser()]
        expect(await store.listUsers({ limit: 2 })).toEqual(users.slice(0, 2))
        expect(await store.listUsers({ limit: 2, afterId: users[1]!.id })).toEqual(users.slice(2, 4))
        expect(await store.listUsers({ limit: 10, afterId: users[3]!.id })).toEqual(users.slice(4))
        expect(await store.listUsers({ limit: 10, afterId: users[4]!.id })).toEqual([])
      })

      it('listUsers() filters by isActive and isStaff', async () => {
        const staff = await addUser({ isStaff: true })
        const inactive = await addUser({ isActive: false })
        const plain = await addUser()
        expect(await store.listUsers({ limit: 10, isStaff: true })).toEqual([staff])
        expect(await store.listUsers({ limit: 10, isStaff: false })).toEqual([inactive, plain])
        expect(await store.listUsers({ limit: 10, isActive: false })).toEqual([inactive])
        expect(await store.listUsers({ limit: 10, isActive: true, isStaff: false })).toEqual([plain])
      })

      it('listUsers() matches q as a substring of either key in any case, with % and _ taken literally', async () => {
        const ada = await addUser({ emailKey: 'ada@lovelace.org', usernameKey: 'countess' })
        const zoe = await addUser({ emailKey: 'z@example.com', usernameKey: 'zoë_smith' })
        const plain = await addUser({ emailKey: 'p@example.com', usernameKey: 'zoexsmith' })
        expect(await store.listUsers({ limit: 10, q: 'LOVELACE' })).toEqual([ada])
        expect(await store.listUsers({ limit: 10, q: 'Countess' })).toEqual([ada])
        expect(await store.listUsers({ limit: 10, q: 'ZOË' })).toEqual([zoe])
        expect(await store.listUsers({ limit: 10, q: '_' })).toEqual([zoe])
        expect(await store.listUsers({ limit: 10, q: '%' })).toEqual([])
        expect(await store.listUsers({ limit: 10, q: 'example.com' })).toEqual([zoe, plain])
        expect(await store.listUsers({ limit: 10, q: '' })).toEqual([ada, zoe, plain])
      })

      it('insertUsers() writes thousands of users, with and without given ids, and returns the count', async () => {
        const batch = Array.from({ length: 2500 }, (_, i) =>
          newUser(i >= 1000 && i < 1100 ? { id: 500_000 + i } : { bio: i % 2 ? `bio ${i} ✓` : null }),
        )
        expect(await store.insertUsers(batch)).toBe(2500)
        expect(await store.insertUsers([])).toBe(0)
        const last = batch[2499]!
        const found = await store.findUserByEmailKey(last.emailKey)
        expect(found && { ...found, id: undefined }).toEqual({ ...last, id: undefined })
        expect(await store.findUserById(501_050)).toMatchObject({ emailKey: batch[1050]!.emailKey })
        const all = await store.listUsers({ limit: 3000 })
        expect(all).toHaveLength(2500)
        expect(new Set(all.map((user) => user.id)).size).toBe(2500)
      })

      it('insertUsers() writes nothing when one user of the batch is refused', async () => {
        const taken = await addUser()
        const batch = [newUser(), newUser(), newUser({ emailKey: taken.emailKey })]
        await expect(store.insertUsers(batch)).rejects.toThrow()
        expect(await store.listUsers({ limit: 10 })).toEqual([taken])
      })
    })

    describe('sessions', () => {
      it('findCredentialBySecretHash() returns the session and its principal fields, every field round-tripped', async () => {
        const user = await addUser({ username: 'Ünï', email: 'Zoë@Exämple.org', isStaff: true })
        const live = await addSession(user.id, { device: 'Firefox on Linux — 🚀', lastUsedAt: at(1.001) })
        const revoked = await addSession(user.id, { revokedAt: at(2.002) })
        expect(await store.findCredentialBySecretHash(live.secretHash)).toEqual(credentialOf(live, user))
        // The hot path returns revoked sessions too: the core, not the engine, decides what is dead.
        expect(await store.findCredentialBySecretHash(revoked.secretHash)).toEqual(credentialOf(revoked, user))
        expect(await store.findCredentialBySecretHash('f'.repeat(64))).toBeNull()
        const root = await addUser({ isActive: false, isSuperuser: true })
        const own = await addSession(root.id)
        expect(await store.findCredentialBySecretHash(own.secretHash)).toEqual(credentialOf(own, root))
      })

      it('findSessionById() returns the session or null', async () => {
        const user = await addUser()
        const session = await addSession(user.id)
        expect(await store.findSessionById(session.id)).toEqual(session)
        expect(await store.findSessionById('no-such-session')).toBeNull()
      })

      it('findCredentialBySessionId() returns the session and its principal fields, or null', async () => {
        const user = await addUser({ username: 'Ünï' })
        const live = await addSession(user.id, { lastUsedAt: at(1.001) })
        const revoked = await addSession(user.id, { revokedAt: at(2.002) })
        expect(await store.findCredentialBySessionId(live.id)).toEqual(credentialOf(live, user))
        expect(await store.findCredentialBySessionId(revoked.id)).toEqual(credentialOf(revoked, user))
        expect(await store.findCredentialBySessionId('no-such-session')).toBeNull()
      })

      it('insertSession() rejects a session of an unknown user or with a secret hash already used', async () => {
        const user = await addUser()
        const session = await addSession(user.id)
        await expect(store.insertSession(newSession(user.id + 1))).rejects.toThrow()
        await expect(store.insertSession(newSession(user.id, { secretHash: session.secretHash }))).rejects.toThrow()
        await expect(store.insertSession({ ...session, secretHash: 'e'.repeat(64) })).rejects.toThrow()
      })

      it('listLiveSessions() lists the user’s unrevoked, unexpired sessions, newest first', async () => {
        const user = await addUser()
        const other = await addUser()
        const older = await addSession(user.id, { createdAt: at(10) })
        const newer = await addSession(user.id, { createdAt: at(20) })
        await addSession(user.id, { createdAt: at(30), revokedAt: at(40) })
        await addSession(user.id, { createdAt: at(31), expiresAt: at(100) })
        await addSession(other.id, { createdAt: at(50) })
        expect(await store.listLiveSessions(user.id, at(99))).toHaveLength(3)
        // A session whose expiry is exactly now is dead.
        expect(await store.listLiveSessions(user.id, at(100))).toEqual([newer, older])
        expect(await store.listLiveSessions(user.id + 1000, at(100))).toEqual([])
      })

      it('touchSessions() moves lastUsedAt and expiresAt of each session, skipping ids that are gone', async () => {
        const user = await addUser()
        const [first, second, untouched] = [await addSession(user.id), await addSession(user.id), await addSession(user.id)]
        await store.touchSessions([
          { id: first.id, lastUsedAt: at(3600.5), expiresAt: at(40 * DAY + 0.25) },
          { id: 'no-such-session', lastUsedAt: at(1), expiresAt: at(2) },
          { id: second.id, lastUsedAt: at(7200.001), expiresAt: at(41 * DAY) },
        ])
        expect(await store.findSessionById(first.id)).toEqual({ ...first, lastUsedAt: at(3600.5), expiresAt: at(40 * DAY + 0.25) })
        expect(await store.findSessionById(second.id)).toEqual({ ...second, lastUsedAt: at(7200.001), expiresAt: at(41 * DAY) })
        expect(await store.findSessionById(untouched.id)).toEqual(untouched)
        await expect(store.touchSessions([])).resolves.toBeUndefined()
        // A thousand in one call: one transaction, whatever the engine's limit on parameters.
        const many = Array.from({ length: 1000 }, () => ({ id: first.id, lastUsedAt: at(9000), expiresAt: at(42 * DAY) }))
        await store.touchSessions(many)
        expect((await store.findSessionById(first.id))?.lastUsedAt).toEqual(at(9000))
        // A session touched twice in one batch keeps the later touch, as if written one by one.
        await store.touchSessions([
          { id: second.id, lastUsedAt: at(9500), expiresAt: at(43 * DAY) },
          { id: second.id, lastUsedAt: at(9400), expiresAt: at(44 * DAY) },
        ])
        expect(await store.findSessionById(second.id)).toMatchObject({ lastUsedAt: at(9400), expiresAt: at(44 * DAY) })
      })

      it('replaceSessionSecret() swaps the hash of a live session; false when revoked or gone', async () => {
        const user = await addUser()
        const session = await addSession(user.id)
        const revoked = await addSession(user.id, { revokedAt: at(5) })
        expect(await store.replaceSessionSecret(session.id, 'a'.repeat(64))).toBe(true)
        expect(await store.findCredentialBySecretHash(session.secretHash)).toBeNull()
        expect(await store.findCredentialBySecretHash('a'.repeat(64))).toMatchObject({ sessionId: session.id, secretHash: 'a'.repeat(64) })
        expect(await store.replaceSessionSecret(revoked.id, 'b'.repeat(64))).toBe(false)
        expect(await store.findSessionById(revoked.id)).toEqual(revoked)
        expect(await store.replaceSessionSecret('no-such-session', 'c'.repeat(64))).toBe(false)
      })

      it('revokeSession() revokes once: true, then false; false for an unknown session', async () => {
        const user = await addUser()
        const session = await addSession(user.id)
        expect(await store.revokeSession(session.id, at(7.007))).toBe(true)
        expect(await store.revokeSession(session.id, at(8))).toBe(false)
        expect(await store.findSessionById(session.id)).toEqual({ ...session, revokedAt: at(7.007) })
        expect(await store.revokeSession('no-such-session', at(8))).toBe(false)
      })

      it('revokeUserSessions() revokes every live session of the user but one, and returns their ids', async () => {
        const user = await addUser()
        const other = await addUser()
        const [a, b, c] = [await addSession(user.id), await addSession(user.id), await addSession(user.id)]
        const earlier = await addSession(user.id, { revokedAt: at(1) })
        const others = await addSession(other.id)
        expect((await store.revokeUserSessions(user.id, at(9), b!.id)).sort()).toEqual([a!.id, c!.id].sort())
        expect(await store.findSessionById(b!.id)).toEqual(b)
        expect(await store.findSessionById(earlier.id)).toEqual(earlier)
        expect(await store.findSessionById(others.id)).toEqual(others)
        expect(await store.revokeUserSessions(user.id, at(10))).toEqual([b!.id])
        expect(await store.findSessionById(a!.id)).toMatchObject({ revokedAt: at(9) })
      })

      it('revokeDeviceSessions() revokes the user’s live sessions on one device only', async () => {
        const user = await addUser()
        const other = await addUser()
        const phone = await addSession(user.id, { device: 'phone' })
        const laptop = await addSession(user.id, { device: 'laptop' })
        const othersPhone = await addSession(other.id, { device: 'phone' })
        expect(await store.revokeDeviceSessions(user.id, 'phone', at(3))).toEqual([phone.id])
        expect(await store.revokeDeviceSessions(user.id, 'phone', at(4))).toEqual([])
        expect(await store.findSessionById(laptop.id)).toEqual(laptop)
        expect(await store.findSessionById(othersPhone.id)).toEqual(othersPhone)
      })

      it('revokeSessionsBeyond() keeps the newest `keep` live sessions (ties by id) and revokes the rest', async () => {
        const user = await addUser()
        const oldest = await addSession(user.id, { id: 'sess-a', createdAt: at(1) })
        const tieLow = await addSession(user.id, { id: 'sess-b', createdAt: at(2) })
        const tieHigh = await addSession(user.id, { id: 'sess-c', createdAt: at(2) })
        const newest = await addSession(user.id, { id: 'sess-d', createdAt: at(3) })
        const expired = await addSession(user.id, { id: 'sess-e', createdAt: at(4), expiresAt: at(5) })
        expect(await store.revokeSessionsBeyond(user.id, 5, at(10))).toEqual([])
        expect((await store.revokeSessionsBeyond(user.id, 2, at(10))).sort()).toEqual([oldest.id, tieLow.id])
        expect(await store.listLiveSessions(user.id, at(10))).toEqual([newest, tieHigh])
        expect(await store.findSessionById(oldest.id)).toMatchObject({ revokedAt: at(10) })
        expect(await store.findSessionById(expired.id)).toEqual(expired)
        expect(await store.revokeSessionsBeyond(user.id, 0, at(11))).toHaveLength(2)
        expect(await store.listLiveSessions(user.id, at(11))).toEqual([])
      })

      it('revokeSessionsBeyond() always keeps `keepId`, even when it ties with others on createdAt', async () => {
        const user = await addUser()
        const tieHigh = await addSession(user.id, { id: 'sess-z', createdAt: at(2) })
        const fresh = await addSession(user.id, { id: 'sess-a', createdAt: at(2) })
        expect(await store.revokeSessionsBeyond(user.id, 1, at(10), fresh.id)).toEqual([tieHigh.id])
        expect(await store.listLiveSessions(user.id, at(10))).toEqual([fresh])
      })

      it('deleteDeadSessions() deletes sessions revoked or expired before the cut-off, and counts them', async () => {
        const user = await addUser()
        const revokedLong = await addSession(user.id, { revokedAt: at(10) })
        const expiredLong = await addSession(user.id, { expiresAt: at(10) })
        const revokedAtCut = await addSession(user.id, { revokedAt: at(100) })
        const expiresAtCut = await addSession(user.id, { expiresAt: at(100) })
        const live = await addSession(user.id)
        expect(await store.deleteDeadSessions(at(100))).toBe(2)
        expect(await store.findSessionById(revokedLong.id)).toBeNull()
        expect(await store.findSessionById(expiredLong.id)).toBeNull()
        expect(await store.findCredentialBySecretHash(expiredLong.secretHash)).toBeNull()
        for (const kept of [revokedAtCut, expiresAtCut, live]) {
          expect(await store.findSessionById(kept.id)).toEqual(kept)
        }
        expect(await store.deleteDeadSessions(at(100))).toBe(0)
      })

      it('insertSessions() writes thousands of sessions in one go, or none when one is refused', async () => {
        const users = [await addUser(), await addUser(), await addUser()]
        const batch = Array.from({ length: 5000 }, (_, i) => newSession(users[i % 3]!.id, { createdAt: at(i) }))
        expect(await store.insertSessions(batch)).toBe(5000)
        expect(await store.insertSessions([])).toBe(0)
        for (const session of [batch[0]!, batch[2345]!, batch[4999]!]) {
          expect(await store.findCredentialBySecretHash(session.secretHash)).toEqual(
            credentialOf(session, users.find((user) => user.id === session.userId)!),
          )
        }
        expect(await store.listLiveSessions(users[0]!.id, T0)).toHaveLength(1667)
        const refused = [newSession(users[0]!.id), newSession(users[0]!.id, { secretHash: batch[0]!.secretHash })]
        await expect(store.insertSessions(refused)).rejects.toThrow()
        expect(await store.findSessionById(refused[0]!.id)).toBeNull()
      })
    })

    describeTokenStoreContract(() => store)
    describeAuditStoreContract(() => store)
    describeSocialStoreContract(() => store)
    describeImportStoreContract(() => store)

    describe('settings and health', () => {
      it('putSettingIfAbsent() keeps the first value written and returns it', async () => {
        expect(await store.getSetting('jwt.keys')).toBeNull()
        expect(await store.putSettingIfAbsent('jwt.keys', '{"kid":"ä"}')).toBe('{"kid":"ä"}')
        expect(await store.putSettingIfAbsent('jwt.keys', 'second')).toBe('{"kid":"ä"}')
        expect(await store.getSetting('jwt.keys')).toBe('{"kid":"ä"}')
      })

      it('putSettingIfAbsent() gives 20 concurrent writers one and the same value', async () => {
        const writers = Array.from({ length: 20 }, (_, i) => store.putSettingIfAbsent('secret', `v${i}`))
        const kept = await Promise.all(writers)
        expect(new Set(kept).size).toBe(1)
        expect(await store.getSetting('secret')).toBe(kept[0])
      })

      it('replaceSetting() replaces the value only while it is still `expected`', async () => {
        expect(await store.replaceSetting('jwt.keys', 'anything', 'v1')).toBe(false)
        expect(await store.getSetting('jwt.keys')).toBeNull()
        await store.putSettingIfAbsent('jwt.keys', 'v1')
        expect(await store.replaceSetting('jwt.keys', 'v1', 'v2 — ünïcode')).toBe(true)
        expect(await store.getSetting('jwt.keys')).toBe('v2 — ünïcode')
        // A writer that read v1 before the change above holds a stale value: it changes nothing.
        expect(await store.replaceSetting('jwt.keys', 'v1', 'v3')).toBe(false)
        expect(await store.getSetting('jwt.keys')).toBe('v2 — ünïcode')
        // Matching is exact, and writing the value it already has still counts as a replacement.
        expect(await store.replaceSetting('jwt.keys', 'V2 — ÜNÏCODE', 'v3')).toBe(false)
        expect(await store.replaceSetting('jwt.keys', 'v2 — ünïcode', 'v2 — ünïcode')).toBe(true)
      })

      it('replaceSetting() lets exactly one of 20 concurrent writers of the same expected value win', async () => {
        await store.putSettingIfAbsent('secret', 'v0')
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => store.replaceSetting('secret', 'v0', `v${i + 1}`)),
        )
        expect(results.filter(Boolean)).toHaveLength(1)
        expect(await store.getSetting('secret')).toBe(`v${results.indexOf(true) + 1}`)
      })

      it('ping() resolves while the database answers', async () => {
        await expect(store.ping()).resolves.toBeUndefined()
      })
    })
  })
}
