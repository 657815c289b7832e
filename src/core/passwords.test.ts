import { hash } from '@node-rs/argon2'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  ARGON2_PARAMS,
  UNUSABLE_PASSWORD_PREFIX,
  hashPassword,
  makeUnusablePassword,
  verifyDummyPassword,
  verifyPassword,
} from './passwords.js'

// Django's own test vectors (tests/auth_tests/test_hashers.py), 10,000 iterations.
const DJANGO_LETMEIN = 'pbkdf2_sha256$10000$seasalt$FQCNpiZpTb0zub+HBsH6TOwyRxJ19FwvjbweatNmK/Y='
const DJANGO_LETMEIN_ACCENT = 'pbkdf2_sha256$10000$seasalt$CWWFdHOWwPnki7HvkcqN9iA2T3KLW1cf2uZ5kvArtVY='
// Computed with Python's hashlib, exactly as Django's PBKDF2PasswordHasher.encode does:
// base64(pbkdf2_hmac('sha256', b'correct horse battery', b'seasalt123', 1000)).
const DJANGO_CORRECT_HORSE = 'pbkdf2_sha256$1000$seasalt123$8LLL/IKTXXEzdJJ5hUYPuyAMUebCj/rtkXlKp0V5hNo='
const DJANGO_EMPTY = 'pbkdf2_sha256$10000$seasalt$3+RsI0gN4hO2ePw81JnODNK3dqd5IHVBN0nCWJCnlzU='
// Django's PBKDF2SHA1PasswordHasher, same recipe with sha1.
const DJANGO_SHA1_KRONOS = 'pbkdf2_sha1$24000$seasalt$F+kiWNHXbMBcwgxsvSKFCWHnZZ0='
// Django's Argon2PasswordHasher test vectors (argon2i, with and without a version field).
const DJANGO_ARGON2I_V19 = 'argon2$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q'
const DJANGO_ARGON2I_NO_VERSION =
  'argon2$argon2i$m=8,t=1,p=1$c29tZXNhbHQ$gwQOXSNhxiOxPOA0+PY10P9QFO4NAYysnqRt1GSQLE55m+2GYDt9FEjPMHhP2Cuf0nOEXXMocVrsJAtNSsKyfg'

const REJECTED = { ok: false, needsRehash: false }

describe('hashPassword() and verifyPassword() with argon2id', () => {
  it('round-trips at ARGON2_PARAMS with a fresh salt each time, and refuses a wrong password', async () => {
    expect(ARGON2_PARAMS).toEqual({ memoryCost: 19456, timeCost: 2, parallelism: 1 })
    const [first, second] = await Promise.all([hashPassword('correct horse battery'), hashPassword('correct horse battery')])
    expect(first).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/)
    expect(second).not.toBe(first)
    const [right, wrong] = await Promise.all([
      verifyPassword('correct horse battery', first),
      verifyPassword('correct horse batterY', first),
    ])
    expect(right).toEqual({ ok: true, needsRehash: false })
    expect(wrong).toEqual(REJECTED)
  })

  it('asks for a rehash when a stored argon2id hash is weaker than ARGON2_PARAMS', async () => {
    const weak = await hash('pw', { memoryCost: 4096, timeCost: 1, parallelism: 1 })
    expect(await verifyPassword('pw', weak)).toEqual({ ok: true, needsRehash: true })
    expect(await verifyPassword('wrong', weak)).toEqual(REJECTED)
  })

  it('verifies Django argon2$ hashes and asks for a rehash', async () => {
    expect(await verifyPassword('secret', DJANGO_ARGON2I_V19)).toEqual({ ok: true, needsRehash: true })
    expect(await verifyPassword('secret', DJANGO_ARGON2I_NO_VERSION)).toEqual({ ok: true, needsRehash: true })
    expect(await verifyPassword('wrong', DJANGO_ARGON2I_V19)).toEqual(REJECTED)
  })
})

describe('verifyPassword() with Django PBKDF2 hashes', () => {
  it("accepts Django's own pbkdf2_sha256 test vectors and asks for a rehash", async () => {
    expect(await verifyPassword('letmein', DJANGO_LETMEIN)).toEqual({ ok: true, needsRehash: true })
    expect(await verifyPassword('lètmein', DJANGO_LETMEIN_ACCENT)).toEqual({ ok: true, needsRehash: true })
    expect(await verifyPassword('correct horse battery', DJANGO_CORRECT_HORSE)).toEqual({ ok: true, needsRehash: true })
    expect(await verifyPassword('', DJANGO_EMPTY)).toEqual({ ok: true, needsRehash: true })
  })

  it('accepts a pbkdf2_sha1 hash', async () => {
    expect(await verifyPassword('KRONOS', DJANGO_SHA1_KRONOS)).toEqual({ ok: true, needsRehash: true })
    expect(await verifyPassword('kronos', DJANGO_SHA1_KRONOS)).toEqual(REJECTED)
  })

  it('refuses a wrong password, and a hash whose iterations, salt or digest were changed', async () => {
    const results = await Promise.all([
      verifyPassword('letmeinz', DJANGO_LETMEIN),
      verifyPassword('letmein', DJANGO_LETMEIN.replace('$10000$', '$10001$')),
      verifyPassword('letmein', DJANGO_LETMEIN.replace('$seasalt$', '$seasalT$')),
      verifyPassword('letmein', DJANGO_LETMEIN.replace('pbkdf2_sha256', 'pbkdf2_sha1')),
      verifyPassword('letmein', DJANGO_LETMEIN.replace('K/Y=', 'K/Z=')),
    ])
    expect(results).toEqual(results.map(() => REJECTED))
  })
})

