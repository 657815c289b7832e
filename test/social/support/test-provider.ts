import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair } from 'jose'

/** A person with an account at the test provider. */
export interface TestAccount {
  email: string | null
  emailVerified: boolean
}

/** The client Tessera is registered as (a confidential web client). */
export const WEB_CLIENT = { id: 'tessera-web', secret: 'tessera-web-secret-for-tests-only' }
/** A mobile app of the same application: a public client, PKCE only, with its own redirect URI. */
export const APP_CLIENT = { id: 'mobile-app', redirectUri: 'com.example.app:/oauth2redirect' }
/** Another application's app, whose tokens Tessera must not accept. */
export const STRANGER_CLIENT = { id: 'someone-elses-app', redirectUri: 'com.example.other:/oauth2redirect' }

/** A real OpenID Connect provider (oidc-provider) on a random loopback port. */
export interface TestProvider {
  issuer: string
  /** Accounts by login (= `sub`); tests may add people. */
  accounts: Map<string, TestAccount>
  /** Stops answering (connections refused), to play a provider that is down. */
  close(): Promise<void>
}

export interface TestProviderOptions {
  /** Tessera's callback URL(s), registered for the web client. */
  webRedirectUris: string[]
  /**
   * Put the e-mail claims in the ID token (as Google does), rather than only behind the userinfo
   * endpoint (oidc-provider's default, allowed by OIDC Core 5.4). @default true
   */
  claimsInIdToken?: boolean
  /** @default a free port the OS picks */
  port?: number
}

/** The test accounts: one verified address, one the provider never verified, one with no address. */
export function testAccounts(): Map<string, TestAccount> {
  return new Map([
    ['ada', { email: 'ada@example.com', emailVerified: true }],
    ['mallory', { email: 'mallory@example.com', emailVerified: false }],
    ['nomail', { email: null, emailVerified: false }],
  ])
}

/**
 * Starts oidc-provider on 127.0.0.1 with Tessera's web client, an app client, a stranger's client,
 * and its development interactions (a login form taking any password, then a consent form), which
 * tests fill in as a browser would. Its own warnings about development-only defaults are silenced.
 */
export async function startTestProvider(options: TestProviderOptions): Promise<TestProvider> {
  const server: Server = createServer()
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const accounts = testAccounts()
  const { privateKey } = await generateKeyPair('RS256', { extractable: true })
  const configuration = {
    clients: [
      {
        client_id: WEB_CLIENT.id,
        client_secret: WEB_CLIENT.secret,
        redirect_uris: options.webRedirectUris,
        token_endpoint_auth_method: 'client_secret_post',
      },
      ...[APP_CLIENT, STRANGER_CLIENT].map((client) => ({
        client_id: client.id,
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        redirect_uris: [client.redirectUri],
      })),
    ],
    findAccount: async (_ctx: unknown, id: string) => {
      const account = accounts.get(id)
      if (!account) return undefined
      return {
        accountId: id,
        claims: async () => ({ sub: id, ...(account.email === null ? {} : { email: account.email, email_verified: account.emailVerified }) }),
      }
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    conformIdTokenClaims: options.claimsInIdToken === false,
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' }] },
    cookies: { keys: ['test-provider-cookie-key'] },
    pkce: { required: () => true },
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 600, Grant: 600 },
    features: { devInteractions: { enabled: true } },
  }
  // oidc-provider warns about Node 20 when imported and about its development defaults when built.
  const warn = console.warn
  console.warn = () => {}
  let provider
  try {
    const { default: Provider } = await import('oidc-provider')
    provider = new Provider(issuer, configuration)
  } finally {
    console.warn = warn
  }
  server.on('request', provider.callback())
  return {
    issuer,
    accounts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
