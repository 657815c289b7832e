import BetterSqlite3 from 'better-sqlite3'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { inspectPasswordHash, verifyPassword } from './passwords.js'

// Hashes made by real Django 3.2 (scrypt: Django 4's algorithm) in scripts/django-fixture/make-fixture.sh.
const FIXTURES = new URL('../../test/fixtures/django/', import.meta.url)

interface FixtureUser {
  id: number
  hasher: string
  password: string | null
}

/** Each fixture user's stored hash beside their original password, per database. */
function fixtureHashes(database: 'default.sqlite3' | 'custom.sqlite3'): Array<FixtureUser & { encoded: string }> {
  const described = JSON.parse(readFileSync(new URL('users.json', FIXTURES), 'utf8'))
  const { userTable, users } = described.databases[database] as { userTable: string; users: FixtureUser[] }
  // The fixture is committed as the SQL of the database Django wrote; it is loaded into memory here.
  const db = new BetterSqlite3(':memory:')
  try {
    db.pragma('foreign_keys = OFF') // the dump creates tables in name order, before those its rows refer to
    db.exec(readFileSync(new URL(database.replace(/\.sqlite3$/, '.sql'), FIXTURES), 'utf8'))
    const byId = db.prepare(`SELECT password FROM ${userTable} WHERE id = ?`)
    return users.map((user) => ({ ...user, encoded: (byId.get(user.id) as { password: string }).password }))
  } finally {
    db.close()
  }
}

const REJECTED = { ok: false, needsRehash: false }
const all = [...fixtureHashes('default.sqlite3'), ...fixtureHashes('custom.sqlite3')]
const usable = all.filter((user) => user.password !== null)

describe('verifyPassword() with hashes made by Django', () => {
  it('covers every hasher the import promises', () => {
    expect(new Set(usable.map((user) => user.hasher))).toEqual(
      new Set(['pbkdf2_sha256', 'pbkdf2_sha1', 'argon2', 'bcrypt_sha256', 'bcrypt', 'scrypt']),
    )
  })

  it.each(usable.map((user) => [user.hasher, user.id, user] as const))(
    'accepts the original password of a %s hash (user %i) and asks for a rehash',
    async (_hasher, _id, user) => {
      expect(await verifyPassword(user.password!, user.encoded)).toEqual({ ok: true, needsRehash: true })
      expect(inspectPasswordHash(user.encoded)).toEqual({ usable: true, algorithm: user.hasher })
    },
  )

  it.each(usable.map((user) => [user.hasher, user.id, user] as const))(
    'refuses a wrong password against a %s hash (user %i)',
    async (_hasher, _id, user) => {
      expect(await verifyPassword(user.password!.slice(0, -1), user.encoded)).toEqual(REJECTED)
    },
  )

  it("refuses everything against Django's unusable password, and says it is unusable", async () => {
    const unusable = all.filter((user) => user.hasher === 'unusable')
    expect(unusable).toHaveLength(1)
    const [user] = unusable
    expect(user!.encoded).toMatch(/^!/)
    expect(await verifyPassword('', user!.encoded)).toEqual(REJECTED)
    expect(await verifyPassword(user!.encoded, user!.encoded)).toEqual(REJECTED)
    expect(inspectPasswordHash(user!.encoded)).toEqual({ usable: false, reason: 'unusable', algorithm: null })
  })

  it("counts every byte of a bcrypt_sha256 password longer than bcrypt's 72", async () => {
    const dave = usable.find((user) => user.hasher === 'bcrypt_sha256')!
    expect(Buffer.byteLength(dave.password!)).toBeGreaterThan(72)
    // The tail past 72 bytes matters for bcrypt_sha256: changing it is a wrong password.
    expect(await verifyPassword(dave.password!.slice(0, -3) + 'END', dave.encoded)).toEqual(REJECTED)
  })
})

describe("verifyPassword() with Django 4's own scrypt test vector", () => {
  // Debian's Django (3.2) has no scrypt hasher, so the fixture's scrypt hash is made by the script
  // with Django 4's algorithm. This one comes from Django's own test suite (tests/auth_tests/test_hashers.py:
  // make_password("lètmein", "seasalt", "scrypt")), so the format is checked against Django itself.
  const DJANGO_VECTOR = 'scrypt$16384$seasalt$8$1$Qj3+9PPyRjSJIebHnG81TMjsqtaIGxNQG/aEB/NYafTJ7tibgfYz71m0ldQESkXFRkdVCBhhY8mx7rQwite/Pw=='

  it('accepts the right password (and asks for an argon2id re-hash) and refuses a wrong one', async () => {
    expect(await verifyPassword('lètmein', DJANGO_VECTOR)).toEqual({ ok: true, needsRehash: true })
    expect(await verifyPassword('lètmeinz', DJANGO_VECTOR)).toEqual(REJECTED)
  })
})

