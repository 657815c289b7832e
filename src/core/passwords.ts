import { hash, parseOptions, verify } from '@node-rs/argon2'
import type { ParsedHashOptions } from '@node-rs/argon2'
import { pbkdf2, randomBytes, randomInt, timingSafeEqual } from 'node:crypto'

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

// @node-rs/argon2 declares Algorithm and Version as ambient const enums, which
// verbatimModuleSyntax cannot read; these are their values for Argon2id and version 0x13.
const ALGORITHM_ARGON2ID = 2
const VERSION_0X13 = 1
// The library's defaults for new hashes; a stored hash with less is weaker.
const MIN_OUTPUT_BYTES = 32
const MIN_SALT_BYTES = 16
// A corrupt or hostile stored hash must not make one login allocate terabytes or spin a libuv
// thread for hours. The caps sit above anything sane: RFC 9106's largest recommended memory
// (2 GiB), and ten times Django's current PBKDF2 iteration count.
const MAX_ARGON2_MEMORY_KIB = 2 ** 21
const MAX_ARGON2_TIME_COST = 64
const MAX_PBKDF2_ITERATIONS = 10_000_000

// Native PHC strings; argon2i is accepted because Django's older argon2 hashes use it.
const ARGON2_PHC = /^\$argon2(?:id|i)\$/
// Django's ARGON2 hasher stores argon2-cffi's PHC string behind its own `argon2` label.
const DJANGO_ARGON2_LABEL = 'argon2'
// pbkdf2_<digest>$<iterations>$<salt>$<base64 digest>, as Django's PBKDF2 hashers write it.
const DJANGO_PBKDF2 = /^pbkdf2_(sha256|sha1)\$([1-9][0-9]{0,8})\$([^$]+)\$([A-Za-z0-9+/]+={0,2})$/
const PBKDF2_KEY_BYTES = { sha256: 32, sha1: 20 } as const
// get_random_string()'s alphabet, used for Django-compatible unusable markers.
const RANDOM_STRING_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
const UNUSABLE_PASSWORD_SUFFIX_LENGTH = 40

/** Hashes `password` with argon2id at `ARGON2_PARAMS` on the libuv pool, returning a PHC string. */
export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_PARAMS)
}

/**
 * Checks `password` against a stored argon2 PHC string or a Django `argon2$…`,
 * `pbkdf2_sha256$…` or `pbkdf2_sha1$…` hash; an unusable (`!…`), unknown or malformed hash
 * gives `{ ok: false, needsRehash: false }`, and it never throws.
 */
export async function verifyPassword(password: string, encoded: string): Promise<PasswordVerification> {
  let result: PasswordVerification | null
  try {
    result = await verifyEncoded(password, encoded)
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

/** The verification, or null when the hash is unusable, of no known format, or beyond the caps. */
async function verifyEncoded(password: string, encoded: string): Promise<PasswordVerification | null> {
  // Callers from plain JavaScript (or a NULL column) may pass anything.
  if (typeof password !== 'string' || typeof encoded !== 'string') return null
  if (encoded.startsWith(UNUSABLE_PASSWORD_PREFIX)) return null
  if (encoded.startsWith('$')) return verifyArgon2(password, encoded, false)
  if (encoded.startsWith(DJANGO_ARGON2_LABEL + '$')) {
    return verifyArgon2(password, encoded.slice(DJANGO_ARGON2_LABEL.length), true)
  }
  if (encoded.startsWith('pbkdf2_')) return verifyDjangoPbkdf2(password, encoded)
  return null
}

async function verifyArgon2(password: string, phc: string, imported: boolean): Promise<PasswordVerification | null> {
  if (!ARGON2_PHC.test(phc)) return null
  // Reading the parameters first lets the caps refuse a hash before any memory is allocated.
  const params = parseOptions(phc)
  if (params.memoryCost > MAX_ARGON2_MEMORY_KIB || params.timeCost > MAX_ARGON2_TIME_COST) return null
  const ok = await verify(phc, password)
  return { ok, needsRehash: ok && (imported || isWeakerThanPolicy(params)) }
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

async function verifyDjangoPbkdf2(password: string, encoded: string): Promise<PasswordVerification | null> {
  const match = DJANGO_PBKDF2.exec(encoded)
  if (match === null) return null
  const [, digest = '', iterationsText = '', salt = '', storedHash = ''] = match
  if (digest !== 'sha256' && digest !== 'sha1') return null
  const iterations = Number(iterationsText)
  const keyBytes = PBKDF2_KEY_BYTES[digest]
  if (iterations > MAX_PBKDF2_ITERATIONS || storedHash.length !== base64Length(keyBytes)) return null
  // Django: base64(pbkdf2_hmac(digest, utf8(password), utf8(salt), iterations)), dklen = digest size.
  const derived = await pbkdf2Async(password, salt, iterations, keyBytes, digest)
  // Compared as Django compares them (the encoded strings), in constant time; the lengths are
  // already known equal and public.
  const ok = timingSafeEqual(Buffer.from(derived.toString('base64')), Buffer.from(storedHash))
  return { ok, needsRehash: ok }
}

function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4
}

/** node:crypto's pbkdf2 runs on the libuv pool; this only wraps its callback. */
function pbkdf2Async(password: string, salt: string, iterations: number, keyBytes: number, digest: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(password, salt, iterations, keyBytes, digest, (error, key) => (error ? reject(error) : resolve(key)))
  })
}
