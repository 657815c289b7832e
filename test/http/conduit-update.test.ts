import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { makeServer, newAccount, type TestServer } from '../support/server.js'

let server: TestServer
beforeAll(async () => {
  server = await makeServer()
})
afterAll(async () => {
  await server?.dispose()
})

interface ConduitAccount {
  email: string
  username: string
  password: string
  token: string
}

/** Registers through POST /api/users and returns the account with its JWT. */
async function signUp(): Promise<ConduitAccount> {
  const account = newAccount('put')
  const response = await server.app.inject({ method: 'POST', url: '/api/users', payload: { user: account } })
  expect(response.statusCode, response.body).toBe(201)
  return { ...account, token: response.json().user.token as string }
}

const update = (token: string, user: unknown) =>
  server.app.inject({ method: 'PUT', url: '/api/user', headers: { authorization: `Token ${token}` }, payload: { user } })
const currentUser = (token: string) =>
  server.app.inject({ method: 'GET', url: '/api/user', headers: { authorization: `Token ${token}` } })
const login = (email: string, password: string) =>
  server.app.inject({ method: 'POST', url: '/api/users/login', payload: { user: { email, password } } })

/** Asserts 200 `{"user": expected}` with exactly the RealWorld fields. */
function expectUser(response: LightMyRequestResponse, expected: Record<string, unknown>): void {
  expect(response.statusCode, response.body).toBe(200)
  expect(response.json()).toEqual({ user: expected })
}

const STRONG = 'a brand new passphrase 1234'

describe('PUT /api/user', () => {
  test('sets bio and image, hands back the presented token, and GET shows the change', async () => {
    const me = await signUp()
    const expected = { email: me.email, username: me.username, token: me.token, bio: 'I like to skateboard', image: 'https://i.stack.imgur.com/xHWG8.jpg' }
    expectUser(await update(me.token, { bio: expected.bio, image: expected.image }), expected)
    expectUser(await currentUser(me.token), expected)
  })

  test('null clears bio and image; an empty user changes nothing', async () => {
    const me = await signUp()
    expect((await update(me.token, { bio: 'x', image: 'https://example.com/x.png' })).statusCode).toBe(200)
    const cleared = { email: me.email, username: me.username, token: me.token, bio: null, image: null }
    expectUser(await update(me.token, { bio: null, image: null }), cleared)
    expectUser(await update(me.token, {}), cleared)
  })

  test('changes e-mail and username; the new e-mail logs in, the old one no longer does', async () => {
    const me = await signUp()
    const email = `renamed.${me.email}`
    const username = `${me.username}-renamed`
    expectUser(await update(me.token, { email, username }), { email, username, token: me.token, bio: null, image: null })
    expect((await login(email, me.password)).statusCode).toBe(200)
    expect((await login(me.email, me.password)).statusCode).toBe(401)
  })

  test('an e-mail or username another account holds is 422 "has already been taken", and nothing changes', async () => {
    const me = await signUp()
    const other = await signUp()
    const taken = await update(me.token, { email: other.email.toUpperCase(), bio: 'never written' })
    expect(taken.statusCode, taken.body).toBe(422)
    expect(taken.json()).toEqual({ errors: { email: ['has already been taken'] } })
    const takenName = await update(me.token, { username: other.username })
    expect(takenName.json()).toEqual({ errors: { username: ['has already been taken'] } })
    expectUser(await currentUser(me.token), { email: me.email, username: me.username, token: me.token, bio: null, image: null })
  })

  test('a blank e-mail is 422 "can\'t be blank"', async () => {
    const me = await signUp()
    const response = await update(me.token, { email: '  ' })
    expect(response.statusCode, response.body).toBe(422)
    expect(response.json()).toEqual({ errors: { email: ["can't be blank"] } })
  })

  test('a new password: the caller\'s token keeps working, other sessions end, only the new password logs in', async () => {
    const me = await signUp()
    const otherDevice = (await login(me.email, me.password)).json().user.token as string
    expectUser(await update(me.token, { password: STRONG }), { email: me.email, username: me.username, token: me.token, bio: null, image: null })

    expect((await currentUser(me.token)).statusCode).toBe(200)
    expect((await currentUser(otherDevice)).statusCode).toBe(401)
    expect((await login(me.email, me.password)).json()).toEqual({ errors: { credentials: ['invalid'] } })
    expect((await login(me.email, STRONG)).statusCode).toBe(200)
  })

  test('a weak password is 422 from the core\'s validators, and the rest of the body is not applied', async () => {
    const me = await signUp()
    const response = await update(me.token, { password: '12345678', bio: 'never written' })
    expect(response.statusCode, response.body).toBe(422)
    expect(Object.keys(response.json().errors)).toEqual(['password'])
    expectUser(await currentUser(me.token), { email: me.email, username: me.username, token: me.token, bio: null, image: null })
    expect((await login(me.email, me.password)).statusCode).toBe(200)
  })

  test('a blank or null password, as settings forms send it, leaves the password unchanged', async () => {
    const me = await signUp()
    for (const password of ['', null]) {
      expect((await update(me.token, { password, bio: 'still me' })).statusCode).toBe(200)
    }
    expect((await login(me.email, me.password)).statusCode).toBe(200)
  })

  test('a client echoing the whole user (token, privilege fields, unknown keys) gets 200 and no privilege', async () => {
    const me = await signUp()
    const echoed = {
      email: me.email, username: me.username, bio: 'echo', image: null, token: 'whatever',
      isStaff: true, isSuperuser: true, isActive: false, is_staff: true, emailVerified: true, id: 1, createdAt: 'x',
    }
    expectUser(await update(me.token, echoed), { email: me.email, username: me.username, token: me.token, bio: 'echo', image: null })
    const canonical = await server.app.inject({ method: 'GET', url: '/auth/user', headers: { authorization: `Bearer ${me.token}` } })
    expect(canonical.json().user).toMatchObject({ isStaff: false, isSuperuser: false, isActive: true, emailVerified: false })
  })

  test('without a token: 401 {"errors": {"token": [...]}}', async () => {
    const response = await server.app.inject({ method: 'PUT', url: '/api/user', payload: { user: { bio: 'x' } } })
    expect(response.statusCode, response.body).toBe(401)
    expect(response.headers['www-authenticate']).toBe('Token')
    expect(response.json()).toEqual({ errors: { token: [expect.any(String)] } })
  })
})