describe('verifyPassword() with damaged Django bcrypt and scrypt hashes', () => {
  const bcryptHash = usable.find((user) => user.hasher === 'bcrypt')!
  const scryptHash = usable.find((user) => user.hasher === 'scrypt')!

  it('refuses, without throwing, hashes whose parameters or digests were changed', async () => {
    const damaged = [
      bcryptHash.encoded.replace('bcrypt$', 'bcrypt_sha256$'),
      bcryptHash.encoded.replace('$2b$12$', '$2b$11$'),
      bcryptHash.encoded.slice(0, -1) + (bcryptHash.encoded.endsWith('a') ? 'b' : 'a'),
      scryptHash.encoded.replace('$16384$', '$8192$'),
      scryptHash.encoded.replace('$8$1$', '$8$2$'),
      scryptHash.encoded.slice(0, -3) + (scryptHash.encoded.slice(-3, -2) === 'A' ? 'B' : 'A') + '==',
    ]
    const results = await Promise.all(damaged.map((encoded) => verifyPassword(bcryptHash.password!, encoded)))
    expect(results).toEqual(results.map(() => REJECTED))
    const scryptResults = await Promise.all(damaged.map((encoded) => verifyPassword(scryptHash.password!, encoded)))
    expect(scryptResults).toEqual(scryptResults.map(() => REJECTED))
  })

  it('calls hashes beyond the cost caps or of the wrong shape malformed, and never throws', async () => {
    const salt22 = 'a'.repeat(22)
    const digest64 = 'A'.repeat(86) + '=='
    const shapes = [
      bcryptHash.encoded.replace('$2b$12$', '$2b$31$'),
      bcryptHash.encoded.replace('$2b$12$', '$2b$03$'),
      bcryptHash.encoded.replace('$2b$12$', '$2x$12$'),
      bcryptHash.encoded.slice(0, -1),
      'bcrypt$2b$12$' + 'a'.repeat(53),
      `scrypt$16385$${salt22}$8$1$${digest64}`,
      `scrypt$1$${salt22}$8$1$${digest64}`,
      `scrypt$${2 ** 24}$${salt22}$8$1$${digest64}`,
      `scrypt$16384$${salt22}$8$100000$${digest64}`,
      `scrypt$16384$${salt22}$8$1$${digest64.slice(4)}`,
      `scrypt$16384$$8$1$${digest64}`,
      `scrypt$16384$${salt22}$0$1$${digest64}`,
    ]
    for (const encoded of shapes) expect(inspectPasswordHash(encoded), encoded).toMatchObject({ usable: false, reason: 'malformed' })
    const results = await Promise.all(shapes.map((encoded) => verifyPassword('x', encoded)))
    expect(results).toEqual(results.map(() => REJECTED))
  })
})

describe('inspectPasswordHash()', () => {
  it('names hashers Tessera does not verify, and never repeats a garbled hash', () => {
    expect(inspectPasswordHash('md5$seasalt$0123456789abcdef0123456789abcdef')).toEqual({ usable: false, reason: 'unsupported', algorithm: 'md5' })
    expect(inspectPasswordHash('sha1$seasalt$0123')).toEqual({ usable: false, reason: 'unsupported', algorithm: 'sha1' })
    expect(inspectPasswordHash('')).toEqual({ usable: false, reason: 'malformed', algorithm: null })
    expect(inspectPasswordHash('hunter2')).toEqual({ usable: false, reason: 'malformed', algorithm: null })
    expect(inspectPasswordHash('Secret Password$x')).toEqual({ usable: false, reason: 'malformed', algorithm: null })
    expect(inspectPasswordHash('pbkdf2_sha256$260000$salt$short')).toEqual({ usable: false, reason: 'malformed', algorithm: 'pbkdf2_sha256' })
    expect(inspectPasswordHash(null as unknown as string)).toEqual({ usable: false, reason: 'malformed', algorithm: null })
  })
})
