import type { TesseraSettings } from '../core/settings.js'
import { parseDuration, parseRateLimit } from './durations.js'
import { parseSocialProviders, type SocialProviderConfig } from '../social/provider-config.js'
import { parseRedirectAllowlist } from '../social/redirect-allowlist.js'

/** The faces the server can mount. */
export type Profile = 'canonical' | 'drf' | 'conduit' | 'djoser' | 'simplejwt' | 'dj-rest-auth'
const PROFILES: readonly Profile[] = ['canonical', 'drf', 'conduit', 'djoser', 'simplejwt', 'dj-rest-auth']
const DEFAULT_PROFILES: readonly Profile[] = ['canonical', 'drf', 'conduit']

/** The faces mounted under a configurable prefix: the Django packages whose clients expect their own paths. */
export type PrefixedProfile = 'djoser' | 'simplejwt' | 'dj-rest-auth'

/** Each prefixed face's variable and default prefix (where the packages' own docs mount them). */
const PREFIXES: Record<PrefixedProfile, { variable: string; default: string }> = {
  djoser: { variable: 'DJOSER_PREFIX', default: '/auth' },
  simplejwt: { variable: 'SIMPLEJWT_PREFIX', default: '/api/token' },
  'dj-rest-auth': { variable: 'DJ_REST_AUTH_PREFIX', default: '/rest-auth' },
}

/** True for the faces mounted under a prefix of their own. */
export function isPrefixedProfile(profile: Profile): profile is PrefixedProfile {
  return Object.hasOwn(PREFIXES, profile)
}

/** The server's whole configuration, as read from the environment. */
export interface ServerConfig {
  host: string
  port: number
  databaseUrl: string
  /** `redis://…` or `rediss://…`: shared revocation and rate limits; unset: in-process only. */
  redisUrl: string | null
  publicUrl: string
  profiles: Profile[]
  /** Where each prefixed face is mounted (`DJOSER_PREFIX`, `SIMPLEJWT_PREFIX`, `DJ_REST_AUTH_PREFIX`). */
  prefixes: Record<PrefixedProfile, string>
  corsOrigins: string[]
  logLevel: string
  /** Cached sessions kept in memory. @default 100000 */
  cacheSize: number
  /** `smtp://host:port`; unset: mails are written to the log. */
  smtpUrl: string | null
  /** @default "Tessera <no-reply@localhost>" */
  mailFrom: string
  /** Lets a service call `/auth/introspect` without a staff token. */
  introspectionSecret: string | null
  /** A scraper's secret for `GET /metrics`; once set, required from every address (or a staff token). @default unset: loopback clients */
  metricsToken?: string
  /** Social login (`OIDC_PROVIDERS`, `SOCIAL_REDIRECT_ALLOWLIST`); unset: no social routes. */
  social?: SocialConfig
  settings: Partial<TesseraSettings>
}

/** The identity providers people may sign in with, and where the browser flow may send them back to. */
export interface SocialConfig {
  providers: SocialProviderConfig[]
  /** Origins and URLs a sign-in's `next` may name (see src/social/redirect-allowlist.ts). */
  redirectAllowlist: string[]
}

