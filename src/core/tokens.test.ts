import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { TOKEN_PREFIX, constantTimeEqual, generateSecret, generateSessionId, generateToken, hashSecret, isSessionId, isWellFormedToken } from './tokens.js'

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const TSR_SHAPE = /^tsr_[A-Za-z0-9_-]{43}$/
const DRF_SHAPE = /^[0-9a-f]{40}$/

describe('generateToken()', () => {
  it('makes tsr_ + 43 base64url characters, and returns the SHA-256 of the whole token as its hash', () => {
    const { token, secretHash } = generateToken()
    expect(TOKEN_PREFIX).toBe('tsr_')
    expect(token).toMatch(TSR_SHAPE)
    expect(secretHash).toBe(createHash('sha256').update(token).digest('hex'))
    expect(isWellFormedToken(token)).toBe(true)
  })

  it('carries 256 random bits: the body decodes to 32 bytes and 1000 draws are all distinct', () => {
    const tokens = Array.from({ length: 1000 }, () => generateToken().token)
    expect(new Set(tokens).size).toBe(1000)
    expect(new Set(tokens.map(hashSecret)).size).toBe(1000)
    for (const token of tokens.slice(0, 50)) expect(Buffer.from(token.slice(4), 'base64url')).toHaveLength(32)
    // 43 base64url characters hold 258 bits; the last one carries only 4, so it is one of 16 values.
    const lastCharacters = new Set(tokens.map((token) => token.at(-1)))
    for (const character of lastCharacters) expect(BASE64URL.indexOf(character!) % 4).toBe(0)
  })

  it('uses every base64url character over many draws (no alphabet bias)', () => {
    const seen = new Set(Array.from({ length: 200 }, () => generateToken().token.slice(4, -1)).join(''))
    expect(seen.size).toBe(64)
  })

  it('honours another prefix', () => {
    const { token } = generateToken('abc_')
    expect(token).toMatch(/^abc_[A-Za-z0-9_-]{43}$/)
    expect(isWellFormedToken(token, 'abc_')).toBe(true)
    expect(isWellFormedToken(token)).toBe(false)
  })
})

describe('hashSecret()', () => {
  it('is SHA-256 in lower-case hex', () => {
    expect(hashSecret('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    expect(hashSecret('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
  })

  it('hashes a string as its UTF-8 bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (value) => {
        expect(hashSecret(value)).toBe(createHash('sha256').update(Buffer.from(value, 'utf8')).digest('hex'))
      }),
    )
  })
})

describe('isWellFormedToken()', () => {
  it('accepts issued tokens and 40-hex DRF keys', () => {
    expect(isWellFormedToken('tsr_' + 'a'.repeat(43))).toBe(true)
    expect(isWellFormedToken('tsr_' + '-_'.repeat(21) + 'Z')).toBe(true)
    expect(isWellFormedToken('9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b')).toBe(true)
  })

  it('rejects near misses', () => {
    for (const token of [
      '',
      'tsr_',
      'tsr_' + 'a'.repeat(42),
      'tsr_' + 'a'.repeat(44),
      'tsr_' + 'a'.repeat(42) + '=',
      'tsr_' + 'a'.repeat(42) + '+',
      'TSR_' + 'a'.repeat(43),
      ' tsr_' + 'a'.repeat(43),
      'tsr_' + 'a'.repeat(43) + '\n',
      '9944B09199C62BCF9418AD846DD0E4BBDFC6EE4B',
      '9944b09199c62bcf9418ad846dd0e4bbdfc6ee4',
      '9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b0',
      '9944b09199c62bcf9418ad846dd0e4bbdfc6ee4g',
      '9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b\n',
      'eyJhbGciOiJFZERTQSJ9.eyJzaWQiOiJ4In0.c2ln',
    ]) {
      expect(isWellFormedToken(token), JSON.stringify(token)).toBe(false)
    }
  })

  it('accepts every generated-shape token and every 40-hex key', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^tsr_[A-Za-z0-9_-]{43}$/), (token) => {
        expect(isWellFormedToken(token)).toBe(true)
      }),
    )
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9a-f]{40}$/), (key) => {
        expect(isWellFormedToken(key)).toBe(true)
      }),
    )
  })

  it('rejects any string that has neither shape', () => {
    const anyString = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.string({ unit: fc.constantFrom(...BASE64URL), minLength: 39, maxLength: 48 }).map((body) => 'tsr_' + body),
      fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: 38, maxLength: 42 }),
    )
    fc.assert(
      fc.property(anyString.filter((value) => !TSR_SHAPE.test(value) && !DRF_SHAPE.test(value)), (value) => {
        expect(isWellFormedToken(value)).toBe(false)
      }),
      { numRuns: 1000 },
    )
  })
})

describe('constantTimeEqual()', () => {
  it('is true for equal strings and false otherwise, whatever the lengths', () => {
    expect(constantTimeEqual('', '')).toBe(true)
    expect(constantTimeEqual(hashSecret('a'), hashSecret('a'))).toBe(true)
    expect(constantTimeEqual(hashSecret('a'), hashSecret('b'))).toBe(false)
    expect(constantTimeEqual('abc', 'abcd')).toBe(false)
    expect(constantTimeEqual('abcd', 'abc')).toBe(false)
    expect(constantTimeEqual('é', 'e\u0301')).toBe(false)
  })

  it('agrees with === on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        expect(constantTimeEqual(a, b)).toBe(a === b)
        expect(constantTimeEqual(a, a)).toBe(true)
      }),
    )
  })
})

describe('generateSessionId() and generateSecret()', () => {
  it('makes UUIDs and base64url secrets of the asked size', () => {
    expect(generateSessionId()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(generateSessionId()).not.toBe(generateSessionId())
    expect(isSessionId(generateSessionId())).toBe(true)
  })

  it('session ids are UUIDv7: they begin with the time, so later ones sort after earlier ones', async () => {
    const before = Date.now()
    const first = generateSessionId()
    expect(parseInt(first.replace(/-/g, '').slice(0, 12), 16)).toBeGreaterThanOrEqual(before)
    expect(parseInt(first.replace(/-/g, '').slice(0, 12), 16)).toBeLessThanOrEqual(Date.now())
    await new Promise((resolve) => setTimeout(resolve, 2))
    expect(generateSessionId() > first).toBe(true)
    // 74 random bits: a thousand ids in the same instant are all different.
    expect(new Set(Array.from({ length: 1000 }, generateSessionId)).size).toBe(1000)
    expect(Buffer.from(generateSecret(), 'base64url')).toHaveLength(32)
    expect(generateSecret(16)).toMatch(/^[A-Za-z0-9_-]{22}$/)
  })
})
