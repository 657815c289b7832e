import { createHash, randomBytes } from 'node:crypto'
import { TestBrowser } from './browser.js'
import type { SocialWorld } from './social-world.js'
import { APP_CLIENT } from './test-provider.js'

/** What a mobile app holds after the provider redirected back to it. */
export interface AppAuthorization {
  code: string
  codeVerifier: string
  redirectUri: string
  clientId: string
  nonce: string | undefined
}

/**
 * Plays a mobile app's own sign-in at the provider, as AppAuth or a provider's SDK does: its own
 * client, PKCE verifier and nonce, the system browser through login and consent, and the
 * redirect to the app's custom scheme, where the code is picked up.
 */
export async function appAuthorizes(
  world: SocialWorld,
  login: string,
  options: { client?: { id: string; redirectUri: string }; nonce?: string | null } = {},
): Promise<AppAuthorization> {
  const client = options.client ?? APP_CLIENT
  const codeVerifier = randomBytes(32).toString('base64url')
  const nonce = options.nonce === null ? undefined : (options.nonce ?? randomBytes(16).toString('base64url'))
  const url = new URL(`${world.provider.issuer}/auth`)
  url.search = new URLSearchParams({
    client_id: client.id,
    response_type: 'code',
    redirect_uri: client.redirectUri,
    scope: 'openid email',
    state: randomBytes(16).toString('base64url'),
    code_challenge: createHash('sha256').update(codeVerifier).digest('base64url'),
    code_challenge_method: 'S256',
    ...(nonce === undefined ? {} : { nonce }),
  }).toString()
  const { stoppedAt, hops } = await new TestBrowser().walk(url, (next) => next.href.startsWith(client.redirectUri), login)
  const code = stoppedAt?.searchParams.get('code')
  if (!code) throw new Error(`the provider did not redirect to the app: ${hops.map((hop) => `${hop.response.status} ${hop.url.href}`).join(' → ')}`)
  return { code, codeVerifier, redirectUri: client.redirectUri, clientId: client.id, nonce }
}

/** The app redeems its code at the provider itself and keeps the ID token. */
export async function appIdToken(world: SocialWorld, authorization: AppAuthorization): Promise<string> {
  const response = await fetch(`${world.provider.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: authorization.code,
      redirect_uri: authorization.redirectUri,
      client_id: authorization.clientId,
      code_verifier: authorization.codeVerifier,
    }).toString(),
  })
  const body = (await response.json()) as { id_token?: string }
  if (!body.id_token) throw new Error(`no ID token from the provider: ${JSON.stringify(body)}`)
  return body.id_token
}

/** POST `path` on Tessera with a JSON body, optionally with a token. */
export function postJson(world: SocialWorld, path: string, body: unknown, token?: string): Promise<Response> {
  return fetch(world.base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'ExampleApp/3.1 (iOS 18)', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  })
}
