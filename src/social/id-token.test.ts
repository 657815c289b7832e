import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { TesseraError } from '../core/errors.js'
import { verifyIdToken, type IdTokenExpectations } from './id-token.js'

let keys: ReturnType<typeof createLocalJWKSet>
let sign: (claims: JWTPayload) => Promise<string>

beforeAll(async () => {
  const { privateKey, publicKey } = await generateKeyPair('RS256')
  keys = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' }] })
  sign = (claims) => new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuedAt().setExpirationTime('5m').sign(privateKey)
})

const expected: IdTokenExpectations = { name: 'Provider', issuer: 'https://id.example.com', audiences: ['web', 'ios'], algorithms: ['RS256'], nonce: undefined }

/** The failure message of verifying `token` against `overrides`, or 'ok'. */
async function outcome(token: string, overrides: Partial<IdTokenExpectations> = {}): Promise<string> {
  try {
    await verifyIdToken(token, keys, { ...expected, ...overrides })
    return 'ok'
  } catch (error) {
    return error instanceof TesseraError ? error.message : (error as Error).constructor.name
  }
}

describe('verifyIdToken()', () => {
  it('accepts a token for any of the client ids, and returns its claims', async () => {
    const token = await sign({ iss: 'https://id.example.com', sub: 'u1', aud: 'ios', email: 'a@example.com' })
    expect(await verifyIdToken(token, keys, expected)).toMatchObject({ sub: 'u1', email: 'a@example.com' })
  })

  it("fills Microsoft's {tenantid} issuer from the token's own tid, and refuses another tenant's issuer", async () => {
    const common = { issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0' }
    const tid = '9188040d-6c67-4c5b-b112-36a304b66dad'
    expect(await outcome(await sign({ iss: `https://login.microsoftonline.com/${tid}/v2.0`, tid, sub: 'u', aud: 'web' }), common)).toBe('ok')
    expect(await outcome(await sign({ iss: 'https://login.microsoftonline.com/other/v2.0', tid, sub: 'u', aud: 'web' }), common)).toMatch(/issued by/)
  })

  it('refuses another issuer, another audience, and a token without a subject', async () => {
    expect(await outcome(await sign({ iss: 'https://evil.example', sub: 'u', aud: 'web' }))).toMatch(/issued by/)
    expect(await outcome(await sign({ iss: expected.issuer, sub: 'u', aud: 'someone-else' }))).toBe('JWTClaimValidationFailed')
    expect(await outcome(await sign({ iss: expected.issuer, aud: 'web' }))).toBe('JWTClaimValidationFailed')
  })

  it('wants azp to be one of ours when there are several audiences or an azp at all', async () => {
    expect(await outcome(await sign({ iss: expected.issuer, sub: 'u', aud: ['web', 'other'], azp: 'ios' }))).toBe('ok')
    expect(await outcome(await sign({ iss: expected.issuer, sub: 'u', aud: ['web', 'other'] }))).toMatch(/another application/)
    expect(await outcome(await sign({ iss: expected.issuer, sub: 'u', aud: 'web', azp: 'other' }))).toMatch(/another application/)
  })

  it('compares the nonce when one was sent, and refuses a nonce nobody sent', async () => {
    const withNonce = await sign({ iss: expected.issuer, sub: 'u', aud: 'web', nonce: 'n1' })
    expect(await outcome(withNonce, { nonce: 'n1' })).toBe('ok')
    expect(await outcome(withNonce, { nonce: 'n2' })).toMatch(/not the one sent/)
    expect(await outcome(withNonce)).toMatch(/carries a nonce/)
    expect(await outcome(await sign({ iss: expected.issuer, sub: 'u', aud: 'web' }), { nonce: 'n1' })).toMatch(/not the one sent/)
  })
})