/** One line per variable, for `tessera serve --help`. */
export const ENVIRONMENT_HELP: ReadonlyArray<[string, string]> = [
  ['HOST, PORT', 'where the server listens (127.0.0.1, 8000)'],
  ['DATABASE_URL', 'sqlite:<path> (default sqlite:./tessera.db)'],
  ['REDIS_URL', 'redis://host:port: revocation broadcast and rate limits shared by every process (unset: in-process)'],
  ['PUBLIC_URL', 'base of links in e-mails (default http://HOST:PORT)'],
  ['TOKEN_TTL, TOKEN_MAX_AGE', 'opaque-token idle and absolute lifetimes (30d, 365d)'],
  ['ACCESS_TTL, REFRESH_TTL, CONDUIT_TOKEN_TTL', 'JWT lifetimes (15m, 30d, 60d)'],
  ['REFRESH_GRACE', 'window in which a spent refresh token gets the same answer again, for clients that refresh from several tabs (0: every reuse revokes the session)'],
  ['JWT_ISSUER, JWT_AUDIENCE', 'iss and aud of issued JWTs (PUBLIC_URL, tessera)'],
  ['RESET_TTL, RESET_URL, VERIFY_URL', 'reset-link lifetime (1h); pages the mails link to ({token} or token= added)'],
  ['REQUIRE_VERIFIED_EMAIL', 'true: refuse logins until the e-mail is verified'],
  ['AUDIT_RETENTION', 'audit-log rows older than this are deleted by tessera cleartokens (90d)'],
  ['SMTP_URL, MAIL_FROM', 'smtp://host:port (unset: mails go to the log); the sender'],
  ['INTROSPECTION_SECRET', 'lets a service call /auth/introspect without a staff token'],
  ['METRICS_TOKEN', 'Bearer secret for GET /metrics, 16+ characters (unset: loopback clients; staff tokens always)'],
  ['WORKERS', 'processes sharing the port, as --workers (1; one per core when REDIS_URL is set)'],
  ['LOGIN_THROTTLE', 'failed logins per account, e.g. 10/15m, or off'],
  ['ANON_THROTTLE', 'failed logins per client address, e.g. 300/1m, or off'],
  ['MAX_SESSIONS_PER_USER', 'live sessions per user; the oldest go first (100)'],
  ['TOKEN_CACHE_SIZE', 'sessions cached in memory (100000; 0 disables the cache)'],
  ['CORS_ORIGINS', 'comma list of origins allowed to call the API from a browser'],
  ['OIDC_PROVIDERS', 'social login: JSON array of {id, preset: google|microsoft|gitlab|github, issuer, clientId, clientSecret, scopes, …}'],
  ['SOCIAL_REDIRECT_ALLOWLIST', 'comma list of origins or exact URLs the social browser flow may return to (next=…)'],
  ['PROFILES', 'faces to mount, from canonical,drf,conduit,djoser,simplejwt,dj-rest-auth (canonical,drf,conduit)'],
  ['DJOSER_PREFIX, SIMPLEJWT_PREFIX, DJ_REST_AUTH_PREFIX', 'where those faces are mounted (/auth, /api/token, /rest-auth)'],
  ['PASSWORD_RESET_CONFIRM_URL, ACTIVATION_URL', 'djoser/dj-rest-auth mail links with {uid} and {token}, absolute or relative to PUBLIC_URL (password/reset/confirm/{uid}/{token}, activate/{uid}/{token})'],
  ['LOG_LEVEL', "pino's level (info)"],
]

