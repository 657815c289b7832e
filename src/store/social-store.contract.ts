import { describe, expect, it } from 'vitest'
import { at, newUser, T0 } from './fixtures.contract.js'
import type { NewSocialIdentity, SocialCodeRecord, Store, UserRecord } from './store.js'

let serial = 0

/** A new identity of `userId` at provider `google`, unique within the run, with `overrides` applied. */
function newSocialIdentity(userId: number, overrides: Partial<NewSocialIdentity> = {}): NewSocialIdentity {
  const n = ++serial
  return {
    userId,
    provider: 'google',
    subject: `subject-${n}`,
    email: `person${n}@example.com`,
    emailVerified: true,
    createdAt: T0,
    lastUsedAt: T0,
    ...overrides,
  }
}

/** A live sign-in code of `userId`, unique within the run, with `overrides` applied. */
function newSocialCode(userId: number, overrides: Partial<SocialCodeRecord> = {}): SocialCodeRecord {
  const n = ++serial
  return {
    codeHash: (0xc0de0000 + n).toString(16).padStart(64, '0'),
    purpose: 'sign_in',
    userId,
    provider: 'google',
    device: 'Google sign-in · Firefox',
    challenge: null,
    createdAt: T0,
    expiresAt: at(60),
    ...overrides,
  }
}

/**
 * Declares the social-login part of the store contract (identities and codes); called inside
 * `describeStoreContract`, whose hooks give each test an empty store, which `current` returns.
 */
