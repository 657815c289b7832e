import { hash, parseOptions, verify } from '@node-rs/argon2'
import type { ParsedHashOptions } from '@node-rs/argon2'
import bcrypt from 'bcryptjs'
import { createHash, pbkdf2, randomBytes, randomInt, scrypt, timingSafeEqual } from 'node:crypto'

/**
 * Argon2id parameters for every new hash: OWASP's recommendation of 19 MiB, 2 passes, 1 lane.
 * Exported so the benchmark hashes at exactly the cost a login pays.
 */
export const ARGON2_PARAMS = Object.freeze({ memoryCost: 19456, timeCost: 2, parallelism: 1 })

/** Marks a hash that no password can match, as Django's `set_unusable_password()` does. */
export const UNUSABLE_PASSWORD_PREFIX = '!'

/** The outcome of checking a password against a stored hash. */
export interface PasswordVerification {
  /** The password matches the hash. */
  ok: boolean
  /** The password matched, but its hash is a legacy format or weaker than `ARGON2_PARAMS`: store `hashPassword(password)` now. */
  needsRehash: boolean
}

/**
 * What a stored hash is, read without any password: `usable` when `verifyPassword` can check
 * passwords against it; otherwise why not — an unusable marker (`!…`), a hasher Tessera does not
 * verify (Django's `md5`, `sha1`, `crypt`, …), or a string that is not a well-formed hash of its
 * kind (or asks for more work than the caps allow).
 */
export type PasswordHashStatus =
  | { usable: true; algorithm: string }
  | { usable: false; reason: 'unusable' | 'unsupported' | 'malformed'; algorithm: string | null }

// @node-rs/argon2 declares Algorithm and Version as ambient const enums, which
// verbatimModuleSyntax cannot read; these are their values for Argon2id and version 0x13.
const ALGORITHM_ARGON2ID = 2
const VERSION_0X13 = 1
// The library's defaults for new hashes; a stored hash with less is weaker.
const MIN_OUTPUT_BYTES = 32
const MIN_SALT_BYTES = 16
// A corrupt or hostile stored hash must not make one login allocate terabytes or spin a libuv
// thread for hours. The caps sit above anything sane: RFC 9106's largest recommended memory
// (2 GiB), ten times Django's current PBKDF2 iteration count, bcrypt at 16 (Django uses 12; each
// step doubles the work, and bcryptjs runs on the main thread), and scrypt at 1 GiB or 1,000
// times Django's default work (N·r·p = 2^14·8·1).
const MAX_ARGON2_MEMORY_KIB = 2 ** 21
const MAX_ARGON2_TIME_COST = 64
const MAX_PBKDF2_ITERATIONS = 10_000_000
const MAX_BCRYPT_ROUNDS = 16
const MAX_SCRYPT_MEMORY_BYTES = 2 ** 30
const MAX_SCRYPT_WORK = 2 ** 17 * 1000

// Native PHC strings; argon2i is accepted because Django's older argon2 hashes use it.
const ARGON2_PHC = /^\$argon2(?:id|i)\$/
// Django's ARGON2 hasher stores argon2-cffi's PHC string behind its own `argon2` label.
const DJANGO_ARGON2_LABEL = 'argon2'
// pbkdf2_<digest>$<iterations>$<salt>$<base64 digest>, as Django's PBKDF2 hashers write it.
const DJANGO_PBKDF2 = /^pbkdf2_(sha256|sha1)\$([1-9][0-9]{0,8})\$([^$]+)\$([A-Za-z0-9+/]+={0,2})$/
const PBKDF2_KEY_BYTES = { sha256: 32, sha1: 20 } as const
// bcrypt$<bcrypt string> and bcrypt_sha256$<bcrypt string>: the library's own `$2b$12$<salt><hash>`
// behind Django's label, hence the double dollar.
const DJANGO_BCRYPT = /^(bcrypt|bcrypt_sha256)\$(\$2[aby]\$([0-9]{2})\$[./A-Za-z0-9]{53})$/
const MIN_BCRYPT_ROUNDS = 4
// scrypt$<N>$<salt>$<r>$<p>$<base64 of 64 bytes>, as Django 4's ScryptPasswordHasher.encode writes it.
const DJANGO_SCRYPT = /^scrypt\$([1-9][0-9]{0,9})\$([^$]+)\$([1-9][0-9]{0,5})\$([1-9][0-9]{0,5})\$([A-Za-z0-9+/]+={0,2})$/
const SCRYPT_KEY_BYTES = 64
// The labels of the formats verified here; another label is a hasher Tessera does not verify.
const VERIFIED_ALGORITHMS = new Set(['argon2', 'pbkdf2_sha256', 'pbkdf2_sha1', 'bcrypt', 'bcrypt_sha256', 'scrypt'])
const ALGORITHM_LABEL = /^[a-z][a-z0-9_]{0,31}$/
// get_random_string()'s alphabet, used for Django-compatible unusable markers.
const RANDOM_STRING_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
const UNUSABLE_PASSWORD_SUFFIX_LENGTH = 40

