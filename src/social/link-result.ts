import type { SocialProfile } from '../core/social-accounts.js'
import { seal, unseal } from './seal.js'

/**
 * The outcome of a browser link flow, handed to the app on its redirect and confirmed by it with
 * the user's own token (POST /auth/social/:provider/link/confirm). The link is made only then, and
 * only for the user who started the flow: otherwise someone could send a victim the start URL of a
 * link for *their own* account, and the victim's provider account would be linked to it — and
 * sign the victim in to the attacker's account later (account-linking CSRF).
 */
export interface LinkResult {
  /** The user who started the link (from their link code). */
  userId: number
  profile: SocialProfile
  /** Epoch milliseconds. */
  expiresAt: number
}

/** How long the app has to confirm. */
export const LINK_RESULT_TTL_SECONDS = 120

/** Seals a link result for the app's redirect, bound to its provider. */
export function sealLinkResult(key: Buffer, result: LinkResult): string {
  return seal(key, `link:${result.profile.provider}`, result)
}

/** The link result sealed in `value` for `provider`, or null when it is forged, for another provider, or expired. */
export function openLinkResult(key: Buffer, value: string, provider: string, now: Date): LinkResult | null {
  const result = unseal(key, `link:${provider}`, value) as LinkResult | null
  return result !== null && result.profile?.provider === provider && result.expiresAt > now.getTime() ? result : null
}
