import { createHash, randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../support/child-server.js'
import { makeServer, register, type TestServer } from '../support/server.js'
import { TestBrowser } from './support/browser.js'
import { FAKE_GITHUB_CLIENT, startFakeGithub, type FakeGithub } from './support/fake-github.js'
import { APP_NEXT, expectFetchProblem } from './support/social-world.js'

/*
 * The GitHub preset (plain OAuth 2, then its REST API) cannot be tested against github.com here:
 * these machines have no network. Its endpoints are configurable, so this points them at a local
 * fake of GitHub's authorize page, token endpoint, /user and /user/emails (support/fake-github.ts).
 */

let github: FakeGithub
let server: TestServer
let base: string

beforeAll(async () => {
  github = await startFakeGithub()
  const port = await freePort()
  base = `http://127.0.0.1:${port}`
  server = await makeServer({
    PUBLIC_URL: base,
    OIDC_PROVIDERS: JSON.stringify([
      {
        id: 'github',
        preset: 'github',
        clientId: FAKE_GITHUB_CLIENT.id,
        clientSecret: FAKE_GITHUB_CLIENT.secret,
        authorizationUrl: `${github.base}/login/oauth/authorize`,
        tokenUrl: `${github.base}/login/oauth/access_token`,
        apiUrl: `${github.base}/api`,
      },
    ]),
    SOCIAL_REDIRECT_ALLOWLIST: APP_NEXT,
  })
  await server.app.listen({ host: '127.0.0.1', port })
})
afterAll(async () => {
  await server?.dispose()
  await github?.close()
})

const callback = () => `${base}/auth/social/github/callback`

/** A browser sign-in with GitHub as `login`, up to the callback URL GitHub redirects to (unrequested). */
async function toCallback(browser: TestBrowser, login: string): Promise<URL> {
  github.signedIn = login
  const start = new URL(`${base}/auth/social/github/start`)
  start.searchParams.set('next', APP_NEXT)
  const started = await browser.get(start)
  expect(started.status, await started.clone().text()).toBe(302)
  const { stoppedAt } = await browser.walk(new URL(started.headers.get('location')!), (url) => url.href.startsWith(callback()))
  return stoppedAt!
}

/** A whole browser sign-in with GitHub as `login`, exchanged for a session. */
async function signIn(login: string): Promise<{ user: { id: number; email: string; emailVerified: boolean; username: string } }> {
  const browser = new TestBrowser()
  const landed = await browser.get(await toCallback(browser, login))
  expect(landed.status, await landed.clone().text()).toBe(302)
  const code = new URL(landed.headers.get('location')!).searchParams.get('code')
  const response = await fetch(`${base}/auth/social/exchange`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) })
  expect(response.status).toBe(200)
  return (await response.json()) as { user: { id: number; email: string; emailVerified: boolean; username: string } }
}

describe('GitHub (plain OAuth 2 and its REST API, against a local fake)', () => {
  it('signs in with the verified primary address and the numeric id, never the login', async () => {
    const browser = new TestBrowser()
    github.signedIn = 'octocat'
    const start = new URL(`${base}/auth/social/github/start`)
    start.searchParams.set('next', APP_NEXT)
    const authorize = new URL((await browser.get(start)).headers.get('location')!)
    expect(authorize.origin + authorize.pathname).toBe(`${github.base}/login/oauth/authorize`)
    expect(authorize.searchParams.get('scope')).toBe('read:user user:email')
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256')
    // No ID token, so no nonce.
    expect(authorize.searchParams.has('nonce')).toBe(false)

    const { user } = await signIn('octocat')
    expect(user).toMatchObject({ email: 'octocat@example.com', emailVerified: true, username: 'octocat' })
    expect(await server.tessera.store.findSocialIdentity('github', '583231')).toMatchObject({ userId: user.id })
    const requests = github.apiRequests.filter((request) => request.path === '/api/user')
    expect(requests.at(-1)?.authorization).toMatch(/^Bearer gho_/)
    expect(requests.at(-1)?.userAgent).toBe('tessera')
    expect((await signIn('octocat')).user.id).toBe(user.id)
  })

  it("refuses GitHub's answer to a replayed code (a 200 with an error), with the captured flow cookie", async () => {
    const browser = new TestBrowser()
    const url = await toCallback(browser, 'octocat')
    const sealed = browser.cookieFor(url, 'tessera_social_flow')!
    expect((await browser.get(url)).status).toBe(302)
    browser.setCookie(url, 'tessera_social_flow', sealed, '/auth/social/github/callback')
    const body = await expectFetchProblem(await browser.get(url), 400, 'social_login_failed')
    expect(body.detail).toMatch(/refused the authorization code: bad_verification_code/)
  })

  it('creates an unverified account from an unverified address, and will not join a verified one with it', async () => {
    const { user } = await signIn('unverified')
    expect(user).toMatchObject({ email: 'unverified@example.com', emailVerified: false })

    github.users.set('claimant', { id: 79, login: 'claimant', email: null, emails: [{ email: 'owner@example.com', primary: true, verified: false }] })
    const owner = await register(server, { email: 'owner@example.com', username: 'owner' })
    await server.tessera.store.updateUser(owner.userId, { emailVerified: true })
    const browser = new TestBrowser()
    await expectFetchProblem(await browser.get(await toCallback(browser, 'claimant')), 409, 'social_account_conflict')
  })

  it('falls back to the public address, unverified, when GitHub refuses /user/emails', async () => {
    const { user } = await signIn('private')
    expect(user).toMatchObject({ email: 'private-public@example.com', emailVerified: false })
  })

  it('answers 502 when the REST API is down', async () => {
    github.apiDown = true
    try {
      const browser = new TestBrowser()
      await expectFetchProblem(await browser.get(await toCallback(browser, 'octocat')), 502, 'provider_unavailable')
    } finally {
      github.apiDown = false
    }
  })

  it('signs in a native app that sends its code and PKCE verifier; refuses an ID token', async () => {
    github.signedIn = 'octocat'
    const verifier = randomBytes(32).toString('base64url')
    const redirectUri = 'com.example.app:/github'
    const authorize = new URL(`${github.base}/login/oauth/authorize`)
    authorize.search = new URLSearchParams({
      client_id: FAKE_GITHUB_CLIENT.id,
      redirect_uri: redirectUri,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString()
    const code = new URL((await fetch(authorize, { redirect: 'manual' })).headers.get('location')!).searchParams.get('code')
    const post = (body: unknown) =>
      fetch(`${base}/auth/social/github/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    const response = await post({ code, codeVerifier: verifier, redirectUri })
    expect(response.status, await response.clone().text()).toBe(200)
    expect(((await response.json()) as { user: { email: string } }).user.email).toBe('octocat@example.com')
    const body = await expectFetchProblem(await post({ idToken: 'a.b.c' }), 400, 'social_login_failed')
    expect(body.detail).toMatch(/issues no ID tokens/)
  })
})
