/** A limit of `limit` events per `windowSeconds`. */
export interface RateLimit {
  limit: number
  windowSeconds: number
}

/** The domain's tunables, resolved once; durations carry their unit in the name. */
export interface TesseraSettings {
  /** An opaque token dies after this long unused. @default 30 days */
  tokenIdleSeconds: number
  /** An opaque token dies this long after login, used or not. @default 365 days */
  tokenMaxAgeSeconds: number
  /** `lastUsedAt` is written at most this often per session, not on every request. @default 60 */
  touchIntervalSeconds: number
  /** Live sessions a user may hold; a new login revokes the oldest beyond it. @default 100 */
  maxSessionsPerUser: number
  /** Failed logins allowed per account identifier. @default 10 per 15 minutes */
  loginThrottle: RateLimit | null
  /** Failed logins allowed per client address, whatever the account. @default 300 per minute */
  addressThrottle: RateLimit | null
  /** @default 8 */
  passwordMinLength: number
  /** @default 256 */
  passwordMaxLength: number
  /** Lifetime of an access JWT. @default 15 minutes */
  accessTtlSeconds: number
  /** Lifetime of a refresh token, and of the JWT session it keeps alive. @default 30 days */
  refreshTtlSeconds: number
  /** Lifetime of the Conduit face's access JWT (the course used 60 days). @default 60 days */
  conduitTokenTtlSeconds: number
  /** A spent refresh token presented again within this window gets the same answer, not a revocation. @default 0: every reuse revokes (concurrent refreshes in one process share one answer regardless) */
  refreshGraceSeconds: number
  /** `iss` of issued JWTs. @default the public URL */
  jwtIssuer: string
  /** `aud` of issued JWTs. @default "tessera" */
  jwtAudience: string
  /** Lifetime of a password-reset link. @default 1 hour */
  resetTtlSeconds: number
  /** Lifetime of an e-mail verification link. @default 3 days */
  verifyTtlSeconds: number
  /** Base of links in mails and of JWT issuers. @default http://127.0.0.1:8000 */
  publicUrl: string
  /** The page a reset mail links to; `{token}` is replaced, or `token=` is added. @default Tessera's own page */
  resetUrl: string | null
  /** The page a verification mail links to, likewise. @default Tessera's own page */
  verifyUrl: string | null
  /**
   * The reset link of mails asked for through the djoser and dj-rest-auth faces, whose front ends
   * route `{uid}/{token}`: absolute, or relative to `publicUrl` as djoser's setting is to its domain.
   */
  passwordResetConfirmUrl: string
  /** The verification (djoser: activation) link of those faces' mails, likewise. */
  activationUrl: string
  /** Refuse logins until the e-mail is verified. @default false */
  requireVerifiedEmail: boolean
  /** Audit rows older than this are deleted by `tessera cleartokens`. @default 90 days */
  auditRetentionSeconds: number
}

const DAY = 86_400

export const DEFAULT_SETTINGS: Readonly<TesseraSettings> = Object.freeze({
  tokenIdleSeconds: 30 * DAY,
  tokenMaxAgeSeconds: 365 * DAY,
  touchIntervalSeconds: 60,
  maxSessionsPerUser: 100,
  loginThrottle: { limit: 10, windowSeconds: 15 * 60 },
  addressThrottle: { limit: 300, windowSeconds: 60 },
  passwordMinLength: 8,
  passwordMaxLength: 256,
  accessTtlSeconds: 15 * 60,
  refreshTtlSeconds: 30 * DAY,
  conduitTokenTtlSeconds: 60 * DAY,
  refreshGraceSeconds: 0,
  jwtIssuer: 'http://127.0.0.1:8000',
  jwtAudience: 'tessera',
  resetTtlSeconds: 3600,
  verifyTtlSeconds: 3 * DAY,
  publicUrl: 'http://127.0.0.1:8000',
  resetUrl: null,
  verifyUrl: null,
  passwordResetConfirmUrl: 'password/reset/confirm/{uid}/{token}',
  activationUrl: 'activate/{uid}/{token}',
  requireVerifiedEmail: false,
  auditRetentionSeconds: 90 * DAY,
})

/** `overrides` laid over the defaults, checked once so a bad value fails at start, not per request. */
export function resolveSettings(overrides: Partial<TesseraSettings> = {}): Readonly<TesseraSettings> {
  const settings = { ...DEFAULT_SETTINGS, ...overrides }
  const positive = [
    'tokenIdleSeconds', 'tokenMaxAgeSeconds', 'touchIntervalSeconds', 'maxSessionsPerUser', 'accessTtlSeconds',
    'refreshTtlSeconds', 'conduitTokenTtlSeconds', 'resetTtlSeconds', 'verifyTtlSeconds', 'auditRetentionSeconds',
  ] as const
  for (const key of positive) {
    if (!Number.isFinite(settings[key]) || settings[key] <= 0) {
      throw new RangeError(`tessera: settings.${key} must be a positive number`)
    }
  }
  if (settings.passwordMinLength < 1 || settings.passwordMaxLength < settings.passwordMinLength) {
    throw new RangeError('tessera: settings.passwordMinLength must be ≥ 1 and ≤ passwordMaxLength')
  }
  return Object.freeze(settings)
}