/** Reads the configuration from `env`; throws a RangeError naming the variable that is wrong. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const host = env.HOST?.trim() || '127.0.0.1'
  const port = env.PORT?.trim() ? (/^\d{1,5}$/.test(env.PORT.trim()) ? Number(env.PORT) : NaN) : 8000
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new RangeError(`tessera: PORT must be 0–65535 (got "${env.PORT}")`)
  const profiles = (env.PROFILES ?? DEFAULT_PROFILES.join(','))
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
  if (profiles.length === 0) throw new RangeError(`tessera: PROFILES must name at least one of ${PROFILES.join(', ')}`)
  for (const profile of profiles) {
    if (!PROFILES.includes(profile as Profile)) {
      throw new RangeError(`tessera: PROFILES may list only ${PROFILES.join(', ')} (got "${profile}")`)
    }
  }
  const prefixes = parsePrefixes(env, profiles as Profile[])
  const cacheSize = env.TOKEN_CACHE_SIZE?.trim() ? (/^\d+$/.test(env.TOKEN_CACHE_SIZE.trim()) ? Number(env.TOKEN_CACHE_SIZE) : NaN) : 100_000
  if (!Number.isInteger(cacheSize) || cacheSize < 0) throw new RangeError('tessera: TOKEN_CACHE_SIZE must be a whole number ≥ 0')

  const settings: Partial<TesseraSettings> = {}
  if (env.TOKEN_TTL) settings.tokenIdleSeconds = parseDuration(env.TOKEN_TTL, 'TOKEN_TTL')
  if (env.TOKEN_MAX_AGE) settings.tokenMaxAgeSeconds = parseDuration(env.TOKEN_MAX_AGE, 'TOKEN_MAX_AGE')
  if (env.LOGIN_THROTTLE) settings.loginThrottle = parseRateLimit(env.LOGIN_THROTTLE, 'LOGIN_THROTTLE')
  if (env.ANON_THROTTLE) settings.addressThrottle = parseRateLimit(env.ANON_THROTTLE, 'ANON_THROTTLE')
  if (env.MAX_SESSIONS_PER_USER) {
    settings.maxSessionsPerUser = Number(env.MAX_SESSIONS_PER_USER)
    if (!Number.isInteger(settings.maxSessionsPerUser) || settings.maxSessionsPerUser < 1) {
      throw new RangeError('tessera: MAX_SESSIONS_PER_USER must be a whole number ≥ 1')
    }
  }
  const publicUrl = (env.PUBLIC_URL?.trim() || `http://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(/\/+$/, '')
  settings.publicUrl = publicUrl
  settings.jwtIssuer = env.JWT_ISSUER?.trim() || publicUrl
  if (env.JWT_AUDIENCE?.trim()) settings.jwtAudience = env.JWT_AUDIENCE.trim()
  if (env.ACCESS_TTL) settings.accessTtlSeconds = parseDuration(env.ACCESS_TTL, 'ACCESS_TTL')
  if (env.REFRESH_TTL) settings.refreshTtlSeconds = parseDuration(env.REFRESH_TTL, 'REFRESH_TTL')
  if (env.CONDUIT_TOKEN_TTL) settings.conduitTokenTtlSeconds = parseDuration(env.CONDUIT_TOKEN_TTL, 'CONDUIT_TOKEN_TTL')
  if (env.REFRESH_GRACE) settings.refreshGraceSeconds = /^\s*0\s*$/.test(env.REFRESH_GRACE) ? 0 : parseDuration(env.REFRESH_GRACE, 'REFRESH_GRACE')
  if (env.RESET_TTL) settings.resetTtlSeconds = parseDuration(env.RESET_TTL, 'RESET_TTL')
  if (env.RESET_URL?.trim()) settings.resetUrl = checkUrl(env.RESET_URL.trim(), 'RESET_URL')
  if (env.VERIFY_URL?.trim()) settings.verifyUrl = checkUrl(env.VERIFY_URL.trim(), 'VERIFY_URL')
  if (env.REQUIRE_VERIFIED_EMAIL?.trim()) settings.requireVerifiedEmail = parseBoolean(env.REQUIRE_VERIFIED_EMAIL, 'REQUIRE_VERIFIED_EMAIL')
  if (env.PASSWORD_RESET_CONFIRM_URL?.trim()) settings.passwordResetConfirmUrl = checkUidLinkTemplate(env.PASSWORD_RESET_CONFIRM_URL.trim(), 'PASSWORD_RESET_CONFIRM_URL')
  if (env.ACTIVATION_URL?.trim()) settings.activationUrl = checkUidLinkTemplate(env.ACTIVATION_URL.trim(), 'ACTIVATION_URL')
  if (env.AUDIT_RETENTION?.trim()) settings.auditRetentionSeconds = parseDuration(env.AUDIT_RETENTION, 'AUDIT_RETENTION')
  return {
    host,
    port,
    databaseUrl: env.DATABASE_URL?.trim() || 'sqlite:./tessera.db',
    redisUrl: env.REDIS_URL?.trim() ? checkRedisUrl(env.REDIS_URL.trim()) : null,
    publicUrl,
    smtpUrl: env.SMTP_URL?.trim() ? checkUrl(env.SMTP_URL.trim(), 'SMTP_URL') : null,
    mailFrom: env.MAIL_FROM?.trim() || 'Tessera <no-reply@localhost>',
    introspectionSecret: env.INTROSPECTION_SECRET?.trim() || null,
    metricsToken: checkMetricsToken(env.METRICS_TOKEN?.trim() || undefined),
    social: parseSocialConfig(env),
    profiles: profiles as Profile[],
    prefixes,
    corsOrigins: (env.CORS_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean),
    logLevel: env.LOG_LEVEL?.trim() || 'info',
    cacheSize,
    settings,
  }
}

/**
 * The prefixed faces' mount points: `/` and a path of plain segments, no trailing slash. A mounted
 * djoser face at canonical's `/auth` would answer canonical's own `/auth/jwt/*` paths, so that
 * pair is refused here rather than left to whichever route Fastify registers first.
 */
