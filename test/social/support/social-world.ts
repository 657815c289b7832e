import { expect } from 'vitest'
import { freePort } from '../../support/child-server.js'
import { makeServer, type TestEnv, type TestServer } from '../../support/server.js'
import type { TestBrowser } from './browser.js'
import { startTestProvider, WEB_CLIENT, type TestProvider, type TestProviderOptions } from './test-provider.js'

/** Where the test app lives: allowed in SOCIAL_REDIRECT_ALLOWLIST, and never actually requested. */
export const APP_NEXT = 'http://app.test/signed-in'
/** The provider's id in OIDC_PROVIDERS, and its display name. */
export const PROVIDER_ID = 'test'
export const PROVIDER_NAME = 'Test ID'

/** A test provider and a Tessera server that knows it, listening on a real loopback port. */
export interface SocialWorld {
  provider: TestProvider
  server: TestServer
  /** Tessera's base URL (its PUBLIC_URL). */
  base: string
  /** Tessera's callback for the test provider. */
  callback: string
  dispose(): Promise<void>
}

/**
 * Starts the provider, then Tessera configured for it (and for `env`), listening where its
 * PUBLIC_URL says, since the provider redirects real browsers there.
 */
export async function startSocialWorld(
  env: TestEnv = {},
  providerOptions: Partial<TestProviderOptions> = {},
): Promise<SocialWorld> {
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const callback = `${base}/auth/social/${PROVIDER_ID}/callback`
  const provider = await startTestProvider({ webRedirectUris: [callback], ...providerOptions })
  let server: TestServer
  try {
    server = await makeServer({
      PUBLIC_URL: base,
      OIDC_PROVIDERS: JSON.stringify([
        { id: PROVIDER_ID, name: PROVIDER_NAME, issuer: provider.issuer, clientId: WEB_CLIENT.id, clientSecret: WEB_CLIENT.secret, mobileClientIds: ['mobile-app'] },
      ]),
      SOCIAL_REDIRECT_ALLOWLIST: `${APP_NEXT}, com.example.app:/signed-in`,
      ...env,
    })
    await server.app.listen({ host: '127.0.0.1', port })
  } catch (error) {
    await provider.close()
    throw error
  }
  return {
    provider,
    server,
    base,
    callback,
    async dispose() {
      await server.dispose()
      await provider.close()
    },
  }
}

/** The start URL of a browser sign-in returning to `next`, with any further query parameters. */
export function startUrl(world: SocialWorld, next = APP_NEXT, extra: Record<string, string> = {}): URL {
  const url = new URL(`${world.base}/auth/social/${PROVIDER_ID}/start`)
  url.searchParams.set('next', next)
  for (const [key, value] of Object.entries(extra)) url.searchParams.set(key, value)
  return url
}

/**
 * Starts a browser flow and walks it through the provider (login as `login`, consent) up to the
 * provider's redirect to Tessera's callback, which is returned unrequested.
 */
export async function walkToCallback(world: SocialWorld, browser: TestBrowser, login: string, start = startUrl(world)): Promise<URL> {
  const started = await browser.get(start)
  expect(started.status, await started.clone().text()).toBe(302)
  const { stoppedAt, hops } = await browser.walk(new URL(started.headers.get('location')!), (url) => url.href.startsWith(world.callback), login)
  if (!stoppedAt) throw new Error(`the provider did not redirect to the callback: ${hops.map((hop) => `${hop.response.status} ${hop.url.href}`).join(' → ')}`)
  return stoppedAt
}

/** Requests the callback and expects the redirect to the app; returns the app URL it redirects to. */
export async function completeCallback(browser: TestBrowser, callback: URL): Promise<URL> {
  const response = await browser.get(callback)
  expect(response.status, await response.clone().text()).toBe(302)
  return new URL(response.headers.get('location')!)
}

/** A full browser sign-in as `login`: the sign-in code the app receives. */
export async function browserSignIn(world: SocialWorld, browser: TestBrowser, login: string, start = startUrl(world)): Promise<string> {
  const landed = await completeCallback(browser, await walkToCallback(world, browser, login, start))
  const code = landed.searchParams.get('code')
  if (!code) throw new Error(`no code in the redirect to the app: ${landed.href}`)
  return code
}

/** POST /auth/social/exchange as the app does (over HTTP, from the app's origin: no cookies). */
export async function exchange(world: SocialWorld, body: Record<string, unknown>): Promise<Response> {
  return fetch(`${world.base}/auth/social/exchange`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
}

/** Asserts a problem+json answer with `status` and `code` from fetch; returns its body. */
export async function expectFetchProblem(response: Response, status: number, code: string): Promise<{ detail: string; errors?: Record<string, string[]> }> {
  const text = await response.text()
  expect(response.status, text).toBe(status)
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/)
  const body = JSON.parse(text) as { code: string; detail: string; errors?: Record<string, string[]> }
  expect(body.code).toBe(code)
  return body
}
