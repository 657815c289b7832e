import { errors as joseErrors, jwtVerify, SignJWT, type JWTPayload, type JWTVerifyGetKey } from 'jose'
import type { UserRecord } from '../store/store.js'
import type { CoreContext } from './context.js'
import type { JwtKeyring } from './jwt-keys.js'
import type { CredentialCheck } from './principal.js'
import { nowMs } from './clock.js'
import { SecondChanceMap, type Referenced } from './second-chance-map.js'
import { sessionCacheKey, validateSessionById, type SessionRef } from './sessions.js'

/** An access JWT just signed. */
export interface IssuedAccessToken {
  token: string
  expiresAt: Date
}

/** The claims this server relies on, once a signature has been checked. */
interface VerifiedClaims extends Referenced, SessionRef {
  userId: number
  /** `exp`, in epoch ms. */
  expiresAt: number
  /** The last session answer this token was checked against, and the token's answer from it: reused while the session's stays the same. */
  decidedFrom?: CredentialCheck
  decided?: CredentialCheck
}

const INVALID: CredentialCheck = { ok: false, reason: 'invalid_token' }
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/

/** True when `credential` has the shape of a JWS in compact form. */
export function looksLikeJwt(credential: string): boolean {
  return JWT_SHAPE.test(credential)
}

/**
 * Signs and checks access JWTs. A signature check costs tens of microseconds, so a verified
 * token's claims are cached by the whole token string; the session it names is still checked on
 * every request (through the principal cache), so revocation is immediate.
 */
export class AccessTokens {
  readonly #verified: SecondChanceMap<string, VerifiedClaims>
  readonly #getKey: JWTVerifyGetKey

  constructor(
    private readonly ctx: CoreContext,
    private readonly keyring: JwtKeyring,
    cacheSize = 50_000,
  ) {
    this.#verified = new SecondChanceMap(Math.max(1, cacheSize))
    this.#getKey = async (header) => {
      const key = header.kid ? await keyring.verificationKey(header.kid) : null
      if (!key) throw new joseErrors.JWKSNoMatchingKey()
      return key
    }
  }

  /** Signs an access JWT for `user` naming `sessionId`, valid for `ttlSeconds`. */
  async issue(user: Pick<UserRecord, 'id'>, sessionId: string, ttlSeconds = this.ctx.settings.accessTtlSeconds): Promise<IssuedAccessToken> {
    const { kid, privateKey } = await this.keyring.signingKey()
    const now = this.ctx.clock.now()
    const iat = Math.floor(now.getTime() / 1000)
    const exp = iat + ttlSeconds
    const token = await new SignJWT({ sid: sessionId })
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'JWT' })
      .setSubject(String(user.id))
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(crypto.randomUUID())
      .setIssuer(this.ctx.settings.jwtIssuer)
      .setAudience(this.ctx.settings.jwtAudience)
      .sign(privateKey)
    return { token, expiresAt: new Date(exp * 1000) }
  }

  /**
   * Checks an access JWT and the session it names; never throws for a bad token. When both the
   * signature and the session are cached it answers synchronously, without a promise.
   */
  verify(token: string): CredentialCheck | Promise<CredentialCheck> {
    // Only whole tokens that verified are cached, so a hit needs no shape check.
    const cached = this.#verified.get(token)
    if (!cached) return looksLikeJwt(token) ? this.#verifyCold(token) : INVALID
    const now = nowMs(this.ctx.clock)
    if (cached.expiresAt <= now) return INVALID
    const check = validateSessionById(this.ctx, cached, now)
    return check instanceof Promise ? check.then((c) => withClaims(c, cached)) : withClaims(check, cached)
  }

  /** True when the token is an unexpired access JWT this server signed, whether or not its session still lives. */
  async isSigned(token: string): Promise<boolean> {
    const cached = this.#verified.peek(token)
    if (cached) return cached.expiresAt > nowMs(this.ctx.clock)
    return looksLikeJwt(token) && (await this.#claims(token)) !== null
  }

  async #verifyCold(token: string): Promise<CredentialCheck> {
    const claims = await this.#claims(token)
    return claims ? withClaims(await validateSessionById(this.ctx, claims), claims) : INVALID
  }

  /** The token's claims when its signature, algorithm, issuer, audience and expiry are right. */
  async #claims(token: string): Promise<VerifiedClaims | null> {
    const now = this.ctx.clock.now().getTime()
    let payload: JWTPayload
    try {
      ;({ payload } = await jwtVerify(token, this.#getKey, {
        // Only EdDSA: `none` and HMAC (signed with the public key as a secret) never verify.
        algorithms: ['EdDSA'],
        issuer: this.ctx.settings.jwtIssuer,
        audience: this.ctx.settings.jwtAudience,
        currentDate: new Date(now),
        requiredClaims: ['sub', 'sid', 'exp', 'iat', 'jti'],
      }))
    } catch {
      return null
    }
    const userId = Number(payload.sub)
    if (!Number.isSafeInteger(userId) || typeof payload.sid !== 'string' || typeof payload.exp !== 'number') return null
    const claims: VerifiedClaims = { userId, sessionId: payload.sid, expiresAt: payload.exp * 1000, sessionKey: sessionCacheKey(payload.sid) }
    this.#verified.set(token, claims)
    return claims
  }
}

/**
 * The session's answer narrowed by the token: its user must match, and it lives no longer than
 * `exp`. The session cache hands out the same answer object while the session's expiry stays the
 * same, so the token's answer is kept on its claims and handed out again while it does.
 */
function withClaims(check: CredentialCheck, claims: VerifiedClaims): CredentialCheck {
  if (claims.decidedFrom === check) return claims.decided!
  const decided = narrow(check, claims)
  claims.decidedFrom = check
  claims.decided = decided
  return decided
}

function narrow(check: CredentialCheck, claims: VerifiedClaims): CredentialCheck {
  if (!check.ok) return check
  if (check.principal.user.id !== claims.userId) return INVALID
  if (check.principal.expiresAt.getTime() <= claims.expiresAt) return check
  return { ok: true, principal: { ...check.principal, expiresAt: new Date(claims.expiresAt) } }
}