/** A stored hash taken apart, its costs within the caps: everything needed to check a password. */
type ParsedHash =
  | { kind: 'argon2'; phc: string; imported: boolean; params: ParsedHashOptions }
  | { kind: 'pbkdf2'; digest: 'sha256' | 'sha1'; iterations: number; salt: string; storedHash: string }
  | { kind: 'bcrypt'; prehash: boolean; bcryptHash: string }
  | { kind: 'scrypt'; n: number; r: number; p: number; salt: string; storedHash: string }

/** Hashes `password` with argon2id at `ARGON2_PARAMS` on the libuv pool, returning a PHC string. */
export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_PARAMS)
}

/**
 * Checks `password` against a stored argon2 PHC string or a Django hash (`argon2$…`,
 * `pbkdf2_sha256$…`, `pbkdf2_sha1$…`, `bcrypt_sha256$…`, `bcrypt$…`, `scrypt$…`); an unusable
 * (`!…`), unknown or malformed hash gives `{ ok: false, needsRehash: false }`, and it never throws.
 */
export async function verifyPassword(password: string, encoded: string): Promise<PasswordVerification> {
  let result: PasswordVerification | null = null
  try {
    // Callers from plain JavaScript (or a NULL column) may pass anything.
    const parsed = typeof password === 'string' ? parseHash(encoded) : null
    if (parsed !== null) result = await verifyParsed(password, parsed)
  } catch {
    // The libraries throw on hashes they cannot parse; to the caller that is a wrong password.
    result = null
  }
  if (result !== null) return result
  // As Django does since CVE-2024-39329: an unusable or unreadable hash still costs one hash,
  // so a quick answer cannot reveal which accounts exist without a usable password.
  await verifyDummyPassword(password)
  return { ok: false, needsRehash: false }
}

/**
 * Reads what a stored hash is without checking a password (an import reports unusable and
 * unreadable hashes by row); never throws. The algorithm is named only when it looks like a
 * hasher's label, so no part of a garbled hash is ever repeated.
 */
export function inspectPasswordHash(encoded: string): PasswordHashStatus {
  if (typeof encoded !== 'string' || encoded === '') return { usable: false, reason: 'malformed', algorithm: null }
  if (encoded.startsWith(UNUSABLE_PASSWORD_PREFIX)) return { usable: false, reason: 'unusable', algorithm: null }
  const label = encoded.startsWith('$') ? 'argon2' : encoded.split('$', 1)[0] ?? ''
  const algorithm = ALGORITHM_LABEL.test(label) && encoded.includes('$') ? label : null
  let parsed: ParsedHash | null = null
  try {
    parsed = parseHash(encoded)
  } catch {
    parsed = null
  }
  if (parsed !== null && algorithm !== null) return { usable: true, algorithm }
  if (algorithm !== null && !VERIFIED_ALGORITHMS.has(algorithm)) return { usable: false, reason: 'unsupported', algorithm }
  return { usable: false, reason: 'malformed', algorithm }
}

