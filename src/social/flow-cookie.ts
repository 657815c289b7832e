import { seal, unseal } from './seal.js'

/**
 * The browser flow's state between its start and the provider's callback — `state`, `nonce`,
 * the PKCE verifier, where to return to — sealed into a cookie of the browser that started it,
 * so it can be neither read nor forged. A callback without that cookie, from another browser or
 * a forged link, has nothing to complete. No server-side state, so any process behind a load
 * balancer can take the callback.
 */

/** What the start of a flow leaves for its callback. */
export interface FlowState {
  provider: string
  state: string
  /** Null for providers without ID tokens (GitHub). */
  nonce: string | null
  verifier: string
  /** Where the browser goes afterwards; already checked against the allowlist. */
  next: string
  /** The user a link flow links to; null for a sign-in. */
  linkUserId: number | null
  /** The app's own PKCE S256 challenge, which the exchange of the sign-in code must answer. */
  challenge: string | null
  /** Epoch milliseconds. */
  expiresAt: number
}

/** How long a person may take at the provider. */
export const FLOW_TTL_SECONDS = 600

/** Seals flow state into a cookie value, bound to its provider. */
export function sealFlow(key: Buffer, flow: FlowState): string {
  return seal(key, `flow:${flow.provider}`, flow)
}

/** The flow state sealed in `value` for `provider`, or null when it is forged, tampered with, for another provider, or expired. */
export function openFlow(key: Buffer, value: string, provider: string, now: Date): FlowState | null {
  const flow = unseal(key, `flow:${provider}`, value) as FlowState | null
  return flow !== null && flow.provider === provider && flow.expiresAt > now.getTime() ? flow : null
}
