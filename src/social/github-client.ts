import * as oidc from 'openid-client'
import type { SocialProfile } from '../core/social-accounts.js'
import { ValidationError } from '../core/errors.js'
import { PROVIDER_TIMEOUT_SECONDS } from './oidc-client.js'
import type { SocialProviderConfig } from './provider-config.js'
import { providerFailure, providerUnavailable, signInFailed } from './provider-errors.js'
import { checkCallbackState, type AppCode, type AuthorizationChecks, type SocialClient } from './social-client.js'

/** GitHub's `/user`, as far as Tessera reads it. */
interface GithubUser {
  id: number
  login: string
  email: string | null
}

/** One entry of GitHub's `/user/emails`. */
interface GithubEmail {
  email: string
  primary: boolean
  verified: boolean
}

/**
 * GitHub: plain OAuth 2 (no discovery, no ID token), so the person is read from its REST API with
 * the access token: `/user` for the stable numeric id, `/user/emails` for an address and whether
 * GitHub verified it. openid-client still does the protocol (authorization URL, state, PKCE, code
 * exchange, bearer requests). The endpoints come from the configuration, so tests can use a fake.
 */
export function createGithubClient(config: SocialProviderConfig): SocialClient {
  const endpoints = config.github
  if (endpoints === null || config.clientSecret === null) throw new TypeError(`tessera: provider "${config.id}" needs GitHub endpoints and a secret`)
  const name = config.name
  const conf = new oidc.Configuration(
    // Not an OpenID issuer: an identifier for the library, which checks `iss` only where metadata says it is sent.
    { issuer: new URL(endpoints.authorizationUrl).origin, authorization_endpoint: endpoints.authorizationUrl, token_endpoint: endpoints.tokenUrl },
    config.clientId,
    config.clientSecret,
  )
  if (new URL(endpoints.tokenUrl).protocol === 'http:' || new URL(endpoints.apiUrl).protocol === 'http:') oidc.allowInsecureRequests(conf)
  conf.timeout = PROVIDER_TIMEOUT_SECONDS
  conf[oidc.customFetch] = async (url, options) => {
    const response = await fetch(url, options)
    return url === endpoints.tokenUrl ? asOAuthError(response) : response
  }

  /** Reads `path` of the REST API with the access token; null when GitHub refuses it. */
  const api = async <T>(accessToken: string, path: string): Promise<T | null> => {
    const headers = new Headers({ accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28', 'user-agent': 'tessera' })
    const response = await oidc.fetchProtectedResource(conf, accessToken, new URL(endpoints.apiUrl + path), 'GET', undefined, headers)
    if (response.status >= 500) throw providerUnavailable(name, new Error(`GET ${path} answered ${response.status}`))
    return response.ok ? ((await response.json()) as T) : null
  }

  /** The person behind an access token. */
  const profileOf = async (accessToken: string): Promise<SocialProfile> => {
    const [user, emails] = await Promise.all([api<GithubUser>(accessToken, '/user'), api<GithubEmail[]>(accessToken, '/user/emails')])
    if (user === null || !Number.isSafeInteger(user.id)) throw providerUnavailable(name, new Error('/user gave no numeric id'))
    // A token without the user:email scope (or a GitHub App without the e-mail permission) may not
    // read /user/emails; the public address of /user is then all there is, and it is not verified.
    const publicEmail = typeof user.email === 'string' ? { email: user.email, primary: true, verified: false } : undefined
    const chosen = chooseEmail(Array.isArray(emails) ? emails : []) ?? publicEmail
    return {
      provider: config.id,
      // The numeric id, never the login: a login can be renamed, and then taken by someone else.
      subject: String(user.id),
      email: chosen?.email ?? null,
      emailVerified: chosen?.verified === true,
    }
  }

  const redeem = async (callbackUrl: URL, checks: { state?: string; verifier: string }): Promise<SocialProfile> => {
    try {
      const tokens = await oidc.authorizationCodeGrant(conf, callbackUrl, { expectedState: checks.state, pkceCodeVerifier: checks.verifier })
      return await profileOf(tokens.access_token)
    } catch (error) {
      throw providerFailure(error, name)
    }
  }

  return {
    id: config.id,
    name,
    issuesIdTokens: false,

    async startAuthorization(redirectUri) {
      const checks = { state: oidc.randomState(), nonce: null, verifier: oidc.randomPKCECodeVerifier() }
      const url = oidc.buildAuthorizationUrl(conf, {
        redirect_uri: redirectUri,
        scope: config.scopes.join(' '),
        state: checks.state,
        code_challenge: await oidc.calculatePKCECodeChallenge(checks.verifier),
        code_challenge_method: 'S256',
      })
      return { url, ...checks }
    },

    async completeAuthorization(callbackUrl: URL, checks: AuthorizationChecks) {
      checkCallbackState(callbackUrl, checks.state, name)
      return redeem(callbackUrl, checks)
    },

    async exchangeAppCode(code: AppCode) {
      if (code.clientId !== undefined && code.clientId !== config.clientId) {
        throw new ValidationError({ clientId: [`${name} codes are exchanged with this server's own client id.`] })
      }
      if (!URL.canParse(code.redirectUri)) throw new ValidationError({ redirectUri: ['Must be the absolute redirect URI the app used.'] })
      const answer = new URL(code.redirectUri)
      answer.search = ''
      answer.hash = ''
      answer.searchParams.set('code', code.code)
      return redeem(answer, { verifier: code.codeVerifier })
    },

    async verifyIdToken() {
      throw signInFailed(`${name} issues no ID tokens: send the authorization code instead (code, codeVerifier, redirectUri).`)
    },

    async warmUp() {},
  }
}

/** The address to use: the primary if GitHub verified it, else any verified one, else the primary unverified. */
function chooseEmail(emails: GithubEmail[]): GithubEmail | undefined {
  const valid = emails.filter((entry) => typeof entry?.email === 'string')
  return (
    valid.find((entry) => entry.primary && entry.verified === true) ??
    valid.find((entry) => entry.verified === true) ??
    valid.find((entry) => entry.primary)
  )
}

/**
 * GitHub's token endpoint answers a refused code with status 200 and `{"error": …}`; as a 400
 * (what OAuth 2 specifies) the library reports it as the refusal it is, not as a malformed answer.
 */
async function asOAuthError(response: Response): Promise<Response> {
  if (response.status !== 200) return response
  const body = (await response.clone().json().catch(() => null)) as { error?: unknown } | null
  if (typeof body?.error !== 'string') return response
  return new Response(JSON.stringify(body), { status: 400, headers: { 'content-type': 'application/json' } })
}