function parsePrefixes(env: NodeJS.ProcessEnv, profiles: Profile[]): Record<PrefixedProfile, string> {
  const prefixes = {} as Record<PrefixedProfile, string>
  for (const [profile, { variable, default: fallback }] of Object.entries(PREFIXES) as [PrefixedProfile, (typeof PREFIXES)[PrefixedProfile]][]) {
    const raw = env[variable]?.trim() || fallback
    const prefix = raw.replace(/\/+$/, '')
    if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(prefix)) throw new RangeError(`tessera: ${variable} must be a path such as ${fallback} (got "${raw}")`)
    prefixes[profile] = prefix
  }
  if (profiles.includes('djoser') && profiles.includes('canonical') && prefixes.djoser === '/auth') {
    throw new RangeError('tessera: the djoser face at /auth would shadow the canonical /auth/* routes: set DJOSER_PREFIX, or leave canonical out of PROFILES')
  }
  return prefixes
}

/** A djoser-style link template: absolute http(s), or a path relative to PUBLIC_URL; `{uid}` and `{token}` are filled in. */
function checkUidLinkTemplate(value: string, name: string): string {
  if (!value.includes('{token}')) throw new RangeError(`tessera: ${name} must contain {token} (got "${value}")`)
  if (/^[a-z][a-z0-9+.-]*:/i.test(value)) {
    const url = URL.canParse(value.replace(/\{(uid|token)\}/g, 'x')) ? new URL(value.replace(/\{(uid|token)\}/g, 'x')) : null
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) throw new RangeError(`tessera: ${name} must be an http(s) URL or a relative path (got "${value}")`)
  }
  return value
}

/** Social login's settings, or undefined when no provider is configured (the allowlist is checked either way). */
function parseSocialConfig(env: NodeJS.ProcessEnv): SocialConfig | undefined {
  const redirectAllowlist = parseRedirectAllowlist(env.SOCIAL_REDIRECT_ALLOWLIST ?? '')
  const providers = env.OIDC_PROVIDERS?.trim() ? parseSocialProviders(env.OIDC_PROVIDERS) : []
  return providers.length > 0 ? { providers, redirectAllowlist } : undefined
}

/** `value` when it parses as an absolute URL; a RangeError naming `name` otherwise. */
function checkUrl(value: string, name: string): string {
  try {
    new URL(value.replace('{token}', 'token'))
    return value
  } catch {
    throw new RangeError(`tessera: ${name} must be an absolute URL (got "${value}")`)
  }
}

/** `value` when it is a redis:// or rediss:// URL; a RangeError naming REDIS_URL otherwise. */
function checkRedisUrl(value: string): string {
  if (!/^rediss?:$/.test(URL.canParse(value) ? new URL(value).protocol : '')) {
    // The value may hold a password: the message names the variable, not what it was set to.
    throw new RangeError('tessera: REDIS_URL must be a redis:// or rediss:// URL')
  }
  return value
}

/** The token when unset or long enough to resist guessing; a RangeError (that never repeats it) otherwise. */
function checkMetricsToken(value: string | undefined): string | undefined {
  if (value !== undefined && value.length < 16) throw new RangeError('tessera: METRICS_TOKEN must be at least 16 characters')
  return value
}

/** true/false, yes/no, 1/0, on/off. */
function parseBoolean(value: string, name: string): boolean {
  const v = value.trim().toLowerCase()
  if (['1', 'true', 'yes', 'on'].includes(v)) return true
  if (['0', 'false', 'no', 'off'].includes(v)) return false
  throw new RangeError(`tessera: ${name} must be true or false (got "${value}")`)
}
