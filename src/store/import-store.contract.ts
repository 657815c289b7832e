import { describe, expect, it } from 'vitest'
import { at, DAY, newSession, newUser, T0 } from './fixtures.contract.js'
import type { NewDjangoUser, Store } from './store.js'

/** A Django user to import with `djangoId`, keeping that id as its Tessera id unless `ownId` is false. */
function djangoUser(djangoId: number, ownId = true): NewDjangoUser {
  return { djangoId, user: newUser(ownId ? { id: djangoId } : {}) }
}

/**
 * Declares the import part of the store contract (`tessera import-django`); called inside
 * `describeStoreContract`, whose hooks give each test an empty store, which `current` returns.
 */
export function describeImportStoreContract(current: () => Store): void {
  describe('Django import', () => {
    it('insertDjangoUsers() keeps given ids, numbers the rest past them, links every one, and returns the ids in order', async () => {
      const store = current()
      const ids = await store.insertDjangoUsers([djangoUser(7), djangoUser(3, false), djangoUser(5)])
      expect(ids[0]).toBe(7)
      expect(ids[2]).toBe(5)
      expect(ids[1]).toBeGreaterThan(7)
      expect(await store.findUserById(ids[1]!)).not.toBeNull()
      const links = await store.findDjangoUserLinks([3, 4, 5, 7, 7])
      expect(links.sort((a, b) => a.djangoId - b.djangoId)).toEqual([
        { djangoId: 3, userId: ids[1] },
        { djangoId: 5, userId: 5 },
        { djangoId: 7, userId: 7 },
      ])
      // A user registered afterwards gets an id none of the imported users holds.
      const later = await store.insertUser(newUser())
      expect(later.ok && later.user.id).toBeGreaterThan(ids[1]!)
    })

    it('insertDjangoUsers() writes nothing, links included, when one user of the batch is refused', async () => {
      const store = current()
      const held = await store.insertUser(newUser())
      if (!held.ok) throw new Error('fixture user refused')
      const clash = { djangoId: 20, user: newUser({ id: 20, emailKey: held.user.emailKey }) }
      await expect(store.insertDjangoUsers([djangoUser(10), clash])).rejects.toThrow()
      await expect(store.insertDjangoUsers([djangoUser(11), djangoUser(11, false)])).rejects.toThrow()
      await expect(store.insertDjangoUsers([djangoUser(held.user.id)])).rejects.toThrow()
      expect(await store.findUserById(10)).toBeNull()
      expect(await store.findUserById(11)).toBeNull()
      expect(await store.findDjangoUserLinks([10, 11, 20, held.user.id])).toEqual([])
      expect(await store.insertDjangoUsers([])).toEqual([])
    })

    it('findUsersByAnyKey() finds users by id, e-mail key or username key, each once, over thousands of keys', async () => {
      const store = current()
      const batch = Array.from({ length: 2500 }, (_, i) => djangoUser(i + 1))
      await store.insertDjangoUsers(batch)
      const users = batch.map(({ user }) => user)
      const found = await store.findUsersByAnyKey({
        ids: [1, 2, 2400, 9999],
        emailKeys: [users[1]!.emailKey, users[1500]!.emailKey, 'nobody@example.com'],
        usernameKeys: [users[2499]!.usernameKey, 'nobody', ...users.slice(100, 1300).map((user) => user.usernameKey)],
      })
      const expected = [1, 2, 2400, 1501, 2500, ...Array.from({ length: 1200 }, (_, i) => 101 + i)]
      expect(found.map((user) => user.id)).toEqual([...new Set(expected)].sort((a, b) => a - b))
      expect(found.find((user) => user.id === 2)).toMatchObject({ email: users[1]!.email, passwordHash: users[1]!.passwordHash })
      expect(await store.findUsersByAnyKey({ ids: [], emailKeys: [], usernameKeys: [] })).toEqual([])
    })

    it('insertDjangoSessions() round-trips importedAt, and remembers each key after its session is rotated or gone', async () => {
      const store = current()
      const [userId] = await store.insertDjangoUsers([djangoUser(1)])
      const imported = newSession(userId!, { createdAt: at(-3 * 365 * DAY), lastUsedAt: T0, importedAt: T0, expiresAt: at(30 * DAY) })
      const expired = newSession(userId!, { importedAt: at(-90 * DAY), expiresAt: at(-60 * DAY) })
      expect(await store.insertDjangoSessions([imported, expired])).toBe(2)
      expect(await store.findSessionById(imported.id)).toEqual(imported)
      expect(await store.findCredentialBySecretHash(imported.secretHash)).toMatchObject({
        sessionId: imported.id,
        createdAt: imported.createdAt.getTime(),
        importedAt: T0.getTime(),
      })
      const own = newSession(userId!)
      await store.insertSession(own)
      expect(await store.findSessionById(own.id)).toEqual(own)
      expect((await store.findSessionById(own.id))?.importedAt ?? null).toBeNull()

      expect(await store.replaceSessionSecret(imported.id, 'a'.repeat(64))).toBe(true)
      expect(await store.deleteDeadSessions(T0)).toBe(1)
      expect(await store.findSessionById(expired.id)).toBeNull()
      const asked = [imported.secretHash, expired.secretHash, own.secretHash, 'a'.repeat(64)]
      expect((await store.findImportedTokenHashes(asked)).sort()).toEqual([imported.secretHash, expired.secretHash].sort())
      expect(await store.insertDjangoSessions([])).toBe(0)
    })

    it('insertDjangoSessions() writes nothing when one key was imported before or one session is refused', async () => {
      const store = current()
      const [userId] = await store.insertDjangoUsers([djangoUser(1)])
      const first = newSession(userId!, { importedAt: T0 })
      await store.insertDjangoSessions([first])
      const fresh = newSession(userId!, { importedAt: T0 })
      await expect(store.insertDjangoSessions([fresh, newSession(userId!, { secretHash: first.secretHash, importedAt: T0 })])).rejects.toThrow()
      await expect(store.insertDjangoSessions([fresh, newSession(9999, { importedAt: T0 })])).rejects.toThrow()
      expect(await store.findSessionById(fresh.id)).toBeNull()
      expect(await store.findImportedTokenHashes([fresh.secretHash])).toEqual([])
    })
  })
}
