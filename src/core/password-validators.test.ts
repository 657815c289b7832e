import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isCommonPassword } from './common-passwords.js'
import { validatePassword } from './password-validators.js'

const TOO_SHORT = 'This password is too short. It must contain at least 8 characters.'
const TOO_LONG = 'This password is too long. It must contain at most 256 characters.'
const NUMERIC = 'This password is entirely numeric.'
const COMMON = 'This password is too common.'
const LIKE_USERNAME = 'The password is too similar to the username.'
const LIKE_EMAIL = 'The password is too similar to the email.'

const digits = (minLength: number) =>
  fc.array(fc.constantFrom(...'0123456789'), { minLength, maxLength: 64 }).map((chars) => chars.join(''))
// Four random lower-case "words": far from any list entry (none is longer than 20 characters).
const passphrase = fc
  .array(fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'), minLength: 5, maxLength: 9 }), {
    minLength: 4,
    maxLength: 6,
  })
  .map((words) => words.join('-'))

describe('validatePassword() length rules', () => {
  it('refuses fewer than 8 characters and accepts exactly 8', () => {
    expect(validatePassword('Xq7#vLp', {})).toEqual([TOO_SHORT])
    expect(validatePassword('Xq7#vLp2', {})).toEqual([])
  })

  it('refuses more than 256 characters and accepts exactly 256', () => {
    expect(validatePassword('Zx9-'.repeat(64), {})).toEqual([])
    expect(validatePassword('Zx9-'.repeat(64) + 'q', {})).toEqual([TOO_LONG])
  })

  it('counts code points as Django does, not UTF-16 units', () => {
    expect(validatePassword('🔑🌵🐙🎲🧭🪐', {})).toEqual([TOO_SHORT])
    expect(validatePassword('🔑🌵🐙🎲🧭🪐🦔🧩', {})).toEqual([])
    expect(validatePassword('🦔'.repeat(256), {})).toEqual([])
  })

  it('takes other limits, with singular wording, and refuses impossible ones', () => {
    expect(validatePassword('Xq7#vLp2', {}, { minLength: 12 })).toEqual([
      'This password is too short. It must contain at least 12 characters.',
    ])
    expect(validatePassword('', {}, { minLength: 1 })).toEqual([
      'This password is too short. It must contain at least 1 character.',
    ])
    expect(validatePassword('Xq7#vLp2', {}, { maxLength: 6, minLength: 1 })).toEqual([
      'This password is too long. It must contain at most 6 characters.',
    ])
    expect(() => validatePassword('x', {}, { minLength: -1 })).toThrow(RangeError)
    expect(() => validatePassword('x', {}, { minLength: 10, maxLength: 9 })).toThrow(RangeError)
  })
})

describe('validatePassword() numeric rule', () => {
  it('refuses any all-digit password of 8 or more characters as entirely numeric', () => {
    fc.assert(fc.property(digits(8), (password) => validatePassword(password, {}).includes(NUMERIC)))
  })

  it('does not call a password numeric when it holds anything but digits', () => {
    fc.assert(
      fc.property(digits(4), fc.constantFrom('a', ' ', '-', 'é'), digits(4), (left, other, right) => {
        return !validatePassword(left + other + right, {}).includes(NUMERIC)
      }),
    )
  })
})

describe('validatePassword() similarity rule', () => {
  it('refuses a password too like the username, whatever its case', () => {
    expect(validatePassword('Alice_Wonderland1', { username: 'alice_wonderland' })).toEqual([LIKE_USERNAME])
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 30 }), (username) =>
        validatePassword(username.toUpperCase(), { username }).includes(LIKE_USERNAME),
      ),
    )
  })

  it('refuses a password too like the e-mail, one of its words, or its local part', () => {
    const email = 'john.smith@example.com'
    expect(validatePassword('john.smith@example', { email })).toEqual([LIKE_EMAIL])
    expect(validatePassword('Examples!', { email })).toEqual([LIKE_EMAIL])
    // Only the local part "john.smith" comes close enough (18/21); Django's parts do not.
    expect(validatePassword('johnsmith!!', { email })).toEqual([LIKE_EMAIL])
  })

  it('reports the username first and only once, as Django does', () => {
    expect(validatePassword('marie-curie', { username: 'mariecurie', email: 'marie.curie@radium.fr' })).toEqual([
      LIKE_USERNAME,
    ])
  })

  it("agrees with Python's SequenceMatcher.quick_ratio() around the 0.7 threshold", () => {
    // 2·matches/(len a + len b), computed with Python's difflib for each pair.
    expect(validatePassword('abcdefg-xyz', { username: 'abcdefg' })).toEqual([LIKE_USERNAME]) // 14/18 = 0.78
    expect(validatePassword('abcdefg-wxyz', { username: 'abcdefg' })).toEqual([LIKE_USERNAME]) // 14/19 = 0.737
    expect(validatePassword('abcdefg-uvwxyz', { username: 'abcdefg' })).toEqual([]) // 14/21 = 0.667
    expect(validatePassword('gfedcba-1234', { username: 'abcdefg' })).toEqual([LIKE_USERNAME]) // order is ignored
  })

  it('accepts a password unlike the username and e-mail', () => {
    expect(validatePassword('velvet-orbit-canyon', { username: 'alice', email: 'alice@example.com' })).toEqual([])
    expect(validatePassword('velvet-orbit-canyon', { username: null, email: '' })).toEqual([])
  })
})

describe('validatePassword() common-password rule', () => {
  it('refuses passwords from the list, ignoring case and surrounding spaces', () => {
    expect(validatePassword('password1234', {})).toEqual([COMMON])
    expect(validatePassword('  PassWord1234 ', {})).toEqual([COMMON])
    expect(validatePassword('qwertyuiop', {})).toEqual([COMMON])
    expect(validatePassword('12345678', {})).toEqual([COMMON, NUMERIC])
  })

  it('isCommonPassword() knows the usual suspects and not a random passphrase', () => {
    for (const password of ['123456', 'password', 'iloveyou', 'trustno1', 'sunshine', 'Dragon']) {
      expect(isCommonPassword(password)).toBe(true)
    }
    expect(isCommonPassword('velvet-orbit-canyon-42')).toBe(false)
  })
})

describe('validatePassword() as a whole', () => {
  it('accepts a strong random passphrase', () => {
    fc.assert(fc.property(passphrase, (password) => validatePassword(password, {}).length === 0))
  })

  it('lists every message that applies, in Django order', () => {
    expect(validatePassword('1234', { username: '1234' })).toEqual([LIKE_USERNAME, TOO_SHORT, COMMON, NUMERIC])
  })
})
