import { base64url, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { makeServer, register, type Registered, type TestServer } from '../support/server.js'
import { payloadOf, serverSigningKey, signWith } from './support.js'

let server: TestServer
let account: Registered
let access: string
let sid: string

beforeAll(async () => {
  server = await makeServer()
  account = await register(server)
  const pair = (await server.app.inject({ method: 'POST', url: '/auth/jwt/create', payload: { email: account.email, password: account.password } })).json()
  access = pair.access
  sid = String(payloadOf(access).sid)
})
afterAll(async () => server?.dispose())

const get = (credential: string) => server.app.inject({ method: 'GET', url: '/auth/user', headers: { authorization: `Bearer ${credential}` } })
const verify = (token: string) => server.app.inject({ method: 'POST', url: '/auth/jwt/verify', payload: { token } })

async function expectRefused(token: string): Promise<void> {
  const response = await get(token)
  expect(response.statusCode, response.body).toBe(401)
  expect(response.json().code).toBe('invalid_token')
  expect((await verify(token)).statusCode).toBe(401)
}

describe('access JWTs the server must refuse', () => {
  test('the genuine token works (control)', async () => {
    expect((await get(access)).statusCode).toBe(200)
  })

  test('a tampered payload (another user id) is refused', async () => {
    const [h, p, s] = access.split('.')
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString())
    const forged = [h, Buffer.from(JSON.stringify({ ...claims, sub: '999' })).toString('base64url'), s].join('.')
    await expectRefused(forged)
  })

  test('a truncated token is refused', async () => {
    await expectRefused(access.slice(0, -10))
    await expectRefused(access.split('.').slice(0, 2).join('.'))
  })

  test('alg: none is refused', async () => {
    const none = new UnsecuredJWT({ sid }).setSubject(String(account.userId)).setIssuer('http://127.0.0.1:8000').setAudience('tessera').setIssuedAt().setExpirationTime('10m').setJti('x').encode()
    await expectRefused(none)
  })

  test('HS256 signed with the public key as the secret is refused', async () => {
    const { kid, publicJwk } = await serverSigningKey(server)
    const secret = base64url.decode(String(publicJwk.x))
    const hmac = await new SignJWT({ sid }).setProtectedHeader({ alg: 'HS256', kid }).setSubject(String(account.userId))
      .setIssuer('http://127.0.0.1:8000').setAudience('tessera').setIssuedAt().setExpirationTime('10m').setJti('x').sign(secret)
    await expectRefused(hmac)
  })

  test('a token signed by another key under the server kid is refused', async () => {
    const { kid } = await serverSigningKey(server)
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' })
    await expectRefused(await signWith(privateKey, kid, { sub: String(account.userId), sid }))
  })

  test('an unknown kid is refused', async () => {
    const { key } = await serverSigningKey(server)
    await expectRefused(await signWith(key, 'no-such-kid', { sub: String(account.userId), sid }))
  })

  test.each([
    ['a wrong audience', { aud: 'someone-else' }],
    ['a wrong issuer', { iss: 'https://evil.example' }],
    ['an expired exp', { exp: Math.floor(Date.now() / 1000) - 5, iat: Math.floor(Date.now() / 1000) - 600 }],
  ])('%s is refused even with the right signature', async (_name, override) => {
    const { kid, key } = await serverSigningKey(server)
    await expectRefused(await signWith(key, kid, { sub: String(account.userId), sid, ...override }))
  })

  test('a validly signed token naming another user than its session owner is refused', async () => {
    const other = await register(server)
    const { kid, key } = await serverSigningKey(server)
    await expectRefused(await signWith(key, kid, { sub: String(other.userId), sid }))
  })

  test('a validly signed token for a session that does not exist is refused', async () => {
    const { kid, key } = await serverSigningKey(server)
    await expectRefused(await signWith(key, kid, { sub: String(account.userId), sid: crypto.randomUUID() }))
  })

  test('garbage in the JWT shape never gives a 500', async () => {
    for (const junk of ['a.b.c', 'eyJ.eyJ.eyJ', '...', `${'A'.repeat(4000)}.${'B'.repeat(10)}.C`]) {
      const response = await get(junk)
      expect(response.statusCode).toBe(401)
    }
  })
})

describe('signing-key rotation', () => {
  test('new tokens carry the new kid; tokens of the old key keep working until they expire', async () => {
    const oldKid = JSON.parse(Buffer.from(access.split('.')[0]!, 'base64url').toString()).kid
    const newKid = await server.tessera.rotateSigningKey()
    expect(newKid).not.toBe(oldKid)
    expect((await get(access)).statusCode).toBe(200)
    const fresh = (await server.app.inject({ method: 'POST', url: '/auth/jwt/create', payload: { email: account.email, password: account.password } })).json()
    expect(JSON.parse(Buffer.from(fresh.access.split('.')[0], 'base64url').toString()).kid).toBe(newKid)
    const kids = (await server.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json().keys.map((k: { kid: string }) => k.kid)
    expect(kids).toEqual(expect.arrayContaining([oldKid, newKid]))
  })
})
