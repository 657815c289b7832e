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
})

/** `overrides` laid over the defaults, checked once so a bad value fails at start, not per request. */
export function resolveSettings(overrides: Partial<TesseraSettings> = {}): Readonly<TesseraSettings> {
  const settings = { ...DEFAULT_SETTINGS, ...overrides }
  for (const key of ['tokenIdleSeconds', 'tokenMaxAgeSeconds', 'touchIntervalSeconds', 'maxSessionsPerUser'] as const) {
    if (!Number.isFinite(settings[key]) || settings[key] <= 0) {
      throw new RangeError(`tessera: settings.${key} must be a positive number`)
    }
  }
  if (settings.passwordMinLength < 1 || settings.passwordMaxLength < settings.passwordMinLength) {
    throw new RangeError('tessera: settings.passwordMinLength must be ≥ 1 and ≤ passwordMaxLength')
  }
  return Object.freeze(settings)
}
