import type { Store } from './store.js'

/** The part of `Store` over social identities and social codes, which each engine builds in a file of its own. */
export type SocialStore = Pick<
  Store,
  | 'insertSocialIdentity'
  | 'findSocialIdentity'
  | 'listSocialIdentities'
  | 'touchSocialIdentity'
  | 'deleteSocialIdentity'
  | 'insertSocialCode'
  | 'takeSocialCode'
  | 'deleteExpiredSocialCodes'
>
