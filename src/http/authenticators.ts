import type { CredentialFailure } from './types.js'

/** What an `Authorization` header holds for Tessera's schemes (`Token`, `Bearer`). */
export type HeaderCredential =
  | { kind: 'none' }
  | { kind: 'malformed'; failure: CredentialFailure }
  | { kind: 'credential'; credential: string }

const NONE: HeaderCredential = { kind: 'none' }
const NO_CREDENTIALS: HeaderCredential = { kind: 'malformed', failure: 'no_credentials' }
const SPACES: HeaderCredential = { kind: 'malformed', failure: 'contains_spaces' }
const BAD_CHARACTERS: HeaderCredential = { kind: 'malformed', failure: 'invalid_characters' }
// Printable ASCII: what any token or JWT this server accepts is made of.
const PRINTABLE = /^[\x21-\x7e]+$/

/**
 * Reads `Authorization: Token <credential>` or `Bearer <credential>` (keyword in any case), the
 * way DRF's TokenAuthentication does: another scheme is not ours (none), a keyword alone or a
 * credential with spaces is malformed.
 */
export function readAuthorization(header: string | undefined): HeaderCredential {
  if (header === undefined) return NONE
  const parts = header.trim().split(/\s+/)
  const keyword = parts[0]?.toLowerCase()
  if (keyword !== 'token' && keyword !== 'bearer') return NONE
  if (parts.length === 1) return NO_CREDENTIALS
  if (parts.length > 2) return SPACES
  const credential = parts[1]!
  return PRINTABLE.test(credential) ? { kind: 'credential', credential } : BAD_CHARACTERS
}
