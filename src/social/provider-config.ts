/**
 * The social-login providers an operator configures (`OIDC_PROVIDERS`, a JSON array), checked
 * once at start so a typo fails the start with a message naming it, not the first person who
 * signs in. No network here: discovery happens on first use (src/social/oidc-client.ts).
 */

/** Providers Tessera knows the endpoints and defaults of. */
export type SocialPreset = 'google' | 'microsoft' | 'gitlab' | 'github'

/** GitHub's endpoints; configurable so that tests (and GitHub Enterprise) can point elsewhere. */
export interface GithubEndpoints {
  authorizationUrl: string
  tokenUrl: string
  /** Base of the REST API: `/user` and `/user/emails` are read under it. */
  apiUrl: string
}

/** One identity provider, resolved from its entry in `OIDC_PROVIDERS`. */
export interface SocialProviderConfig {
  /** In the routes (`/auth/social/<id>/…`) and in each linked identity. */
  id: string
  /** Shown to people ("Google"). */
  name: string
  /** OpenID Connect by discovery, or GitHub's plain OAuth 2 and REST API. */
  protocol: 'oidc' | 'github'
  /** OIDC: discovered at `<issuer>/.well-known/openid-configuration`. Null for GitHub. */
  issuer: string | null
  clientId: string
  /** Null for a public client (PKCE only), which some providers allow. */
  clientSecret: string | null
  scopes: string[]
  /**
   * Other client ids of the same application (its iOS and Android clients): accepted as the `aud`
   * of ID tokens an app sends, and as the client an app's code was issued to.
   */
  mobileClientIds: string[]
  /** GitHub's endpoints; null for OIDC providers. */
  github: GithubEndpoints | null
}

/** A preset's defaults: its display name, issuer (OIDC) or endpoints (GitHub), and scopes. */
const PRESETS: Record<SocialPreset, { name: string; scopes: string[] }> = {
  google: { name: 'Google', scopes: ['openid', 'email', 'profile'] },
  microsoft: { name: 'Microsoft', scopes: ['openid', 'email', 'profile'] },
  gitlab: { name: 'GitLab', scopes: ['openid', 'email', 'profile'] },
  github: { name: 'GitHub', scopes: ['read:user', 'user:email'] },
}

const GITHUB_DEFAULTS: GithubEndpoints = {
  authorizationUrl: 'https://github.com/login/oauth/authorize',
  tokenUrl: 'https://github.com/login/oauth/access_token',
  apiUrl: 'https://api.github.com',
}

const ID = /^[a-z0-9][a-z0-9_-]{0,31}$/
// Path segments the social routes use themselves, which no provider may be named after.
const RESERVED_IDS = new Set(['exchange', 'identities', 'providers'])
const KEYS = new Set([
  'id', 'preset', 'name', 'issuer', 'tenant', 'clientId', 'clientSecret', 'scopes', 'mobileClientIds',
  'authorizationUrl', 'tokenUrl', 'apiUrl',
])

/**
 * Reads `OIDC_PROVIDERS`: a JSON array of `{ id, preset?, issuer?, tenant?, clientId,
 * clientSecret?, scopes?, mobileClientIds?, name?, authorizationUrl?, tokenUrl?, apiUrl? }`.
 * Throws a RangeError naming the entry and field that is wrong (never a secret's value).
 */
export function parseSocialProviders(value: string, variable = 'OIDC_PROVIDERS'): SocialProviderConfig[] {
  let entries: unknown
  try {
    entries = JSON.parse(value)
  } catch {
    throw new RangeError(`tessera: ${variable} must be a JSON array of providers (it is not valid JSON)`)
  }
  if (!Array.isArray(entries)) throw new RangeError(`tessera: ${variable} must be a JSON array of providers`)
  const seen = new Set<string>()
  return entries.map((entry, index) => {
    const provider = parseEntry(entry, `${variable}[${index}]`)
    if (seen.has(provider.id)) throw new RangeError(`tessera: ${variable} names the provider "${provider.id}" twice`)
    seen.add(provider.id)
    return provider
  })
}

