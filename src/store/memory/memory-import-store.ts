import type { ImportStore } from '../import-store.js'
import type { NewUser, SessionRecord, UserRecord, UserWriteResult } from '../store.js'

/** What the import tables need of the memory store's users and sessions. */
export interface MemoryImportParents {
  /** A copy of the user with `id`, if any. */
  userById(id: number): UserRecord | undefined
  userIdByEmailKey(emailKey: string): number | undefined
  userIdByUsernameKey(usernameKey: string): number | undefined
  hasSecretHash(secretHash: string): boolean
  /** Writes a user checked beforehand. */
  addUser(user: NewUser): UserWriteResult
  /** Writes a session checked beforehand. */
  addSession(session: SessionRecord): void
}

/** The memory store's import tables: their Store methods, and how to empty them. */
export interface MemoryImportTables {
  methods: ImportStore
  clear(): void
}

/**
 * Builds the Django links and imported-key hashes in Maps, with the SQL engines' keys and
 * all-or-nothing batches; `createMemoryStore` composes them with the rest.
 */
export function createMemoryImportTables(parents: MemoryImportParents): MemoryImportTables {
  const userIdByDjangoId = new Map<number, number | null>()
  const importedTokenHashes = new Set<string>()
  const refused = (what: string) => new Error(`memory store: UNIQUE constraint failed in ${what}`)

  const methods: ImportStore = {
    async findDjangoUserLinks(djangoIds) {
      return [...new Set(djangoIds)]
        .filter((djangoId) => userIdByDjangoId.has(djangoId))
        .map((djangoId) => ({ djangoId, userId: userIdByDjangoId.get(djangoId) ?? null }))
    },

    async findUsersByAnyKey({ ids, emailKeys, usernameKeys }) {
      const found = new Set<number>(ids.filter((id) => parents.userById(id) !== undefined))
      for (const key of emailKeys) addDefined(found, parents.userIdByEmailKey(key))
      for (const key of usernameKeys) addDefined(found, parents.userIdByUsernameKey(key))
      return [...found].sort((a, b) => a - b).map((id) => parents.userById(id)!)
    },

    async insertDjangoUsers(batch) {
      // All or nothing, like one transaction: check the whole batch before writing any of it.
      const djangoIds = new Set<number>()
      const ids = new Set<number>()
      const emailKeys = new Set<string>()
      const usernameKeys = new Set<string>()
      for (const { djangoId, user } of batch) {
        if (userIdByDjangoId.has(djangoId) || djangoIds.has(djangoId)) throw refused('insertDjangoUsers (django_id)')
        const idTaken = user.id !== undefined && (parents.userById(user.id) !== undefined || ids.has(user.id))
        const emailTaken = parents.userIdByEmailKey(user.emailKey) !== undefined || emailKeys.has(user.emailKey)
        const usernameTaken = parents.userIdByUsernameKey(user.usernameKey) !== undefined || usernameKeys.has(user.usernameKey)
        if (idTaken || emailTaken || usernameTaken) throw refused('insertDjangoUsers')
        djangoIds.add(djangoId)
        if (user.id !== undefined) ids.add(user.id)
        emailKeys.add(user.emailKey)
        usernameKeys.add(user.usernameKey)
      }
      // Users with an id of their own first, as the SQL engines do, so the others cannot take one of theirs.
      const ordered = [...batch.filter(({ user }) => user.id !== undefined), ...batch.filter(({ user }) => user.id === undefined)]
      const idOf = new Map<number, number>()
      for (const { djangoId, user } of ordered) {
        const written = parents.addUser(user)
        if (!written.ok) throw refused('insertDjangoUsers')
        idOf.set(djangoId, written.user.id)
        userIdByDjangoId.set(djangoId, written.user.id)
      }
      return batch.map(({ djangoId }) => idOf.get(djangoId)!)
    },

    async findImportedTokenHashes(secretHashes) {
      return [...new Set(secretHashes)].filter((hash) => importedTokenHashes.has(hash))
    },

    async insertDjangoSessions(batch) {
      const hashes = new Set<string>()
      for (const session of batch) {
        const taken = importedTokenHashes.has(session.secretHash) || parents.hasSecretHash(session.secretHash)
        if (taken || hashes.has(session.secretHash) || parents.userById(session.userId) === undefined) {
          throw refused('insertDjangoSessions')
        }
        hashes.add(session.secretHash)
      }
      for (const session of batch) {
        parents.addSession(session)
        importedTokenHashes.add(session.secretHash)
      }
      return batch.length
    },
  }

  return {
    methods,
    clear() {
      userIdByDjangoId.clear()
      importedTokenHashes.clear()
    },
  }
}

function addDefined(set: Set<number>, value: number | undefined): void {
  if (value !== undefined) set.add(value)
}
