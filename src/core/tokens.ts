import * as crypto from 'node:crypto'
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/**
 * Opaque tokens: `tsr_` + 43 base64url characters (256 random bits). The prefix lets secret
 * scanners find a leaked token; the secret is stored only as its SHA-256, which is the right
 * hash for a full-entropy secret (no salt or slow hash can add anything to 256 random bits).
 */
export const TOKEN_PREFIX = 'tsr_'
const SECRET_BYTES = 32
const TOKEN_BODY = /^[A-Za-z0-9_-]{43}$/
const TOKEN = /^tsr_[A-Za-z0-9_-]{43}$/
/** DRF's authtoken keys (40 hex characters), kept working after an import. */
const DRF_KEY = /^[0-9a-f]{40}$/

/** A freshly made token and the hash that is stored in its place. */
export interface GeneratedToken {
  token: string
  secretHash: string
}

/** Makes a new opaque token; the plain token must be shown once and never stored. */
export function generateToken(prefix = TOKEN_PREFIX): GeneratedToken {
  const token = prefix + randomBytes(SECRET_BYTES).toString('base64url')
  return { token, secretHash: hashSecret(token) }
}

/** True when `token` has the shape of a token this server could have issued or imported. */
export function isWellFormedToken(token: string, prefix = TOKEN_PREFIX): boolean {
  // The server's own prefix is checked with the body in one pass, without slicing (every request).
  if (prefix === TOKEN_PREFIX && token.length === TOKEN_PREFIX.length + 43) return TOKEN.test(token)
  if (token.startsWith(prefix)) return TOKEN_BODY.test(token.slice(prefix.length))
  return DRF_KEY.test(token)
}

/** True when `key` has the shape of a DRF authtoken key (40 lowercase hex characters), which imports keep. */
export function isDrfKey(key: string): boolean {
  return DRF_KEY.test(key)
}

// Node ≥ 20.12 has a one-shot hash that skips the Hash object; it runs on every request.
const oneShot = (crypto as unknown as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash

/** The stored form of a secret: SHA-256, hex. */
export function hashSecret(secret: string): string {
  return oneShot ? oneShot('sha256', secret, 'hex') : createHash('sha256').update(secret).digest('hex')
}

/** Compares two strings in time independent of where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  // Lengths of hashes are public; comparing them early leaks nothing secret.
  if (left.length !== right.length) return false
  return timingSafeEqual(left, right)
}

const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** True when `id` has the shape of a session id, so anything else is "not found" without a query. */
export function isSessionId(id: string): boolean {
  return SESSION_ID.test(id)
}

/**
 * A random identifier for a session: unguessable (74 random bits), so ids in URLs reveal nothing
 * but when the session began. A UUIDv7 (RFC 9562): it starts with the time in ms, so the id index
 * grows at its end, where a random UUID sent every login's INSERT to a random page of it (on a
 * SQLite file of a million sessions, a quarter of the INSERT's time, most of it reading that page).
 */
export function generateSessionId(): string {
  const bytes = randomBytes(16)
  bytes.writeUIntBE(Date.now(), 0, 6)
  bytes[6] = (bytes[6]! & 0x0f) | 0x70
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** A random secret of `bytes` bytes, base64url (cookie secrets, one-time tokens). */
export function generateSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url')
}

/** The PKCE `S256` challenge of a verifier (RFC 7636): base64url of its SHA-256. */
export function s256Challenge(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url')
}