describe('verifyPassword() with unusable and malformed hashes', () => {
  it('never verifies an unusable password, even one that marks out a real hash', async () => {
    const unusable = makeUnusablePassword()
    const results = await Promise.all([
      verifyPassword(unusable.slice(1), unusable),
      verifyPassword(unusable, unusable),
      verifyPassword('', UNUSABLE_PASSWORD_PREFIX),
      verifyPassword('letmein', UNUSABLE_PASSWORD_PREFIX + DJANGO_LETMEIN),
    ])
    expect(results).toEqual(results.map(() => REJECTED))
  })

  it('returns a refusal, without throwing, for malformed hashes of many shapes', async () => {
    const shapes: unknown[] = [
      '',
      ' ',
      '$',
      '$$$$',
      'letmein',
      DJANGO_LETMEIN.toUpperCase(),
      'pbkdf2_sha256$',
      'pbkdf2_sha256$10000$seasalt$',
      'pbkdf2_sha256$$seasalt$FQCNpiZpTb0zub+HBsH6TOwyRxJ19FwvjbweatNmK/Y=',
      'pbkdf2_sha256$0$seasalt$FQCNpiZpTb0zub+HBsH6TOwyRxJ19FwvjbweatNmK/Y=',
      'pbkdf2_sha256$-1$seasalt$FQCNpiZpTb0zub+HBsH6TOwyRxJ19FwvjbweatNmK/Y=',
      'pbkdf2_sha256$1e4$seasalt$FQCNpiZpTb0zub+HBsH6TOwyRxJ19FwvjbweatNmK/Y=',
      'pbkdf2_sha256$999999999$seasalt$FQCNpiZpTb0zub+HBsH6TOwyRxJ19FwvjbweatNmK/Y=',
      'pbkdf2_sha256$10000$$FQCNpiZpTb0zub+HBsH6TOwyRxJ19FwvjbweatNmK/Y=',
      'pbkdf2_sha256$10000$seasalt$FQCNpiZpTb0zub+HBsH6TOwyRxJ19FwvjbweatNmK',
      'pbkdf2_sha256$10000$seasalt$FQCNpiZpTb0zub+HBsH6TOwyRxJ19FwvjbweatNmK/Y=$extra',
      'pbkdf2_sha256$10000$seasalt$!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!=',
      'pbkdf2_md5$10000$seasalt$FQCNpiZpTb0zub+HBsH6TOwyRxJ19FwvjbweatNmK/Y=',
      'bcrypt_sha256$$2b$12$abcdefghijklmnopqrstuu',
      'md5$seasalt$0123456789abcdef0123456789abcdef',
      '$2b$12$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyzABCDE',
      '$argon2id$',
      '$argon2id$v=19$m=19456,t=2,p=1$',
      '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$',
      '$argon2id$v=19$m=19456,t=2,p=0$c29tZXNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA',
      '$argon2id$v=19$m=4294967295,t=2,p=1$c29tZXNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA',
      '$argon2id$v=19$m=19456,t=4294967295,p=1$c29tZXNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA',
      '$argon2d$v=19$m=19456,t=2,p=1$c29tZXNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA',
      '$argon2id$v=99$m=19456,t=2,p=1$c29tZXNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA',
      'argon2$',
      'argon2$argon2id',
      'argon2$$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q',
      '\u0000pbkdf2_sha256$10000$seasalt$FQCNpiZpTb0zub+HBsH6TOwyRxJ19FwvjbweatNmK/Y=',
      'pbkdf2_sha256$10000$séasalt💥$FQCNpiZpTb0zub+HBsH6TOwyRxJ19FwvjbweatNmK/Y=',
      null,
      undefined,
      42,
    ]
    const results = await Promise.all(shapes.map((shape) => verifyPassword('letmein', shape as string)))
    expect(results).toEqual(results.map(() => REJECTED))
  })

  it('returns a refusal, without throwing, for any string after a known prefix', async () => {
    const prefixes = ['pbkdf2_sha256$', 'pbkdf2_sha1$', '$argon2id$', '$argon2i$', 'argon2$$argon2id$', '!']
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...prefixes), fc.string({ unit: 'binary', maxLength: 80 }), async (prefix, tail) => {
        expect(await verifyPassword('letmein', prefix + tail)).toEqual(REJECTED)
      }),
      // Each refusal spends one dummy argon2id verification by design; a few dozen runs suffice.
      { numRuns: 12 },
    )
  })
})

describe('makeUnusablePassword() and verifyDummyPassword()', () => {
  it('makes a "!" followed by 40 random letters and digits, different every time', () => {
    const made = new Set(Array.from({ length: 50 }, makeUnusablePassword))
    expect(made.size).toBe(50)
    for (const marker of made) expect(marker).toMatch(/^![A-Za-z0-9]{40}$/)
  })

  it('resolves without throwing, whatever it is given', async () => {
    await expect(verifyDummyPassword('anything')).resolves.toBeUndefined()
    await expect(verifyDummyPassword(undefined as unknown as string)).resolves.toBeUndefined()
  })
})