export function describeSocialStoreContract(current: () => Store): void {
  const addUser = async (): Promise<UserRecord> => {
    const result = await current().insertUser(newUser())
    if (!result.ok) throw new Error(`fixture user refused: ${result.conflict}`)
    return result.user
  }

  const addIdentity = async (userId: number, overrides: Partial<NewSocialIdentity> = {}) => {
    const identity = await current().insertSocialIdentity(newSocialIdentity(userId, overrides))
    if (!identity) throw new Error('fixture identity refused')
    return identity
  }

  describe('social identities', () => {
    it('insertSocialIdentity() round-trips every field: unicode, a null e-mail, booleans and ms dates', async () => {
      const store = current()
      const user = await addUser()
      const full = newSocialIdentity(user.id, {
        provider: 'gitlab',
        subject: 'Zoë|日本語|🚀 1234567890123456789',
        email: 'Zoë.Ünïcode+tag@Exämple.org',
        emailVerified: false,
        createdAt: at(0.001),
        lastUsedAt: at(86_400.999),
      })
      const sparse = newSocialIdentity(user.id, { email: null })
      for (const input of [full, sparse]) {
        const stored = await store.insertSocialIdentity(input)
        expect(stored).toEqual({ ...input, id: expect.any(Number) })
        expect(await store.findSocialIdentity(input.provider, input.subject)).toEqual(stored)
      }
    })

    it('findSocialIdentity() matches provider and subject exactly, case included', async () => {
      const store = current()
      const identity = await addIdentity((await addUser()).id, { provider: 'github', subject: 'AbC' })
      expect(await store.findSocialIdentity('github', 'AbC')).toEqual(identity)
      expect(await store.findSocialIdentity('github', 'abc')).toBeNull()
      expect(await store.findSocialIdentity('GitHub', 'AbC')).toBeNull()
      expect(await store.findSocialIdentity('google', 'AbC')).toBeNull()
    })

    it('insertSocialIdentity() answers null for a (provider, subject) already linked, to anyone; rejects an unknown user', async () => {
      const store = current()
      const [first, second] = [await addUser(), await addUser()]
      const identity = await addIdentity(first.id, { subject: 'same' })
      expect(await store.insertSocialIdentity(newSocialIdentity(second.id, { subject: 'same' }))).toBeNull()
      expect(await store.insertSocialIdentity(newSocialIdentity(first.id, { subject: 'same' }))).toBeNull()
      // The same subject at another provider is another person.
      expect(await store.insertSocialIdentity(newSocialIdentity(second.id, { subject: 'same', provider: 'github' }))).not.toBeNull()
      await expect(store.insertSocialIdentity(newSocialIdentity(second.id + 1000))).rejects.toThrow()
      expect(await store.findSocialIdentity('google', 'same')).toEqual(identity)
    })

    it('insertSocialIdentity() links exactly one of 10 concurrent inserts of the same pair', async () => {
      const store = current()
      const users = await Promise.all(Array.from({ length: 10 }, () => addUser()))
      const results = await Promise.all(users.map((user) => store.insertSocialIdentity(newSocialIdentity(user.id, { subject: 'race' }))))
      const winners = results.filter((result) => result !== null)
      expect(winners).toHaveLength(1)
      expect(await store.findSocialIdentity('google', 'race')).toEqual(winners[0])
    })

    it("listSocialIdentities() gives the user's identities oldest first, and only theirs", async () => {
      const store = current()
      const [user, other] = [await addUser(), await addUser()]
      const a = await addIdentity(user.id, { provider: 'github' })
      await addIdentity(other.id)
      const b = await addIdentity(user.id)
      expect(await store.listSocialIdentities(user.id)).toEqual([a, b])
      expect(await store.listSocialIdentities(other.id + 1000)).toEqual([])
    })

    it('touchSocialIdentity() records the e-mail now given and the time; null for an unknown id', async () => {
      const store = current()
      const identity = await addIdentity((await addUser()).id)
      const seen = { email: null, emailVerified: false, lastUsedAt: at(3600.5) }
      expect(await store.touchSocialIdentity(identity.id, seen)).toEqual({ ...identity, ...seen })
      expect(await store.findSocialIdentity(identity.provider, identity.subject)).toEqual({ ...identity, ...seen })
      expect(await store.touchSocialIdentity(identity.id + 1000, seen)).toBeNull()
    })

    it("deleteSocialIdentity() deletes only the user's own identity, and frees its pair", async () => {
      const store = current()
      const [user, other] = [await addUser(), await addUser()]
      const identity = await addIdentity(user.id)
      expect(await store.deleteSocialIdentity(identity.id, other.id, false)).toBe('not_found')
      expect(await store.deleteSocialIdentity(identity.id + 1000, user.id, false)).toBe('not_found')
      expect(await store.deleteSocialIdentity(identity.id, user.id, false)).toBe('deleted')
      expect(await store.deleteSocialIdentity(identity.id, user.id, false)).toBe('not_found')
      expect(await store.findSocialIdentity(identity.provider, identity.subject)).toBeNull()
      expect(await store.insertSocialIdentity(newSocialIdentity(other.id, { subject: identity.subject }))).not.toBeNull()
    })

    it("deleteSocialIdentity() with keepLast refuses the user's only identity, and deletes one of two", async () => {
      const store = current()
      const user = await addUser()
      const [a, b] = [await addIdentity(user.id), await addIdentity(user.id)]
      expect(await store.deleteSocialIdentity(a.id, user.id, true)).toBe('deleted')
      expect(await store.deleteSocialIdentity(b.id, user.id, true)).toBe('last')
      expect(await store.listSocialIdentities(user.id)).toEqual([b])
      expect(await store.deleteSocialIdentity(a.id, user.id, true)).toBe('not_found')
    })

    it("deleteSocialIdentity() with keepLast lets only one of two concurrent unlinks of a user's last two through", async () => {
      const store = current()
      for (let round = 0; round < 5; round++) {
        const user = await addUser()
        const [a, b] = [await addIdentity(user.id), await addIdentity(user.id)]
        const results = await Promise.all([
          store.deleteSocialIdentity(a.id, user.id, true),
          store.deleteSocialIdentity(b.id, user.id, true),
        ])
        expect(results.sort()).toEqual(['deleted', 'last'])
        expect(await store.listSocialIdentities(user.id)).toHaveLength(1)
      }
    })
  })

  describe('social codes', () => {
    it('takeSocialCode() returns every field once, then null; an unknown hash finds null', async () => {
      const store = current()
      const user = await addUser()
      const code = newSocialCode(user.id, { challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', createdAt: at(0.001), expiresAt: at(60.999) })
      const bare = newSocialCode(user.id, { purpose: 'link', device: '' })
      await store.insertSocialCode(code)
      await store.insertSocialCode(bare)
      expect(await store.takeSocialCode(code.codeHash, 'sign_in', at(1))).toEqual(code)
      expect(await store.takeSocialCode(code.codeHash, 'sign_in', at(1))).toBeNull()
      expect(await store.takeSocialCode(bare.codeHash, 'link', at(1))).toEqual(bare)
      expect(await store.takeSocialCode('f'.repeat(64), 'sign_in', at(1))).toBeNull()
    })

    it('takeSocialCode() finds nothing for another purpose or once expired, and leaves such a code alone', async () => {
      const store = current()
      const code = newSocialCode((await addUser()).id, { expiresAt: at(60) })
      await store.insertSocialCode(code)
      expect(await store.takeSocialCode(code.codeHash, 'link', at(1))).toBeNull()
      expect(await store.takeSocialCode(code.codeHash, 'sign_in', at(60))).toBeNull()
      expect(await store.takeSocialCode(code.codeHash, 'sign_in', at(59.999))).toEqual(code)
    })

    it('takeSocialCode() gives a code to exactly one of 20 concurrent takers', async () => {
      const store = current()
      const code = newSocialCode((await addUser()).id)
      await store.insertSocialCode(code)
      const results = await Promise.all(Array.from({ length: 20 }, () => store.takeSocialCode(code.codeHash, 'sign_in', at(1))))
      expect(results.filter((result) => result !== null)).toEqual([code])
    })

    it('insertSocialCode() rejects a code of an unknown user, or with a hash already used', async () => {
      const store = current()
      const user = await addUser()
      const code = newSocialCode(user.id)
      await store.insertSocialCode(code)
      await expect(store.insertSocialCode(newSocialCode(user.id + 1000))).rejects.toThrow()
      await expect(store.insertSocialCode({ ...code, purpose: 'link' })).rejects.toThrow()
      expect(await store.takeSocialCode(code.codeHash, 'sign_in', at(1))).toEqual(code)
    })

    it('deleteExpiredSocialCodes() deletes codes expired before the cut-off; counts them', async () => {
      const store = current()
      const user = await addUser()
      const expired = newSocialCode(user.id, { expiresAt: at(10) })
      const atCut = newSocialCode(user.id, { expiresAt: at(100) })
      const live = newSocialCode(user.id, { purpose: 'link', expiresAt: at(200) })
      for (const code of [expired, atCut, live]) await store.insertSocialCode(code)
      expect(await store.deleteExpiredSocialCodes(at(100))).toBe(1)
      expect(await store.deleteExpiredSocialCodes(at(100))).toBe(0)
      expect(await store.takeSocialCode(expired.codeHash, 'sign_in', T0)).toBeNull()
      expect(await store.takeSocialCode(atCut.codeHash, 'sign_in', T0)).toEqual(atCut)
      expect(await store.takeSocialCode(live.codeHash, 'link', T0)).toEqual(live)
    })
  })
}
