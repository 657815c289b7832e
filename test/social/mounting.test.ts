import { afterAll, describe, expect, it } from 'vitest'
import { freePort } from '../support/child-server.js'
import { expectProblem, makeServer, type TestServer } from '../support/server.js'
import { TestBrowser } from './support/browser.js'
import { APP_NEXT, expectFetchProblem } from './support/social-world.js'
import { startTestProvider, WEB_CLIENT, type TestProvider } from './support/test-provider.js'

const servers: TestServer[] = []
const providers: TestProvider[] = []
afterAll(async () => {
  for (const server of servers) await server.dispose()
  for (const provider of providers) await provider.close()
})

describe('mounting', () => {
  it('mounts no social route without OIDC_PROVIDERS', async () => {
    const server = await makeServer({ SOCIAL_REDIRECT_ALLOWLIST: APP_NEXT })
    servers.push(server)
    for (const url of ['/auth/social/providers', `/auth/social/google/start?next=${encodeURIComponent(APP_NEXT)}`, '/auth/social/identities']) {
      expectProblem(await server.app.inject({ method: 'GET', url }), 404, 'not_found')
    }
  })

  it('says what to set when no return address is allowed', async () => {
    const server = await makeServer({ OIDC_PROVIDERS: JSON.stringify([{ id: 'sso', issuer: 'http://127.0.0.1:9', clientId: 'c' }]) })
    servers.push(server)
    const response = await server.app.inject({ method: 'GET', url: `/auth/social/sso/start?next=${encodeURIComponent(APP_NEXT)}` })
    expect(expectProblem(response, 400, 'validation_failed').errors).toEqual({ next: ['No address is allowed: set SOCIAL_REDIRECT_ALLOWLIST on the server.'] })
  })

  it('starts with a provider that is down, answers 502 meanwhile, and uses it once it is up, without a restart', async () => {
    const providerPort = await freePort()
    const port = await freePort()
    const base = `http://127.0.0.1:${port}`
    const server = await makeServer({
      PUBLIC_URL: base,
      OIDC_PROVIDERS: JSON.stringify([{ id: 'late', issuer: `http://127.0.0.1:${providerPort}`, clientId: WEB_CLIENT.id, clientSecret: WEB_CLIENT.secret }]),
      SOCIAL_REDIRECT_ALLOWLIST: APP_NEXT,
    })
    servers.push(server)
    await server.app.listen({ host: '127.0.0.1', port })
    expect((await fetch(`${base}/healthz`)).status).toBe(200)
    const start = `${base}/auth/social/late/start?next=${encodeURIComponent(APP_NEXT)}`
    await expectFetchProblem(await new TestBrowser().get(start), 502, 'provider_unavailable')

    providers.push(await startTestProvider({ webRedirectUris: [`${base}/auth/social/late/callback`], port: providerPort }))
    const started = await new TestBrowser().get(start)
    expect(started.status).toBe(302)
    expect(started.headers.get('location')).toMatch(new RegExp(`^http://127.0.0.1:${providerPort}/auth\\?`))
  })
})
