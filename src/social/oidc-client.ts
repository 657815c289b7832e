import * as oidc from 'openid-client'
import type { JWTPayload } from 'jose'
import type { SocialProfile } from '../core/social-accounts.js'
import { ValidationError } from '../core/errors.js'
import { remoteKeySet, verifyIdToken } from './id-token.js'
import type { SocialProviderConfig } from './provider-config.js'
import { providerFailure, providerUnavailable } from './provider-errors.js'
import { checkCallbackState, isVerifiedClaim, type AppCode, type AuthorizationChecks, type SocialClient } from './social-client.js'

/** Seconds a provider has to answer any one request (discovery, token, userinfo, keys). */
export const PROVIDER_TIMEOUT_SECONDS = 10
// Asymmetric JWS algorithms only: an HMAC-signed ID token would be keyed with the client secret.
const ASYMMETRIC = /^(?:RS|PS|ES)(?:256|384|512)$|^EdDSA$|^Ed25519$/

/**
 * An OpenID Connect provider found by discovery (`<issuer>/.well-known/openid-configuration`),
 * through openid-client: authorization code flow with PKCE, state and nonce; ID tokens checked
 * by the library (browser flow, app codes) or against the provider's JWKS (app ID tokens).
 * Discovery happens on first use and is retried after a failure, so a provider that is down at
 * start does not stop the server.
 */
export function createOidcClient(config: SocialProviderConfig): SocialClient {
  const issuer = config.issuer
  if (issuer === null) throw new TypeError(`tessera: provider "${config.id}" needs an issuer`)
  // Configuration allows plain http only on loopback addresses (tests, development).
  const insecure = new URL(issuer).protocol === 'http:'
  const name = config.name
  const audiences = [config.clientId, ...config.mobileClientIds]
  let discovered: Promise<oidc.Configuration> | null = null
  let keys: ReturnType<typeof remoteKeySet> | null = null

  const configuration = (): Promise<oidc.Configuration> => {
    discovered ??= oidc
      .discovery(
        new URL(issuer),
        config.clientId,
        config.clientSecret ?? undefined,
        config.clientSecret === null ? oidc.None() : undefined,
        { execute: insecure ? [oidc.allowInsecureRequests] : [], timeout: PROVIDER_TIMEOUT_SECONDS },
      )
      .catch((error: unknown) => {
        // Not cached: the next sign-in tries again, so the provider coming back needs no restart.
        discovered = null
        throw providerUnavailable(name, error)
      })
    return discovered
  }

  /** The configuration of an app's own client (a public client: PKCE, no secret). */
  const appConfiguration = (base: oidc.Configuration, clientId: string | undefined): oidc.Configuration => {
    if (clientId === undefined || clientId === config.clientId) return base
    if (!config.mobileClientIds.includes(clientId)) {
      throw new ValidationError({ clientId: [`Not a client id of ${name} that this server accepts.`] })
    }
    const app = new oidc.Configuration(base.serverMetadata(), clientId, undefined, oidc.None())
    if (insecure) oidc.allowInsecureRequests(app)
    app.timeout = PROVIDER_TIMEOUT_SECONDS
    return app
  }

  /** The profile in an ID token's claims, completed from the userinfo endpoint when the token has no e-mail. */
  const profileOf = async (conf: oidc.Configuration, tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers) => {
    const claims = tokens.claims()
    if (!claims) throw providerUnavailable(name, new Error('no ID token in the token response'))
    if (typeof claims.email === 'string' || !conf.serverMetadata().userinfo_endpoint) return profileFrom(config.id, claims)
    // Providers may keep scope claims out of the ID token (OIDC Core 5.4) and serve them here.
    const info = await oidc.fetchUserInfo(conf, tokens.access_token, claims.sub)
    return profileFrom(config.id, { ...info, sub: claims.sub })
  }

  return {
    id: config.id,
    name,
    issuesIdTokens: true,

    async startAuthorization(redirectUri) {
      const conf = await configuration()
      const checks = { state: oidc.randomState(), nonce: oidc.randomNonce(), verifier: oidc.randomPKCECodeVerifier() }
      const url = oidc.buildAuthorizationUrl(conf, {
        redirect_uri: redirectUri,
        scope: config.scopes.join(' '),
        state: checks.state,
        nonce: checks.nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(checks.verifier),
        code_challenge_method: 'S256',
      })
      return { url, ...checks }
    },

    async completeAuthorization(callbackUrl: URL, checks: AuthorizationChecks) {
      checkCallbackState(callbackUrl, checks.state, name)
      const conf = await configuration()
      try {
        const tokens = await oidc.authorizationCodeGrant(conf, callbackUrl, {
          expectedState: checks.state,
          expectedNonce: checks.nonce ?? undefined,
          pkceCodeVerifier: checks.verifier,
          idTokenExpected: true,
        })
        return await profileOf(conf, tokens)
      } catch (error) {
        throw providerFailure(error, name)
      }
    },

    async exchangeAppCode(code: AppCode) {
      const base = await configuration()
      const conf = appConfiguration(base, code.clientId)
      const meta = base.serverMetadata()
      // openid-client reads the code (and iss) from the URL the provider redirected the app to.
      const answer = appRedirect(code.redirectUri)
      answer.searchParams.set('code', code.code)
      if (meta.authorization_response_iss_parameter_supported) answer.searchParams.set('iss', meta.issuer)
      try {
        const tokens = await oidc.authorizationCodeGrant(conf, answer, {
          expectedNonce: code.nonce,
          pkceCodeVerifier: code.codeVerifier,
          idTokenExpected: true,
        })
        return await profileOf(conf, tokens)
      } catch (error) {
        throw providerFailure(error, name)
      }
    },

    async verifyIdToken(idToken: string, nonce?: string) {
      const meta = (await configuration()).serverMetadata()
      if (!meta.jwks_uri) throw providerUnavailable(name, new Error('the discovery document names no jwks_uri'))
      keys ??= remoteKeySet(meta.jwks_uri, PROVIDER_TIMEOUT_SECONDS)
      const algorithms = (meta.id_token_signing_alg_values_supported ?? ['RS256']).filter((alg) => ASYMMETRIC.test(alg))
      try {
        const claims = await verifyIdToken(idToken, keys, { name, issuer: meta.issuer, audiences, algorithms, nonce })
        return profileFrom(config.id, claims)
      } catch (error) {
        throw providerFailure(error, name)
      }
    },

    async warmUp() {
      await configuration()
    },
  }
}

/** What OIDC claims say about a person, as the core reads it. */
function profileFrom(provider: string, claims: JWTPayload | oidc.UserInfoResponse): SocialProfile {
  const email = typeof claims.email === 'string' ? claims.email : null
  return { provider, subject: String(claims.sub), email, emailVerified: email !== null && isVerifiedClaim(claims.email_verified) }
}

/** An app's redirect address without query or fragment; a `ValidationError` when it is not an absolute URL. */
function appRedirect(redirectUri: string): URL {
  if (!URL.canParse(redirectUri)) throw new ValidationError({ redirectUri: ['Must be the absolute redirect URI the app used.'] })
  const url = new URL(redirectUri)
  url.search = ''
  url.hash = ''
  return url
}
