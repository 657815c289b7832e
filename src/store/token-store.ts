import type { Store } from './store.js'

/** The part of `Store` over refresh and one-time tokens, which each engine builds in a file of its own. */
export type TokenStore = Pick<
  Store,
  | 'insertRefreshToken'
  | 'findRefreshTokenByHash'
  | 'markRefreshTokenUsed'
  | 'insertOneTimeToken'
  | 'findOneTimeToken'
  | 'markOneTimeTokenUsed'
  | 'deleteExpiredOneTimeTokens'
>