/** A `UNUSABLE_PASSWORD_PREFIX` marker followed by 40 random characters, like Django's `make_password(None)`. */
export function makeUnusablePassword(): string {
  let suffix = ''
  for (let i = 0; i < UNUSABLE_PASSWORD_SUFFIX_LENGTH; i++) {
    suffix += RANDOM_STRING_CHARS.charAt(randomInt(RANDOM_STRING_CHARS.length))
  }
  return UNUSABLE_PASSWORD_PREFIX + suffix
}

let dummyHash: Promise<string> | undefined

/**
 * Spends the time of one failed verification (against a fixed argon2id hash made once, at
 * `ARGON2_PARAMS`), so a login for an unknown user takes as long as a wrong password; never throws.
 */
export async function verifyDummyPassword(password: string): Promise<void> {
  try {
    // The hash is of a random secret nobody knows; only its cost matters.
    dummyHash ??= hashPassword(randomBytes(32).toString('base64url'))
    await verify(await dummyHash, typeof password === 'string' ? password : '')
  } catch {
    // Let the next call try again rather than keep a rejected promise forever.
    dummyHash = undefined
  }
}

/** The hash taken apart, or null when it is unusable, of no known format, or beyond the caps; may throw on garbage. */
function parseHash(encoded: string): ParsedHash | null {
  if (typeof encoded !== 'string' || encoded.startsWith(UNUSABLE_PASSWORD_PREFIX)) return null
  if (encoded.startsWith('$')) return parseArgon2(encoded, false)
  if (encoded.startsWith(DJANGO_ARGON2_LABEL + '$')) return parseArgon2(encoded.slice(DJANGO_ARGON2_LABEL.length), true)
  if (encoded.startsWith('pbkdf2_')) return parseDjangoPbkdf2(encoded)
  if (encoded.startsWith('bcrypt')) return parseDjangoBcrypt(encoded)
  if (encoded.startsWith('scrypt$')) return parseDjangoScrypt(encoded)
  return null
}

async function verifyParsed(password: string, parsed: ParsedHash): Promise<PasswordVerification> {
  switch (parsed.kind) {
    case 'argon2': {
      const ok = await verify(parsed.phc, password)
      return { ok, needsRehash: ok && (parsed.imported || isWeakerThanPolicy(parsed.params)) }
    }
    case 'pbkdf2': {
      // Django: base64(pbkdf2_hmac(digest, utf8(password), utf8(salt), iterations)), dklen = digest size.
      const derived = await pbkdf2Async(password, parsed.salt, parsed.iterations, PBKDF2_KEY_BYTES[parsed.digest], parsed.digest)
      return legacy(sameBase64(derived, parsed.storedHash))
    }
    case 'bcrypt': {
      // bcrypt_sha256 feeds bcrypt the hex SHA-256 of the password, so long passwords are not cut at 72 bytes.
      const secret = parsed.prehash ? createHash('sha256').update(password, 'utf8').digest('hex') : password
      return legacy(await bcrypt.compare(secret, parsed.bcryptHash))
    }
    case 'scrypt': {
      const derived = await scryptAsync(password, parsed.salt, parsed)
      return legacy(sameBase64(derived, parsed.storedHash))
    }
  }
}

/** A match against a legacy (Django) format, which is re-hashed to argon2id at once. */
function legacy(ok: boolean): PasswordVerification {
  return { ok, needsRehash: ok }
}

function parseArgon2(phc: string, imported: boolean): ParsedHash | null {
  if (!ARGON2_PHC.test(phc)) return null
  // Reading the parameters first lets the caps refuse a hash before any memory is allocated.
  const params = parseOptions(phc)
  if (params.memoryCost > MAX_ARGON2_MEMORY_KIB || params.timeCost > MAX_ARGON2_TIME_COST) return null
  return { kind: 'argon2', phc, imported, params }
}

