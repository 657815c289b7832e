import type { Store } from './store.js'

/** The part of `Store` that `tessera import-django` uses, which each engine builds in a file of its own. */
export type ImportStore = Pick<
  Store,
  'findDjangoUserLinks' | 'findUsersByAnyKey' | 'insertDjangoUsers' | 'findImportedTokenHashes' | 'insertDjangoSessions'
>
