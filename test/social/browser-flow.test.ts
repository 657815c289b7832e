import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { s256Challenge } from '../../src/core/tokens.js'
import { bearer, register } from '../support/server.js'
import { TestBrowser } from './support/browser.js'
import {
  APP_NEXT,
  browserSignIn,
  completeCallback,
  exchange,
  expectFetchProblem,
  PROVIDER_ID,
  PROVIDER_NAME,
  startSocialWorld,
  startUrl,
  walkToCallback,
  type SocialWorld,
} from './support/social-world.js'

let world: SocialWorld

beforeAll(async () => {
  world = await startSocialWorld()
})
afterAll(async () => {
  await world?.dispose()
})

/** POST /auth/social/:provider/link/confirm as the app does, with the user's token. */
async function confirmLink(linkResult: string, token: string | undefined): Promise<Response> {
  return fetch(`${world.base}/auth/social/${PROVIDER_ID}/link/confirm`, {
    method: 'POST',
    headers: { ...(token ? bearer(token) : {}), 'content-type': 'application/json' },
    body: JSON.stringify({ linkResult }),
  })
}

/** GET `path` on Tessera with a token. */
async function authed(path: string, token: string): Promise<Response> {
  return fetch(world.base + path, { headers: bearer(token) })
}

describe('browser flow against a real OpenID Connect provider', () => {
  it('signs a new person in: provider login and consent, a code on the redirect, a session from the exchange', async () => {
    const browser = new TestBrowser()
    const started = await browser.get(startUrl(world))
    expect(started.status).toBe(302)
    const authorization = new URL(started.headers.get('location')!)
    expect(authorization.origin).toBe(world.provider.issuer)
    expect(authorization.searchParams.get('code_challenge_method')).toBe('S256')
    expect(authorization.searchParams.get('redirect_uri')).toBe(world.callback)
    for (const param of ['state', 'nonce', 'code_challenge']) expect(authorization.searchParams.get(param)).toMatch(/^[\w-]{22,}$/)
    // The flow is bound to this browser by a sealed cookie, sent back only to the callback.
    const setCookie = started.headers.get('set-cookie') ?? ''
    expect(setCookie).toMatch(/^tessera_social_flow=[\w-]+;/)
    expect(setCookie).toMatch(/Max-Age=600/)
    expect(setCookie).toMatch(new RegExp(`Path=/auth/social/${PROVIDER_ID}/callback`))
    expect(setCookie).toMatch(/HttpOnly/)
    expect(setCookie).toMatch(/SameSite=Lax/)
    expect(setCookie).not.toMatch(new RegExp(authorization.searchParams.get('state')!))

    const { stoppedAt } = await browser.walk(authorization, (url) => url.href.startsWith(world.callback), 'ada')
    expect(stoppedAt?.searchParams.get('state')).toBe(authorization.searchParams.get('state'))
    const callback = await browser.get(stoppedAt!)
    expect(callback.status, await callback.clone().text()).toBe(302)
    expect(callback.headers.get('referrer-policy')).toBe('no-referrer')
    expect(callback.headers.get('cache-control')).toBe('no-store')
    // The flow cookie is spent with the callback.
    expect(callback.headers.get('set-cookie')).toMatch(/tessera_social_flow=;.*Expires=Thu, 01 Jan 1970/)
    expect(browser.cookieFor(world.callback, 'tessera_social_flow')).toBeUndefined()
    const landed = new URL(callback.headers.get('location')!)
    expect(landed.origin + landed.pathname).toBe(APP_NEXT)
    // Only a short-lived code travels in the URL; the token never does.
    expect([...landed.searchParams.keys()]).toEqual(['code'])
    expect(landed.searchParams.get('code')).toMatch(/^tsrx_[\w-]{43}$/)

    const exchanged = await exchange(world, { code: landed.searchParams.get('code') })
    expect(exchanged.status).toBe(200)
    const body = (await exchanged.json()) as { token: string; user: { email: string; emailVerified: boolean; username: string }; session: { device: string } }
    expect(body.user).toMatchObject({ email: 'ada@example.com', emailVerified: true, username: 'ada' })
    expect(body.session.device).toBe(`${PROVIDER_NAME} sign-in · ${browser.userAgent}`)
    expect(body.token).toMatch(/^tsr_/)
    const me = await authed('/auth/user', body.token)
    expect(me.status).toBe(200)
    const identities = (await (await authed('/auth/social/identities', body.token)).json()) as { identities: unknown[] }
    expect(identities.identities).toEqual([
      { id: expect.any(Number), provider: PROVIDER_ID, email: 'ada@example.com', emailVerified: true, createdAt: expect.any(String), lastUsedAt: expect.any(String) },
    ])
    // The code works once.
    await expectFetchProblem(await exchange(world, { code: landed.searchParams.get('code') }), 400, 'social_login_failed')
  })

  it('signs the same person in again as the same user, in another browser', async () => {
    const first = (await (await exchange(world, { code: await browserSignIn(world, new TestBrowser(), 'ada') })).json()) as { user: { id: number } }
    const again = (await (await exchange(world, { code: await browserSignIn(world, new TestBrowser('Phone/2.0'), 'ada') })).json()) as {
      user: { id: number }
      session: { device: string }
    }
    expect(again.user.id).toBe(first.user.id)
    expect(again.session.device).toBe(`${PROVIDER_NAME} sign-in · Phone/2.0`)
  })

  it("binds the code to the app's own PKCE challenge when the app sends one", async () => {
    const verifier = 'app-side-verifier-kept-in-session-storage-0123456789'
    const start = startUrl(world, APP_NEXT, { code_challenge: s256Challenge(verifier), code_challenge_method: 'S256' })
    const code = await browserSignIn(world, new TestBrowser(), 'ada', start)
    await expectFetchProblem(await exchange(world, { code, codeVerifier: 'x'.repeat(43) }), 400, 'social_login_failed')
    const again = await browserSignIn(world, new TestBrowser(), 'ada', start)
    expect((await exchange(world, { code: again, codeVerifier: verifier })).status).toBe(200)
  })

  it("joins the account with the same e-mail when both Tessera and the provider have verified it; the password still works", async () => {
    world.provider.accounts.set('grace', { email: 'Grace@Example.com', emailVerified: true })
    const grace = await register(world.server, { email: 'grace@example.com', username: 'grace' })
    await world.server.tessera.store.updateUser(grace.userId, { emailVerified: true })
    const signedIn = (await (await exchange(world, { code: await browserSignIn(world, new TestBrowser(), 'grace') })).json()) as { user: { id: number } }
    expect(signedIn.user.id).toBe(grace.userId)
    const login = await world.server.app.inject({ method: 'POST', url: '/auth/login', payload: { email: grace.email, password: grace.password } })
    expect(login.statusCode).toBe(200)
  })

  it('links the provider to a signed-in account through the browser, then signs in with it', async () => {
    world.provider.accounts.set('linus', { email: 'linus-at-provider@example.org', emailVerified: false })
    const linus = await register(world.server, { email: 'linus@example.com', username: 'linus' })
    const link = await fetch(`${world.base}/auth/social/${PROVIDER_ID}/link/start`, {
      method: 'POST',
      headers: { ...bearer(linus.token), 'content-type': 'application/json' },
      body: JSON.stringify({ next: `${APP_NEXT}?tab=accounts` }),
    })
    expect(link.status).toBe(200)
    const { url } = (await link.json()) as { url: string }
    expect(url).toMatch(new RegExp(`^${world.base}/auth/social/${PROVIDER_ID}/start\\?`))
    const browser = new TestBrowser()
    const landed = await completeCallback(browser, await walkToCallback(world, browser, 'linus', new URL(url)))
    expect(landed.origin + landed.pathname).toBe(APP_NEXT)
    expect(landed.searchParams.get('tab')).toBe('accounts')
    const linkResult = landed.searchParams.get('link_result')!
    const identities = async () => ((await (await authed('/auth/social/identities', linus.token)).json()) as { identities: Array<{ email: string }> }).identities
    // Nothing is linked until the app confirms with Linus's own token.
    expect(await identities()).toEqual([])
    const confirmed = await confirmLink(linkResult, linus.token)
    expect(confirmed.status, await confirmed.clone().text()).toBe(201)
    expect(((await confirmed.json()) as { identity: { email: string } }).identity.email).toBe('linus-at-provider@example.org')
    expect((await identities()).map((identity) => identity.email)).toEqual(['linus-at-provider@example.org'])
    // The link code was spent by the browser that used it.
    expect((await new TestBrowser().get(new URL(url))).status).toBe(400)
    const signedIn = (await (await exchange(world, { code: await browserSignIn(world, new TestBrowser(), 'linus') })).json()) as { user: { id: number } }
    expect(signedIn.user.id).toBe(linus.userId)
  })

  it("links nothing when someone sends a victim the link URL of their own account (account-linking CSRF)", async () => {
    world.provider.accounts.set('victim', { email: 'victim@example.net', emailVerified: true })
    const attacker = await register(world.server, { email: 'attacker@example.com', username: 'attacker' })
    const victim = await register(world.server, { email: 'victim@example.net', username: 'victim' })
    const link = await fetch(`${world.base}/auth/social/${PROVIDER_ID}/link/start`, {
      method: 'POST',
      headers: { ...bearer(attacker.token), 'content-type': 'application/json' },
      body: JSON.stringify({ next: APP_NEXT }),
    })
    const { url } = (await link.json()) as { url: string }
    // The victim's browser goes through the flow as the victim, and lands in the victim's app.
    const browser = new TestBrowser()
    const landed = await completeCallback(browser, await walkToCallback(world, browser, 'victim', new URL(url)))
    const confirmed = await confirmLink(landed.searchParams.get('link_result')!, victim.token)
    expect((await expectFetchProblem(confirmed, 403, 'permission_denied')).detail).toBe('This link was started by another account.')
    expect(await world.server.tessera.listSocialIdentities(attacker.userId)).toEqual([])
    expect(await world.server.tessera.listSocialIdentities(victim.userId)).toEqual([])
  })

  it('refuses a forged or foreign link result', async () => {
    const someone = await register(world.server)
    await expectFetchProblem(await confirmLink('A'.repeat(120), someone.token), 400, 'social_login_failed')
    await expectFetchProblem(await confirmLink('x', undefined), 401, 'not_authenticated')
  })

  it('lists the providers for an app to draw its buttons', async () => {
    const response = await fetch(`${world.base}/auth/social/providers`)
    expect(await response.json()).toEqual({
      providers: [{ id: PROVIDER_ID, name: PROVIDER_NAME, startUrl: `${world.base}/auth/social/${PROVIDER_ID}/start` }],
    })
  })
})

describe('browser flow against a provider that keeps the e-mail behind its userinfo endpoint', () => {
  let quiet: SocialWorld
  beforeAll(async () => {
    quiet = await startSocialWorld({}, { claimsInIdToken: false })
  })
  afterAll(async () => {
    await quiet?.dispose()
  })

  it('reads the e-mail and its verification from userinfo', async () => {
    const response = await exchange(quiet, { code: await browserSignIn(quiet, new TestBrowser(), 'ada') })
    expect(((await response.json()) as { user: unknown }).user).toMatchObject({ email: 'ada@example.com', emailVerified: true })
  })
})
