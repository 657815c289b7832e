import { importJWK, SignJWT, type CryptoKey, type JWK } from 'jose'
import type { TestServer } from '../support/server.js'

/** The server's own signing key, read from its database, to forge tokens it would otherwise sign. */
export async function serverSigningKey(server: TestServer): Promise<{ kid: string; key: CryptoKey; publicJwk: JWK }> {
  const raw = await server.tessera.store.getSetting('jwt.signing_keys')
  if (!raw) throw new Error('no signing keys yet: issue a token first')
  const keys = JSON.parse(raw) as Array<{ kid: string; privateJwk: JWK; publicJwk: JWK; retiredAt: string | null }>
  const current = keys.find((k) => k.retiredAt === null) ?? keys[keys.length - 1]!
  return { kid: current.kid, key: (await importJWK(current.privateJwk, 'EdDSA')) as CryptoKey, publicJwk: current.publicJwk }
}

/** A JWT with chosen claims, signed EdDSA with `key` under `kid`. */
export async function signWith(
  key: CryptoKey,
  kid: string,
  claims: { sub: string; sid: string; iss?: string; aud?: string; exp?: number; iat?: number },
): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({ sid: claims.sid })
    .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuedAt(claims.iat ?? now)
    .setExpirationTime(claims.exp ?? now + 600)
    .setJti(crypto.randomUUID())
    .setIssuer(claims.iss ?? 'http://127.0.0.1:8000')
    .setAudience(claims.aud ?? 'tessera')
    .sign(key)
}

/** Decodes a JWT's payload without checking it. */
export function payloadOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>
}