function parseEntry(entry: unknown, where: string): SocialProviderConfig {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new RangeError(`tessera: ${where} must be an object`)
  const raw = entry as Record<string, unknown>
  for (const key of Object.keys(raw)) {
    if (!KEYS.has(key)) throw new RangeError(`tessera: ${where} has an unknown field "${key}" (known: ${[...KEYS].join(', ')})`)
  }
  const id = text(raw, 'id', where)
  if (id === undefined || !ID.test(id) || RESERVED_IDS.has(id)) {
    throw new RangeError(`tessera: ${where}.id must be 1–32 lower-case letters, digits, - or _ (and not ${[...RESERVED_IDS].join(', ')})`)
  }
  const at = `${where} ("${id}")`
  const presetName = text(raw, 'preset', at)
  if (presetName !== undefined && !(presetName in PRESETS)) {
    throw new RangeError(`tessera: ${at}.preset must be one of ${Object.keys(PRESETS).join(', ')}`)
  }
  const preset = presetName as SocialPreset | undefined
  const clientId = text(raw, 'clientId', at)
  if (!clientId) throw new RangeError(`tessera: ${at}.clientId is required`)
  const clientSecret = text(raw, 'clientSecret', at) || null
  const github = preset === 'github'
  if (github && clientSecret === null) throw new RangeError(`tessera: ${at}.clientSecret is required for GitHub`)
  for (const key of ['authorizationUrl', 'tokenUrl', 'apiUrl'] as const) {
    if (!github && raw[key] !== undefined) throw new RangeError(`tessera: ${at}.${key} applies only to the github preset`)
  }
  if (raw.tenant !== undefined && preset !== 'microsoft') throw new RangeError(`tessera: ${at}.tenant applies only to the microsoft preset`)
  if (github && raw.issuer !== undefined) throw new RangeError(`tessera: ${at}.issuer does not apply to GitHub (plain OAuth 2)`)

  const scopes = parseScopes(raw.scopes, at) ?? (preset ? PRESETS[preset].scopes : ['openid', 'email', 'profile'])
  // An OpenID Connect request without the openid scope is plain OAuth 2, with no ID token to check.
  if (!github && !scopes.includes('openid')) scopes.unshift('openid')
  return {
    id,
    name: text(raw, 'name', at) || (preset ? PRESETS[preset].name : id),
    protocol: github ? 'github' : 'oidc',
    issuer: github ? null : issuerOf(raw, preset, at),
    clientId,
    clientSecret,
    scopes,
    mobileClientIds: stringList(raw.mobileClientIds, `${at}.mobileClientIds`) ?? [],
    github: github
      ? {
          authorizationUrl: endpoint(text(raw, 'authorizationUrl', at) ?? GITHUB_DEFAULTS.authorizationUrl, `${at}.authorizationUrl`),
          tokenUrl: endpoint(text(raw, 'tokenUrl', at) ?? GITHUB_DEFAULTS.tokenUrl, `${at}.tokenUrl`),
          apiUrl: endpoint(text(raw, 'apiUrl', at) ?? GITHUB_DEFAULTS.apiUrl, `${at}.apiUrl`).replace(/\/+$/, ''),
        }
      : null,
  }
}

/** The issuer to discover: given, or the preset's (Microsoft's for `tenant`, default `common`). */
function issuerOf(raw: Record<string, unknown>, preset: SocialPreset | undefined, at: string): string {
  const given = text(raw, 'issuer', at)
  if (given) return endpoint(given, `${at}.issuer`).replace(/\/+$/, '')
  if (preset === 'google') return 'https://accounts.google.com'
  if (preset === 'gitlab') return 'https://gitlab.com'
  if (preset === 'microsoft') {
    const tenant = text(raw, 'tenant', at) || 'common'
    if (!/^[A-Za-z0-9.-]{1,64}$/.test(tenant)) throw new RangeError(`tessera: ${at}.tenant must be a tenant id or domain, or common`)
    return `https://login.microsoftonline.com/${tenant}/v2.0`
  }
  throw new RangeError(`tessera: ${at}.issuer is required without a preset`)
}

/** An https URL, or http on a loopback address (development, tests); a RangeError naming `where` otherwise. */
function endpoint(value: string, where: string): string {
  const url = URL.canParse(value) ? new URL(value) : null
  if (url?.protocol === 'https:' || (url?.protocol === 'http:' && isLoopbackHost(url.hostname))) return value
  throw new RangeError(`tessera: ${where} must be an https:// URL (http:// only on a loopback address)`)
}

/** True for 127.0.0.0/8, ::1 and localhost: addresses only this machine can answer. */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(hostname)
}

/** An optional string field; a RangeError when it is there and not a string. */
function text(raw: Record<string, unknown>, key: string, at: string): string | undefined {
  const value = raw[key]
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw new RangeError(`tessera: ${at}.${key} must be a string`)
  return value.trim()
}

/** Scopes as an array of strings or one space-separated string. */
function parseScopes(value: unknown, at: string): string[] | undefined {
  if (typeof value === 'string') return value.split(/\s+/).filter(Boolean)
  return stringList(value, `${at}.scopes`)
}

function stringList(value: unknown, where: string): string[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && item.trim() !== '')) {
    throw new RangeError(`tessera: ${where} must be an array of non-empty strings`)
  }
  return value.map((item: string) => item.trim())
}
