import { decodeJwt, generateKeyPair, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { register } from '../support/server.js'
import { appAuthorizes, appIdToken, postJson } from './support/native-app.js'
import { expectFetchProblem, PROVIDER_ID, PROVIDER_NAME, startSocialWorld, type SocialWorld } from './support/social-world.js'
import { APP_CLIENT, STRANGER_CLIENT, WEB_CLIENT } from './support/test-provider.js'

let world: SocialWorld
const tokenPath = `/auth/social/${PROVIDER_ID}/token`

beforeAll(async () => {
  world = await startSocialWorld()
})
afterAll(async () => {
  await world?.dispose()
})

interface SocialSignedIn {
  user: { id: number; email: string; emailVerified: boolean }
  token: string
  session: { device: string }
  created: boolean
}

describe('native flow: the app sends the ID token it obtained', () => {
  it('signs in with an ID token issued to the app, checked against the provider\'s keys, and its nonce', async () => {
    world.provider.accounts.set('nina', { email: 'nina@example.com', emailVerified: true })
    const authorization = await appAuthorizes(world, 'nina')
    const idToken = await appIdToken(world, authorization)
    expect(decodeJwt(idToken).aud).toBe(APP_CLIENT.id)
    const response = await postJson(world, tokenPath, { idToken, nonce: authorization.nonce })
    expect(response.status, await response.clone().text()).toBe(200)
    const body = (await response.json()) as SocialSignedIn
    expect(body.created).toBe(true)
    expect(body.user).toMatchObject({ email: 'nina@example.com', emailVerified: true })
    expect(body.session.device).toBe(`${PROVIDER_NAME} sign-in · ExampleApp/3.1 (iOS 18)`)
    expect((await fetch(`${world.base}/auth/user`, { headers: { authorization: `Token ${body.token}` } })).status).toBe(200)

    const again = (await (await postJson(world, tokenPath, { idToken, nonce: authorization.nonce, device: 'Nina\'s phone' })).json()) as SocialSignedIn
    expect(again).toMatchObject({ created: false, user: { id: body.user.id }, session: { device: 'Nina\'s phone' } })
  })

  it('accepts an ID token without a nonce when the app sent none', async () => {
    const authorization = await appAuthorizes(world, 'ada', { nonce: null })
    const response = await postJson(world, tokenPath, { idToken: await appIdToken(world, authorization) })
    expect(response.status, await response.clone().text()).toBe(200)
  })

  it('refuses an ID token whose nonce was not sent, or is another', async () => {
    const authorization = await appAuthorizes(world, 'ada')
    const idToken = await appIdToken(world, authorization)
    expect((await expectFetchProblem(await postJson(world, tokenPath, { idToken }), 400, 'social_login_failed')).detail).toMatch(/carries a nonce/)
    const other = await postJson(world, tokenPath, { idToken, nonce: 'not-the-nonce' })
    expect((await expectFetchProblem(other, 400, 'social_login_failed')).detail).toMatch(/nonce is not the one sent/)
  })

  it("refuses an ID token issued to another application (its aud is not one of Tessera's client ids)", async () => {
    const authorization = await appAuthorizes(world, 'ada', { client: STRANGER_CLIENT })
    const response = await postJson(world, tokenPath, { idToken: await appIdToken(world, authorization), nonce: authorization.nonce })
    expect((await expectFetchProblem(response, 400, 'social_login_failed')).detail).toMatch(/"aud" claim/)
  })

  it("refuses an ID token not signed by the provider, though its claims are right", async () => {
    const authorization = await appAuthorizes(world, 'ada')
    const genuine = decodeJwt(await appIdToken(world, authorization))
    const { privateKey } = await generateKeyPair('RS256')
    const forged = await new SignJWT({ ...genuine, sub: 'someone-else' }).setProtectedHeader({ alg: 'RS256', kid: 'test-key' }).sign(privateKey)
    const response = await postJson(world, tokenPath, { idToken: forged, nonce: authorization.nonce })
    expect((await expectFetchProblem(response, 400, 'social_login_failed')).detail).toMatch(/not signed by/)
  })

  it('refuses an ID token signed with HMAC by the client secret, and one that is not a JWT', async () => {
    const authorization = await appAuthorizes(world, 'ada')
    const genuine = decodeJwt(await appIdToken(world, authorization))
    const hmac = await new SignJWT({ ...genuine }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(WEB_CLIENT.secret))
    await expectFetchProblem(await postJson(world, tokenPath, { idToken: hmac, nonce: authorization.nonce }), 400, 'social_login_failed')
    await expectFetchProblem(await postJson(world, tokenPath, { idToken: 'not-a-jwt' }), 400, 'social_login_failed')
  })
})

describe('native flow: the app sends its code and PKCE verifier', () => {
  it('signs in with a code issued to the app\'s own client, redeemed by Tessera, once', async () => {
    const authorization = await appAuthorizes(world, 'ada')
    const body = { code: authorization.code, codeVerifier: authorization.codeVerifier, redirectUri: authorization.redirectUri, clientId: APP_CLIENT.id, nonce: authorization.nonce }
    const response = await postJson(world, tokenPath, body)
    expect(response.status, await response.clone().text()).toBe(200)
    expect(((await response.json()) as SocialSignedIn).user.email).toBe('ada@example.com')
    expect((await expectFetchProblem(await postJson(world, tokenPath, body), 400, 'social_login_failed')).detail).toMatch(/invalid_grant/)
  })

  it('refuses a wrong verifier, a wrong redirect URI, and a client id Tessera does not accept', async () => {
    const authorization = await appAuthorizes(world, 'ada')
    const body = { code: authorization.code, codeVerifier: authorization.codeVerifier, redirectUri: authorization.redirectUri, clientId: APP_CLIENT.id, nonce: authorization.nonce }
    const stranger = await postJson(world, tokenPath, { ...body, clientId: STRANGER_CLIENT.id })
    expect((await expectFetchProblem(stranger, 400, 'validation_failed')).errors).toEqual({ clientId: [`Not a client id of ${PROVIDER_NAME} that this server accepts.`] })
    await expectFetchProblem(await postJson(world, tokenPath, { ...body, redirectUri: 'not a uri' }), 400, 'validation_failed')
    const wrongVerifier = await postJson(world, tokenPath, { ...body, codeVerifier: 'w'.repeat(43) })
    expect((await expectFetchProblem(wrongVerifier, 400, 'social_login_failed')).detail).toMatch(/invalid_grant/)
    // None of those redeemed the code: the app's own attempt still can.
    expect((await postJson(world, tokenPath, body)).status).toBe(200)
  })

  it.each([
    ['nothing', {}, { idToken: ['Send idToken, or code with codeVerifier and redirectUri.'] }],
    ['both an ID token and a code', { idToken: 'a.b.c', code: 'c' }, { code: ['Send idToken or code, not both.'] }],
    ['a code alone', { code: 'c' }, { codeVerifier: ['This field is required with code.'], redirectUri: ['This field is required with code.'] }],
    ['an unknown field', { idToken: 'a.b.c', isStaff: true }, { isStaff: ['Unknown field.'] }],
    ['a wrong type', { idToken: 42 }, { idToken: ['Must be a string.'] }],
  ])('refuses a body with %s, naming the fields', async (_, body, errors) => {
    expect((await expectFetchProblem(await postJson(world, tokenPath, body), 400, 'validation_failed')).errors).toEqual(errors)
  })
})

describe('linking and unlinking', () => {
  it('links an account the app signed in to at the provider, and refuses it to anyone else', async () => {
    world.provider.accounts.set('lena', { email: 'lena@elsewhere.example', emailVerified: false })
    const lena = await register(world.server, { email: 'lena@example.com', username: 'lena' })
    const authorization = await appAuthorizes(world, 'lena')
    const credential = { idToken: await appIdToken(world, authorization), nonce: authorization.nonce }
    await expectFetchProblem(await postJson(world, `/auth/social/${PROVIDER_ID}/link`, credential), 401, 'not_authenticated')
    const linked = await postJson(world, `/auth/social/${PROVIDER_ID}/link`, credential, lena.token)
    expect(linked.status, await linked.clone().text()).toBe(201)
    expect(await linked.json()).toEqual({
      identity: { id: expect.any(Number), provider: PROVIDER_ID, email: 'lena@elsewhere.example', emailVerified: false, createdAt: expect.any(String), lastUsedAt: expect.any(String) },
    })
    const other = await register(world.server)
    const body = await expectFetchProblem(await postJson(world, `/auth/social/${PROVIDER_ID}/link`, credential, other.token), 409, 'social_account_conflict')
    expect(body.detail).toBe(`This ${PROVIDER_ID} account is already linked to another user.`)
    // Signing in with it now reaches Lena, though its e-mail is unverified and not hers: the link was made by her.
    const signedIn = (await (await postJson(world, tokenPath, credential)).json()) as SocialSignedIn
    expect(signedIn.user.id).toBe(lena.userId)
  })

  it('refuses to unlink the last way into an account without a password, and unlinks when another remains', async () => {
    world.provider.accounts.set('solo', { email: 'solo@example.com', emailVerified: true })
    world.provider.accounts.set('solo-2', { email: 'solo-2@example.com', emailVerified: true })
    const first = await appAuthorizes(world, 'solo')
    const signedIn = (await (await postJson(world, tokenPath, { idToken: await appIdToken(world, first), nonce: first.nonce })).json()) as SocialSignedIn
    const auth = { authorization: `Bearer ${signedIn.token}` }
    const list = async () => ((await (await fetch(`${world.base}/auth/social/identities`, { headers: auth })).json()) as { identities: Array<{ id: number }> }).identities
    const [only] = await list()
    const unlink = (id: number | string) => fetch(`${world.base}/auth/social/identities/${id}`, { method: 'DELETE', headers: auth })
    const refused = await expectFetchProblem(await unlink(only!.id), 409, 'last_sign_in_method')
    expect(refused.detail).toMatch(/only way to sign in/)
    // No password, so password login is no way in: the user must keep the identity or add one.
    const second = await appAuthorizes(world, 'solo-2')
    expect((await postJson(world, `/auth/social/${PROVIDER_ID}/link`, { idToken: await appIdToken(world, second), nonce: second.nonce }, signedIn.token)).status).toBe(201)
    expect((await unlink(only!.id)).status).toBe(204)
    expect(await list()).toHaveLength(1)
    await expectFetchProblem(await unlink(only!.id), 404, 'not_found')
    await expectFetchProblem(await unlink('abc'), 404, 'not_found')
    await expectFetchProblem(await unlink('99999999999999999999'), 404, 'not_found')
    await expectFetchProblem(await unlink('9'.repeat(40)), 400, 'validation_failed')
  })

  it("lets a user with a password unlink their only identity, and not someone else's", async () => {
    const pat = await register(world.server, { email: 'pat@example.com', username: 'pat' })
    world.provider.accounts.set('pat-at-provider', { email: 'pat@example.com', emailVerified: true })
    const authorization = await appAuthorizes(world, 'pat-at-provider')
    const linked = (await (await postJson(world, `/auth/social/${PROVIDER_ID}/link`, { idToken: await appIdToken(world, authorization), nonce: authorization.nonce }, pat.token)).json()) as { identity: { id: number } }
    const other = await register(world.server)
    const foreign = await fetch(`${world.base}/auth/social/identities/${linked.identity.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${other.token}` } })
    await expectFetchProblem(foreign, 404, 'not_found')
    const own = await fetch(`${world.base}/auth/social/identities/${linked.identity.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${pat.token}` } })
    expect(own.status).toBe(204)
  })

  it('needs a token to list or unlink identities', async () => {
    await expectFetchProblem(await fetch(`${world.base}/auth/social/identities`), 401, 'not_authenticated')
    await expectFetchProblem(await fetch(`${world.base}/auth/social/identities/1`, { method: 'DELETE' }), 401, 'not_authenticated')
  })
})
