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
  // The usual header, `Token <t>` or `Bearer <t>` with nothing around it, in one pass and no copy
  // but the credential; anything else (other case, extra spaces, bad characters) takes the long way.
  const start = header.startsWith('Token ') ? 6 : header.startsWith('Bearer ') ? 7 : 0
  if (start !== 0) {
    const credential = header.slice(start)
    if (PRINTABLE.test(credential)) return { kind: 'credential', credential }
  }
  // Hand-parsed rather than split on a regex: this runs on every authenticated request.
  const value = header.trim()
  const space = value.search(/\s/)
  const keyword = (space === -1 ? value : value.slice(0, space)).toLowerCase()
  if (keyword !== 'token' && keyword !== 'bearer') return NONE
  if (space === -1) return NO_CREDENTIALS
  const credential = value.slice(space).trimStart()
  if (credential === '') return NO_CREDENTIALS
  // One pass for the common case; only a refused credential is looked at again for the reason.
  if (PRINTABLE.test(credential)) return { kind: 'credential', credential }
  return /\s/.test(credential) ? SPACES : BAD_CHARACTERS
}