/** True when a stored argon2 hash costs an attacker less than `ARGON2_PARAMS` would. */
function isWeakerThanPolicy(params: ParsedHashOptions): boolean {
  // Parallelism is not compared: memory is the total over all lanes, so more lanes are not weaker.
  return (
    params.algorithm !== ALGORITHM_ARGON2ID ||
    params.version !== VERSION_0X13 ||
    params.memoryCost < ARGON2_PARAMS.memoryCost ||
    params.timeCost < ARGON2_PARAMS.timeCost ||
    params.outputLen < MIN_OUTPUT_BYTES ||
    params.saltLen < MIN_SALT_BYTES
  )
}

function parseDjangoPbkdf2(encoded: string): ParsedHash | null {
  const match = DJANGO_PBKDF2.exec(encoded)
  if (match === null) return null
  const [, digest = '', iterationsText = '', salt = '', storedHash = ''] = match
  if (digest !== 'sha256' && digest !== 'sha1') return null
  const iterations = Number(iterationsText)
  if (iterations > MAX_PBKDF2_ITERATIONS || storedHash.length !== base64Length(PBKDF2_KEY_BYTES[digest])) return null
  return { kind: 'pbkdf2', digest, iterations, salt, storedHash }
}

function parseDjangoBcrypt(encoded: string): ParsedHash | null {
  const match = DJANGO_BCRYPT.exec(encoded)
  if (match === null) return null
  const [, algorithm = '', bcryptHash = '', roundsText = ''] = match
  const rounds = Number(roundsText)
  if (rounds < MIN_BCRYPT_ROUNDS || rounds > MAX_BCRYPT_ROUNDS) return null
  return { kind: 'bcrypt', prehash: algorithm === 'bcrypt_sha256', bcryptHash }
}

function parseDjangoScrypt(encoded: string): ParsedHash | null {
  const match = DJANGO_SCRYPT.exec(encoded)
  if (match === null) return null
  const [, nText = '', salt = '', rText = '', pText = '', storedHash = ''] = match
  const [n, r, p] = [Number(nText), Number(rText), Number(pText)]
  // N must be a power of two above 1 (scrypt's own rule); the caps bound memory and time.
  if (n < 2 || (n & (n - 1)) !== 0 || n > 2 ** 30) return null
  if (scryptMemory(n, r, p) > MAX_SCRYPT_MEMORY_BYTES || n * r * p > MAX_SCRYPT_WORK) return null
  if (storedHash.length !== base64Length(SCRYPT_KEY_BYTES)) return null
  return { kind: 'scrypt', n, r, p, salt, storedHash }
}

/** Compares derived bytes with a stored base64 digest as Django compares them (the encoded strings), in constant time. */
function sameBase64(derived: Buffer, storedHash: string): boolean {
  // The lengths were checked when the hash was parsed, and are public anyway.
  return timingSafeEqual(Buffer.from(derived.toString('base64')), Buffer.from(storedHash))
}

function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4
}

/** The bytes scrypt allocates: OpenSSL's V (128·r·(N+2)) and B (128·r·p) arrays. */
function scryptMemory(n: number, r: number, p: number): number {
  return 128 * r * (n + 2) + 128 * r * p
}

/** node:crypto's pbkdf2 runs on the libuv pool; this only wraps its callback. */
function pbkdf2Async(password: string, salt: string, iterations: number, keyBytes: number, digest: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(password, salt, iterations, keyBytes, digest, (error, key) => (error ? reject(error) : resolve(key)))
  })
}

/** node:crypto's scrypt on the libuv pool, with room for exactly the memory these parameters need. */
function scryptAsync(password: string, salt: string, { n, r, p }: { n: number; r: number; p: number }): Promise<Buffer> {
  // Node refuses more than 32 MiB by default; the caps above already bounded what is asked for.
  const maxmem = scryptMemory(n, r, p) + 1024 * 1024
  return new Promise((resolve, reject) => {
    scrypt(password, salt, SCRYPT_KEY_BYTES, { N: n, r, p, maxmem }, (error, key) => (error ? reject(error) : resolve(key)))
  })
}
