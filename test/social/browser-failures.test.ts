import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { register } from '../support/server.js'
import { TestBrowser } from './support/browser.js'
import {
  APP_NEXT,
  browserSignIn,
  exchange,
  expectFetchProblem,
  PROVIDER_ID,
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

/** How many users the server has: a failed sign-in must create none. */
async function userCount(): Promise<number> {
  return (await world.server.tessera.store.listUsers({ limit: 1000 })).length
}

/** `url` with its query parameter `name` set to `value`. */
function withParam(url: URL, name: string, value: string): URL {
  const changed = new URL(url)
  changed.searchParams.set(name, value)
  return changed
}

describe('the start of a browser flow', () => {
  it('answers 404 for a provider that is not configured, on every route', async () => {
    for (const path of ['/auth/social/nope/start?next=' + encodeURIComponent(APP_NEXT), '/auth/social/nope/callback?code=x&state=y']) {
      await expectFetchProblem(await fetch(world.base + path, { redirect: 'manual' }), 404, 'not_found')
    }
    const token = await fetch(`${world.base}/auth/social/nope/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"idToken":"x"}' })
    await expectFetchProblem(token, 404, 'not_found')
  })

  it.each([
    ['another site', 'https://evil.example/steal'],
    ['a look-alike host', 'http://app.test.evil.example/signed-in'],
    ['another path of an exact entry', 'com.example.app:/elsewhere'],
    ['a relative address', '/signed-in'],
    ['a script', 'javascript:alert(document.cookie)'],
  ])('refuses a next that is %s, before anything else happens', async (_, next) => {
    const browser = new TestBrowser()
    const response = await browser.get(startUrl(world, next))
    const body = await expectFetchProblem(response, 400, 'validation_failed')
    expect(body.errors?.next).toEqual(['Not an address in SOCIAL_REDIRECT_ALLOWLIST.'])
    expect(response.headers.get('location')).toBeNull()
    expect(response.headers.get('set-cookie')).toBeNull()
  })

  it('refuses a start without next, with unknown parameters, or with a malformed challenge', async () => {
    const base = `${world.base}/auth/social/${PROVIDER_ID}/start`
    const next = encodeURIComponent(APP_NEXT)
    for (const query of ['', `?next=${next}&prompt=none`, `?next=${next}&code_challenge=short`, `?next=${next}&code_challenge_method=plain`]) {
      await expectFetchProblem(await fetch(base + query, { redirect: 'manual' }), 400, 'validation_failed')
    }
  })
})

describe('the callback', () => {
  it('refuses an answer whose state is not the one this browser sent, and spends the flow', async () => {
    const browser = new TestBrowser()
    const users = await userCount()
    const callback = await walkToCallback(world, browser, 'ada')
    const body = await expectFetchProblem(await browser.get(withParam(callback, 'state', 'someone-elses-state')), 400, 'social_login_failed')
    expect(body.detail).toMatch(/state does not match/)
    // The genuine answer, after a forged one, finds no flow to complete: one answer per start.
    await expectFetchProblem(await browser.get(callback), 400, 'social_login_failed')
    expect(await userCount()).toBe(users)
  })

  it('refuses an answer brought to a browser that did not start the flow (login CSRF)', async () => {
    const callback = await walkToCallback(world, new TestBrowser(), 'ada')
    const victim = new TestBrowser()
    const body = await expectFetchProblem(await victim.get(callback), 400, 'social_login_failed')
    expect(body.detail).toMatch(/another browser/)
  })

  it('refuses a forged flow cookie', async () => {
    const browser = new TestBrowser()
    const callback = await walkToCallback(world, browser, 'ada')
    const sealed = browser.cookieFor(callback, 'tessera_social_flow')!
    const flipped = sealed.slice(0, 20) + (sealed[20] === 'A' ? 'B' : 'A') + sealed.slice(21)
    browser.setCookie(callback, 'tessera_social_flow', flipped, `/auth/social/${PROVIDER_ID}/callback`)
    await expectFetchProblem(await browser.get(callback), 400, 'social_login_failed')
  })

  it('refuses a replayed code, even with the flow cookie captured and sent again', async () => {
    const browser = new TestBrowser()
    const callback = await walkToCallback(world, browser, 'ada')
    const sealed = browser.cookieFor(callback, 'tessera_social_flow')!
    expect((await browser.get(callback)).status).toBe(302)
    // Replayed as is: the flow was spent by the first answer.
    await expectFetchProblem(await browser.get(callback), 400, 'social_login_failed')
    // Replayed with the captured cookie: the provider refuses a code it has already redeemed.
    browser.setCookie(callback, 'tessera_social_flow', sealed, `/auth/social/${PROVIDER_ID}/callback`)
    const body = await expectFetchProblem(await browser.get(callback), 400, 'social_login_failed')
    expect(body.detail).toMatch(/refused the authorization code: invalid_grant/)
  })

  it('refuses an ID token whose nonce is not the one this flow sent', async () => {
    const browser = new TestBrowser()
    const users = await userCount()
    const started = await browser.get(startUrl(world))
    const authorization = withParam(new URL(started.headers.get('location')!), 'nonce', 'a-nonce-of-another-sign-in-0123456789')
    const { stoppedAt } = await browser.walk(authorization, (url) => url.href.startsWith(world.callback), 'ada')
    const body = await expectFetchProblem(await browser.get(stoppedAt!), 400, 'social_login_failed')
    expect(body.detail).toMatch(/nonce/)
    expect(await userCount()).toBe(users)
  })

  it('refuses a code issued for another PKCE challenge', async () => {
    const browser = new TestBrowser()
    const started = await browser.get(startUrl(world))
    const authorization = withParam(new URL(started.headers.get('location')!), 'code_challenge', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM')
    const { stoppedAt } = await browser.walk(authorization, (url) => url.href.startsWith(world.callback), 'ada')
    const body = await expectFetchProblem(await browser.get(stoppedAt!), 400, 'social_login_failed')
    expect(body.detail).toMatch(/invalid_grant/)
  })

  it('says so when the person cancels at the provider', async () => {
    const browser = new TestBrowser()
    const started = await browser.get(startUrl(world))
    let response = await browser.get(new URL(started.headers.get('location')!))
    let at = new URL(started.headers.get('location')!)
    while (response.status >= 300 && response.status < 400) {
      at = new URL(response.headers.get('location')!, at)
      response = await browser.get(at)
    }
    const abort = /href="([^"]+\/abort)"/.exec(await response.text())![1]!
    const { stoppedAt } = await browser.walk(new URL(abort, at), (url) => url.href.startsWith(world.callback))
    expect(stoppedAt?.searchParams.get('error')).toBe('access_denied')
    const body = await expectFetchProblem(await browser.get(stoppedAt!), 400, 'social_login_failed')
    expect(body.detail).toMatch(/did not sign you in: access_denied/)
  })

  it('refuses to join an account by an e-mail the provider has not verified (account takeover), with a clear message', async () => {
    const owner = await register(world.server, { email: 'mallory@example.com', username: 'real-owner' })
    await world.server.tessera.store.updateUser(owner.userId, { emailVerified: true })
    const browser = new TestBrowser()
    const response = await browser.get(await walkToCallback(world, browser, 'mallory'))
    const body = await expectFetchProblem(response, 409, 'social_account_conflict')
    expect(body.detail).toBe(
      'An account with the e-mail address mallory@example.com already exists, and test does not confirm that this ' +
        'address is verified, so signing in with test cannot be joined to that account automatically. Sign in to ' +
        'the account with its password, then link test from your account.',
    )
    expect(response.headers.get('location')).toBeNull()
    expect(await world.server.tessera.listSocialIdentities(owner.userId)).toEqual([])
  })

  it('refuses to join an account that never verified its e-mail (pre-hijacking), though the provider did', async () => {
    world.provider.accounts.set('victim', { email: 'victim@example.com', emailVerified: true })
    const squatter = await register(world.server, { email: 'victim@example.com', username: 'squatter' })
    const browser = new TestBrowser()
    const body = await expectFetchProblem(await browser.get(await walkToCallback(world, browser, 'victim')), 409, 'social_account_conflict')
    expect(body.detail).toMatch(/has not been verified yet/)
    expect(await world.server.tessera.listSocialIdentities(squatter.userId)).toEqual([])
  })

  it('refuses a first sign-in without an e-mail', async () => {
    const browser = new TestBrowser()
    const body = await expectFetchProblem(await browser.get(await walkToCallback(world, browser, 'nomail')), 400, 'social_login_failed')
    expect(body.detail).toMatch(/did not share an e-mail address/)
  })

  it('refuses a deactivated user', async () => {
    world.provider.accounts.set('gone', { email: 'gone@example.com', emailVerified: true })
    const code = await browserSignIn(world, new TestBrowser(), 'gone')
    const { user } = (await (await exchange(world, { code })).json()) as { user: { id: number } }
    await world.server.tessera.setUserActive(user.id, false)
    const browser = new TestBrowser()
    await expectFetchProblem(await browser.get(await walkToCallback(world, browser, 'gone')), 403, 'permission_denied')
  })
})

describe('the exchange', () => {
  it.each([
    ['an unknown code', { code: 'tsrx_' + 'A'.repeat(43) }, 400, 'social_login_failed'],
    ['a session token', { code: 'tsr_' + 'A'.repeat(43) }, 400, 'social_login_failed'],
    ['no code', {}, 400, 'validation_failed'],
    ['a code that is not a string', { code: 42 }, 400, 'validation_failed'],
    ['an unknown field', { code: 'tsrx_x', device: 'x' }, 400, 'validation_failed'],
    ['a verifier too short', { code: 'tsrx_x', codeVerifier: 'short' }, 400, 'validation_failed'],
  ])('refuses %s', async (_, body, status, code) => {
    await expectFetchProblem(await exchange(world, body), status, code)
  })

  it('refuses a body that is not JSON', async () => {
    const response = await fetch(`${world.base}/auth/social/exchange`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"code":' })
    await expectFetchProblem(response, 400, 'validation_failed')
  })
})

describe('a provider that is down', () => {
  it('answers 502 at the start when discovery fails, and the server keeps serving', async () => {
    const down = await startSocialWorld()
    try {
      await down.provider.close()
      const browser = new TestBrowser()
      const response = await browser.get(startUrl(down))
      const body = await expectFetchProblem(response, 502, 'provider_unavailable')
      expect(body.detail).toBe('Test ID could not be reached, or answered unexpectedly. Try again later.')
      expect(response.headers.get('set-cookie')).toBeNull()
      const token = await fetch(`${down.base}/auth/social/${PROVIDER_ID}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ idToken: 'x.y.z' }),
      })
      await expectFetchProblem(token, 502, 'provider_unavailable')
      expect((await fetch(`${down.base}/healthz`)).status).toBe(200)
    } finally {
      await down.dispose()
    }
  })

  it('answers 502 at the callback when the token endpoint cannot be reached', async () => {
    const flaky = await startSocialWorld()
    try {
      const browser = new TestBrowser()
      const callback = await walkToCallback(flaky, browser, 'ada')
      await flaky.provider.close()
      await expectFetchProblem(await browser.get(callback), 502, 'provider_unavailable')
    } finally {
      await flaky.dispose()
    }
  })
})
