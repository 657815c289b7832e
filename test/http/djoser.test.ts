import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { decodeUid, encodeUid } from '../../src/core/django-uid.js'
import { VERIFY_USER_LIMIT } from '../../src/core/email-verification.js'
import { createMemoryMailer, type MailMessage } from '../../src/core/mailer.js'
import { formBody, multipartBody } from '../support/multipart.js'
import { makeServer, newAccount, type TestServer } from '../support/server.js'
import { createReplay, exchangesOf, loadTranscript, type Replay } from '../support/transcripts.js'

const TOKEN_SHAPE = /^tsr_[A-Za-z0-9_-]{43}$/
const RESET_TEMPLATE = 'http://testserver/password/reset/confirm/{uid}/{token}'
const ACTIVATION_TEMPLATE = 'http://testserver/activate/{uid}/{token}'
const LINKS = { PUBLIC_URL: 'http://testserver', PASSWORD_RESET_CONFIRM_URL: RESET_TEMPLATE, ACTIVATION_URL: ACTIVATION_TEMPLATE }
const BAD_CREDENTIALS = { non_field_errors: ['Unable to log in with provided credentials.'] }

/** Asserts status, a JSON content type (when there is a body) and exactly `body`. */
function expectJson(response: LightMyRequestResponse, status: number, body?: unknown): void {
  expect(response.statusCode, response.body).toBe(status)
  if (body === undefined) return void expect(response.body).toBe('')
  expect(response.headers['content-type']).toMatch(/^application\/json/)
  expect(response.json()).toEqual(body)
}

/** A fresh auth token from djoser's token login. */
function expectAuthToken(response: LightMyRequestResponse): string {
  expect(response.statusCode, response.body).toBe(200)
  const body = response.json() as { auth_token: string }
  expect(body).toEqual({ auth_token: expect.stringMatching(TOKEN_SHAPE) })
  return body.auth_token
}

/** Mails sent after `before`, polled for (they are sent in the background). */
async function mailsAfter(mailer: { sent: MailMessage[] }, before: number, count = 1): Promise<MailMessage[]> {
  const deadline = Date.now() + 3000
  while (mailer.sent.length < before + count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
  expect(mailer.sent.length - before).toBe(count)
  return mailer.sent.slice(before)
}

/** The uid and token of a `{uid}/{token}` link under `base` in a mail. */
function linkOf(mail: MailMessage, base: string): { uid: string; token: string } {
  const match = new RegExp(`${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/([^/\\s"<]+)/([^/\\s"<]+)`).exec(mail.text)
  expect(match, mail.text).not.toBeNull()
  return { uid: match![1]!, token: match![2]! }
}

// ------------------------------------------------------------------------------------------
// The recorded djoser exchanges, in order, against Tessera's djoser face.
// ------------------------------------------------------------------------------------------

/** Where Tessera answers otherwise than djoser did, and why (each documented in the report). */
type Deviation = { reason: string; check: (response: LightMyRequestResponse, replay: Replay) => void }

const newTokenEachLogin: Deviation = {
  reason: 'Tessera gives a new token per login (one session per device); djoser hands back the one shared token',
  check: (response, replay) => {
    const token = expectAuthToken(response)
    expect(token).not.toBe(replay.vars.get('aliceToken'))
  },
}

const DEVIATIONS: Record<string, Deviation> = {
  'token login again, form-encoded: the same token': newTokenEachLogin,
  'token login without the trailing slash': newTokenEachLogin,
  'token login with the new password': newTokenEachLogin,
  'token login, malformed JSON': {
    reason: "the parse error's text is the JavaScript parser's, not Python's; the shape and the prefix are DRF's",
    check: (response) => {
      expect(response.statusCode).toBe(400)
      expect(response.headers['content-type']).toMatch(/^application\/json/)
      expect(response.json()).toEqual({ detail: expect.stringMatching(/^JSON parse error - /) })
    },
  },
  "bob's token after the deletion": {
    reason: "Tessera's core cannot delete a user yet: DELETE users/me/ deactivates the account (every session ends), so the token gets DRF's message for an inactive user",
    check: (response) => {
      expectJson(response, 401, { detail: 'User inactive or deleted.' })
      expect(response.headers['www-authenticate']).toBe('Token')
    },
  },
  'reset_password_confirm, weak new_password and bad uid': {
    reason: "Tessera's common-password list (zxcvbn-ts) lacks \"1\", which Django's has; the other messages and the order are Django's",
    check: (response) =>
      expectJson(response, 400, {
        new_password: ['This password is too short. It must contain at least 8 characters.', 'This password is entirely numeric.'],
      }),
  },
  'token login with the reset password': {
    reason: 'a password reset ends every session in Tessera (djoser keeps the token): the replay goes on with the new one',
    check: (response, replay) => {
      const token = expectAuthToken(response)
      expect(token).not.toBe(replay.vars.get('aliceToken'))
      replay.vars.set('aliceToken', token)
    },
  },
  'resend_activation, inactive user': {
    reason: 'Tessera always sends verification mail (djoser answers an empty 400 when SEND_ACTIVATION_EMAIL is off); an inactive account gets none',
    check: (response) => expectJson(response, 204),
  },
  'resend_activation, active user': {
    reason: 'Tessera always sends verification mail: alice, active and not verified, gets one',
    check: (response) => expectJson(response, 204),
  },
  'activation of an active user with a valid uid/token (the reset mail\'s)': {
    reason: "Tessera's one-time tokens have a purpose: a reset token does not verify an e-mail (djoser shares one token generator)",
    check: (response) => expectJson(response, 400, { token: ['Invalid token for given user.'] }),
  },
  'jwt create, form-encoded': {
    reason: "Tessera's refresh tokens are opaque (tsrf_…), not JWTs",
    check: (response) => {
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual({ access: expect.stringMatching(/^[^.]+\.[^.]+\.[^.]+$/), refresh: expect.stringMatching(/^tsrf_/) })
    },
  },
  'jwt verify, access': {
    reason: "presenting a spent refresh token revokes its session in Tessera (reuse detection), so that session's access JWT is dead at once",
    check: (response) => {
      expectJson(response, 401, { detail: 'Token is invalid or expired', code: 'token_not_valid' })
      expect(response.headers['www-authenticate']).toBe('Bearer realm="api"')
    },
  },
}

describe('the djoser transcript, replayed', () => {
  const mailer = createMemoryMailer()
  let server: TestServer
  let replay: Replay
  beforeAll(async () => {
    server = await makeServer({ PROFILES: 'djoser,drf', ...LINKS }, { mailer })
    replay = createReplay(server, { mailer, linkTemplates: [RESET_TEMPLATE, ACTIVATION_TEMPLATE] })
    await replay.ready()
  })
  afterAll(async () => {
    await server?.dispose()
  })

  const exchanges = exchangesOf('djoser')
  test('the transcript has the djoser exchanges', () => {
    expect(exchanges.length).toBeGreaterThanOrEqual(80)
    for (const name of Object.keys(DEVIATIONS)) expect(exchanges.map((e) => e.name)).toContain(name)
  })

  for (const exchange of exchanges) {
    const deviation = DEVIATIONS[exchange.name]
    test(`${exchange.request.method} ${exchange.request.path}: ${exchange.name}${deviation ? ' (deviation)' : ''}`, async () => {
      await replay.run(exchange, deviation ? { expect: (response) => deviation.check(response, replay) } : {})
    })
  }

  test('alice got the verification mail resend_activation sent, with a link to ACTIVATION_URL', () => {
    const mail = mailer.sent.find((m) => m.text.includes('http://testserver/activate/'))
    expect(mail?.to).toBe('alice@example.com')
    expect(linkOf(mail!, 'http://testserver/activate').uid).toBe(replay.vars.get('aliceUid'))
  })

  test('bob, "deleted", cannot log in again', async () => {
    const response = await server.app.inject({ method: 'POST', url: '/auth/token/login/', payload: { username: 'bob', password: "bob's sturdy passphrase 7" } })
    expectJson(response, 400, BAD_CREDENTIALS)
  })
})

// ------------------------------------------------------------------------------------------
// Beyond the transcript.
// ------------------------------------------------------------------------------------------

describe('the djoser face', () => {
  const mailer = createMemoryMailer()
  let server: TestServer
  beforeAll(async () => {
    server = await makeServer({ PROFILES: 'djoser,drf', ...LINKS }, { mailer })
  })
  afterAll(async () => {
    await server?.dispose()
  })

  const post = (url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    server.app.inject({ method: 'POST', url: `/auth${url}`, headers, ...(payload === undefined ? {} : { payload: payload as object }) })

  /** A new account, registered through djoser, and a token. */
  async function account(): Promise<{ email: string; username: string; password: string; id: number; token: string }> {
    const fresh = newAccount('dj')
    const created = await post('/users/', fresh)
    expect(created.statusCode, created.body).toBe(201)
    const { id } = created.json() as { id: number }
    const token = expectAuthToken(await post('/token/login/', { username: fresh.username, password: fresh.password }))
    return { ...fresh, id, token }
  }
  const auth = (token: string) => ({ authorization: `Token ${token}` })

  describe('bad input gets DRF 4xx answers, never a 5xx', () => {
    const routes = ['/token/login/', '/users/', '/users/reset_password/', '/users/reset_password_confirm/', '/users/activation/', '/users/resend_activation/', '/jwt/create/', '/jwt/refresh/', '/jwt/verify/']

    test.each(routes)('%s: malformed JSON, a list, null, a string, a number', async (url) => {
      const raw = (payload: string) => server.app.inject({ method: 'POST', url: `/auth${url}`, headers: { 'content-type': 'application/json' }, payload })
      const malformed = await raw('{"a": ')
      expect(malformed.statusCode).toBe(400)
      expect(malformed.json()).toEqual({ detail: expect.stringMatching(/^JSON parse error - /) })
      expectJson(await raw('["x"]'), 400, { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] })
      expectJson(await raw('null'), 400, { non_field_errors: ['No data provided'] })
      expectJson(await raw('"text"'), 400, { non_field_errors: ['Invalid data. Expected a dictionary, but got str.'] })
      expectJson(await raw('12'), 400, { non_field_errors: ['Invalid data. Expected a dictionary, but got int.'] })
    })

    test.each(routes)('%s: wrong types, huge strings, other media types, oversized bodies', async (url) => {
      const typed = await post(url, { username: true, password: { a: 1 }, email: ['x'], uid: null, token: 7.5, refresh: [], new_password: false })
      expect(typed.statusCode, typed.body).toBeGreaterThanOrEqual(400)
      expect(typed.statusCode, typed.body).toBeLessThan(500)
      expect(typed.headers['content-type']).toMatch(/^application\/json/)
      const huge = 'x'.repeat(60_000)
      const big = await post(url, { username: huge, password: huge, email: `${huge}@example.com`, uid: huge, token: huge, refresh: huge, new_password: huge })
      expect(big.statusCode, big.body.slice(0, 200)).toBeGreaterThanOrEqual(400)
      expect(big.statusCode).toBeLessThan(500)
      const text = await server.app.inject({ method: 'POST', url: `/auth${url}`, headers: { 'content-type': 'text/plain' }, payload: 'hello' })
      expectJson(text, 415, { detail: 'Unsupported media type "text/plain" in request.' })
      const tooLarge = await server.app.inject({ method: 'POST', url: `/auth${url}`, headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ username: 'y'.repeat(200_000) }) })
      expect(tooLarge.statusCode).toBe(413)
      expect(tooLarge.json()).toEqual({ detail: expect.any(String) })
    })

    test('wrong types name the field, as DRF does', async () => {
      expectJson(await post('/token/login/', { username: true, password: 'x' }), 400, { username: ['Not a valid string.'] })
      expectJson(await post('/token/login/', { username: null, password: 'x' }), 400, { username: ['This field may not be null.'] })
      expectJson(await post('/users/reset_password/', { email: 42 }), 400, { email: ['Enter a valid email address.'] })
      expectJson(await post('/jwt/refresh/', { refresh: '' }), 400, { refresh: ['This field may not be blank.'] })
    })

    test.each([
      ['PUT', '/users/me/'],
      ['PATCH', '/users/me/'],
      ['DELETE', '/users/me/'],
      ['PUT', '/users/<own id>/'],
      ['PATCH', '/users/<own id>/'],
      ['POST', '/users/set_password/'],
    ] as const)('%s %s: a list, null, malformed JSON, text/plain are 4xx', async (method, path) => {
      const user = await account()
      const url = `/auth${path.replace('<own id>', String(user.id))}`
      const send = (payload: string, type = 'application/json') =>
        server.app.inject({ method, url, headers: { ...auth(user.token), 'content-type': type }, payload })
      expectJson(await send('["x"]'), 400, { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] })
      const empty = await send('null')
      expect(empty.statusCode, empty.body).toBe(400)
      expect((await send('{"a": ')).json()).toEqual({ detail: expect.stringMatching(/^JSON parse error - /) })
      expectJson(await send('hello', 'text/plain'), 415, { detail: 'Unsupported media type "text/plain" in request.' })
    })

    test('a number where a string belongs is read as its text (DRF CharField)', async () => {
      expectJson(await post('/token/login/', { username: 12345, password: 'whatever it is' }), 400, BAD_CREDENTIALS)
    })

    test('the authenticated routes answer bad input with 400s too', async () => {
      const { token } = await account()
      const me = await server.app.inject({ method: 'PATCH', url: '/auth/users/me/', headers: { ...auth(token), 'content-type': 'application/json' }, payload: '[1]' })
      expectJson(me, 400, { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] })
      expectJson(await server.app.inject({ method: 'PATCH', url: '/auth/users/me/', headers: auth(token), payload: { email: { x: 1 } } }), 400, { email: ['Not a valid string.'] })
      expectJson(await post('/users/set_password/', { current_password: 1, new_password: [] }, auth(token)), 400, { new_password: ['Not a valid string.'] })
      expectJson(await server.app.inject({ method: 'GET', url: '/auth/users/abc/', headers: auth(token) }), 404, { detail: 'Not found.' })
      expectJson(await server.app.inject({ method: 'GET', url: `/auth/users/${'9'.repeat(40)}/`, headers: auth(token) }), 404, { detail: 'Not found.' })
    })
  })

  describe('the routes', () => {
    test('DELETE users/me/ checks current_password without counting as a login, then ends the account and its sessions', async () => {
      const user = await account()
      const del = (payload?: unknown, headers: Record<string, string> = {}) =>
        server.app.inject({ method: 'DELETE', url: '/auth/users/me/', headers: { ...auth(user.token), ...headers }, ...(payload === undefined ? {} : { payload: payload as object }) })
      expectJson(await del({}), 400, { current_password: ['This field is required.'] })
      expectJson(await del({ current_password: null }), 400, { current_password: ['This field may not be null.'] })
      expectJson(await del({ current_password: ['x'] }), 400, { current_password: ['Not a valid string.'] })
      expectJson(await del('[1]', { 'content-type': 'application/json' }), 400, { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] })
      expectJson(await del('{"current_password": ', { 'content-type': 'application/json' }), 400, { detail: expect.stringMatching(/^JSON parse error - /) })
      expectJson(await del({ current_password: 'not the password' }), 400, { current_password: ['Invalid password.'] })
      const before = await server.tessera.getUser(user.id)
      const del204 = await del({ current_password: user.password })
      expect(del204.statusCode, del204.body).toBe(204)
      const after = await server.tessera.getUser(user.id)
      expect(after.isActive).toBe(false)
      // Closing an account is not a login: last_login stays as it was.
      expect(after.lastLogin).toEqual(before.lastLogin)
      const events = (await server.tessera.listAuditEvents({ userId: user.id, limit: 50 })).events.map((event) => event.kind)
      expect(events).not.toContain('login.failed')
      expect(events.filter((kind) => kind === 'login.succeeded')).toHaveLength(1)
      expectJson(await server.app.inject({ method: 'GET', url: '/auth/users/me/', headers: auth(user.token) }), 401, { detail: 'User inactive or deleted.' })
    })

    test('login takes forms and multipart as well as JSON, and the e-mail for the username', async () => {
      const user = await account()
      const form = formBody({ username: user.username, password: user.password })
      expectAuthToken(await post('/token/login/', form.payload, form.headers))
      const multi = multipartBody({ username: user.username, password: user.password })
      expectAuthToken(await post('/token/login/', multi.payload, multi.headers))
      expectAuthToken(await post('/token/login/', { username: user.email.toUpperCase(), password: user.password }))
    })

    test('registration ignores privilege and unknown fields', async () => {
      const fresh = newAccount('djpriv')
      const response = await post('/users/', { ...fresh, is_staff: true, is_superuser: true, is_active: false, id: 1, favourite: 'x' })
      expect(response.statusCode, response.body).toBe(201)
      const body = response.json() as { id: number }
      expect(body).toEqual({ email: fresh.email, username: fresh.username, id: expect.any(Number) })
      const user = await server.tessera.getUser(body.id)
      expect(user).toMatchObject({ isStaff: false, isSuperuser: false, isActive: true })
    })

    test('registration: a duplicate e-mail, a missing e-mail', async () => {
      const user = await account()
      expectJson(await post('/users/', { ...newAccount('djdup'), email: user.email.toUpperCase() }), 400, { email: ['A user with that email already exists.'] })
      const { username, password } = newAccount('djnomail')
      expectJson(await post('/users/', { username, password }), 400, { email: ['This field is required.'] })
    })

    test('PATCH and PUT of users/me/ change only the e-mail; privilege fields are never applied', async () => {
      const user = await account()
      const patched = await server.app.inject({ method: 'PATCH', url: '/auth/users/me/', headers: auth(user.token), payload: { is_staff: true, is_active: false, username: 'renamed', id: 1 } })
      expectJson(patched, 200, { email: user.email, id: user.id, username: user.username })
      const email = `new-${user.email}`
      const put = await server.app.inject({ method: 'PUT', url: '/auth/users/me/', headers: auth(user.token), payload: { email, is_superuser: true } })
      expectJson(put, 200, { email, id: user.id, username: user.username })
      expect(await server.tessera.getUser(user.id)).toMatchObject({ isStaff: false, isSuperuser: false, isActive: true, email })
      // users/<own id>/ is the same resource.
      expectJson(await server.app.inject({ method: 'GET', url: `/auth/users/${user.id}/`, headers: auth(user.token) }), 200, { email, id: user.id, username: user.username })
    })

    test('staff see every user in users/ and may read another user, not write it', async () => {
      const staffAccount = newAccount('djstaff')
      const staff = await server.tessera.createUser(staffAccount, { isStaff: true })
      const user = { ...staff, token: expectAuthToken(await post('/token/login/', { username: staffAccount.username, password: staffAccount.password })) }
      const other = await account()
      const list = await server.app.inject({ method: 'GET', url: '/auth/users/', headers: auth(user.token) })
      expect(list.statusCode, list.body).toBe(200)
      const ids = (list.json() as Array<{ id: number }>).map((u) => u.id)
      expect(ids).toContain(other.id)
      expect(ids).toContain(user.id)
      expectJson(await server.app.inject({ method: 'GET', url: `/auth/users/${other.id}/`, headers: auth(user.token) }), 200, { email: other.email, id: other.id, username: other.username })
      expectJson(await server.app.inject({ method: 'PATCH', url: `/auth/users/${other.id}/`, headers: auth(user.token), payload: { email: 'x@example.com' } }), 403, { detail: 'You do not have permission to perform this action.' })
      expectJson(await server.app.inject({ method: 'GET', url: '/auth/users/999999/', headers: auth(user.token) }), 404, { detail: 'Not found.' })
      // Not staff: another user is hidden.
      expectJson(await server.app.inject({ method: 'GET', url: `/auth/users/${user.id}/`, headers: auth(other.token) }), 404, { detail: 'Not found.' })
    })

    test('logout ends the calling session only', async () => {
      const user = await account()
      const second = expectAuthToken(await post('/token/login/', { username: user.username, password: user.password }))
      expectJson(await post('/token/logout/', undefined, auth(user.token)), 204)
      expectJson(await server.app.inject({ method: 'GET', url: '/auth/users/me/', headers: auth(user.token) }), 401, { detail: 'Invalid token.' })
      expect((await server.app.inject({ method: 'GET', url: '/auth/users/me/', headers: auth(second) })).statusCode).toBe(200)
    })

    test("set_password keeps the caller's session and ends the user's others (Tessera's rule)", async () => {
      const user = await account()
      const other = expectAuthToken(await post('/token/login/', { username: user.username, password: user.password }))
      const newPassword = 'an entirely new passphrase 9'
      expectJson(await post('/users/set_password/', { current_password: user.password, new_password: newPassword }, auth(user.token)), 204)
      expect((await server.app.inject({ method: 'GET', url: '/auth/users/me/', headers: auth(user.token) })).statusCode).toBe(200)
      expectJson(await server.app.inject({ method: 'GET', url: '/auth/users/me/', headers: auth(other) }), 401, { detail: 'Invalid token.' })
      expectAuthToken(await post('/token/login/', { username: user.username, password: newPassword }))
    })

    test('a wrong current_password is said alone, even with a weak new_password', async () => {
      const user = await account()
      expectJson(await post('/users/set_password/', { current_password: 'wrong', new_password: '1' }, auth(user.token)), 400, { current_password: ['Invalid password.'] })
    })

    test('wrong methods get 405 with Allow; anonymous callers of private paths get 401 first', async () => {
      const login = await server.app.inject({ method: 'PUT', url: '/auth/token/login/' })
      expectJson(login, 405, { detail: 'Method "PUT" not allowed.' })
      expect(login.headers.allow).toBe('POST, OPTIONS')
      const me = await server.app.inject({ method: 'POST', url: '/auth/users/me/' })
      expectJson(me, 401, { detail: 'Authentication credentials were not provided.' })
      expect(me.headers['www-authenticate']).toBe('Token')
      const user = await account()
      const meAuthed = await server.app.inject({ method: 'POST', url: '/auth/users/me/', headers: auth(user.token) })
      expectJson(meAuthed, 405, { detail: 'Method "POST" not allowed.' })
      expect(meAuthed.headers.allow).toBe('GET, PUT, PATCH, DELETE, HEAD, OPTIONS')
      expectJson(await server.app.inject({ method: 'DELETE', url: '/auth/jwt/verify/' }), 405, { detail: 'Method "DELETE" not allowed.' })
    })

    test('an access JWT from jwt/create/ works on djoser routes as Bearer and as Token', async () => {
      const user = await account()
      const created = await post('/jwt/create/', { username: user.username, password: user.password })
      expect(created.statusCode, created.body).toBe(200)
      const { access, refresh } = created.json() as { access: string; refresh: string }
      for (const scheme of ['Bearer', 'Token']) {
        const me = await server.app.inject({ method: 'GET', url: '/auth/users/me/', headers: { authorization: `${scheme} ${access}` } })
        expectJson(me, 200, { email: user.email, id: user.id, username: user.username })
      }
      expectJson(await post('/jwt/verify/', { token: refresh }), 200, {})
      const refreshed = await post('/jwt/refresh/', { refresh })
      expect(refreshed.json()).toEqual({ access: expect.any(String), refresh: expect.stringMatching(/^tsrf_/) })
      // Simple JWT's verify of a spent (blacklisted) refresh token: a 400, not a 401 (transcript exchange 101).
      expectJson(await post('/jwt/verify/', { token: refresh }), 400, { non_field_errors: ['Token is blacklisted'] })
    })
  })

  describe('mails with uid/token links', () => {
    test('the reset mail links to PASSWORD_RESET_CONFIRM_URL with the uid and a token that confirms once', async () => {
      const user = await account()
      const before = mailer.sent.length
      expectJson(await post('/users/reset_password/', { email: user.email }), 204)
      const [mail] = await mailsAfter(mailer, before)
      expect(mail!.to).toBe(user.email)
      const { uid, token } = linkOf(mail!, 'http://testserver/password/reset/confirm')
      expect(uid).toBe(encodeUid(user.id))
      expect(decodeUid(uid)).toBe(user.id)
      expect(mail!.html).toContain(`${uid}/${token}`)
      // Another user's uid with this token: the token is not theirs.
      const other = await account()
      expectJson(await post('/users/reset_password_confirm/', { uid: encodeUid(other.id), token, new_password: 'a brand new passphrase 1' }), 400, { token: ['Invalid token for given user.'] })
      expectJson(await post('/users/reset_password_confirm/', { uid, token, new_password: 'a brand new passphrase 1' }), 204)
      expectJson(await post('/users/reset_password_confirm/', { uid, token, new_password: 'a brand new passphrase 2' }), 400, { token: ['Invalid token for given user.'] })
      // Every session ended with the reset; the new password logs in.
      expectJson(await server.app.inject({ method: 'GET', url: '/auth/users/me/', headers: auth(user.token) }), 401, { detail: 'Invalid token.' })
      expectAuthToken(await post('/token/login/', { username: user.username, password: 'a brand new passphrase 1' }))
    })

    test('no mail for an unknown address, the same 204', async () => {
      const before = mailer.sent.length
      expectJson(await post('/users/reset_password/', { email: 'nobody-at-all@example.com' }), 204)
      expectJson(await post('/users/resend_activation/', { email: 'nobody-at-all@example.com' }), 204)
      await new Promise((resolve) => setTimeout(resolve, 100))
      expect(mailer.sent.length).toBe(before)
    })

    test('resend_activation mails an ACTIVATION_URL link; activation verifies the e-mail; a second live token is stale', async () => {
      const user = await account()
      const before = mailer.sent.length
      expectJson(await post('/users/resend_activation/', { email: user.email }), 204)
      expectJson(await post('/users/resend_activation/', { email: user.email }), 204)
      const mails = await mailsAfter(mailer, before, 2)
      const first = linkOf(mails[0]!, 'http://testserver/activate')
      const second = linkOf(mails[1]!, 'http://testserver/activate')
      expect(first.uid).toBe(encodeUid(user.id))
      expectJson(await post('/users/activation/', { uid: encodeUid(user.id + 1000), token: first.token }), 400, { uid: ["Invalid user id or user doesn't exist."] })
      expectJson(await post('/users/activation/', first), 204)
      expect((await server.tessera.getUser(user.id)).emailVerified).toBe(true)
      expectJson(await post('/users/activation/', first), 400, { token: ['Invalid token for given user.'] })
      expectJson(await post('/users/activation/', second), 403, { detail: 'Stale token for given user.' })
    })

    test("resend_activation past an account's mail limit: the same 204 and no more mail, so no answer tells the account exists", async () => {
      const user = await account()
      const before = mailer.sent.length
      for (let i = 0; i < VERIFY_USER_LIMIT.limit + 2; i++) expectJson(await post('/users/resend_activation/', { email: user.email }), 204)
      await mailsAfter(mailer, before, VERIFY_USER_LIMIT.limit)
      await new Promise((resolve) => setTimeout(resolve, 100))
      expect(mailer.sent.length - before).toBe(VERIFY_USER_LIMIT.limit)
    })
  })
})

describe('DJOSER_PREFIX beside the canonical face', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await makeServer({ PROFILES: 'canonical,djoser,drf', DJOSER_PREFIX: '/api/v1/auth' })
  })
  afterAll(async () => {
    await server?.dispose()
  })

  test('djoser answers under the prefix, canonical under /auth', async () => {
    const fresh = newAccount('djprefix')
    const created = await server.app.inject({ method: 'POST', url: '/api/v1/auth/users/', payload: fresh })
    expect(created.statusCode, created.body).toBe(201)
    const token = expectAuthToken(await server.app.inject({ method: 'POST', url: '/api/v1/auth/token/login', payload: { username: fresh.username, password: fresh.password } }))
    const me = await server.app.inject({ method: 'GET', url: '/api/v1/auth/users/me/', headers: { authorization: `Token ${token}` } })
    expect(me.json()).toMatchObject({ username: fresh.username })
    // The canonical face still owns /auth/*, the djoser token works there too.
    const canonical = await server.app.inject({ method: 'GET', url: '/auth/user', headers: { authorization: `Bearer ${token}` } })
    expect(canonical.statusCode).toBe(200)
    expect((await server.app.inject({ method: 'POST', url: '/auth/login', payload: { email: fresh.email, password: fresh.password } })).statusCode).toBe(200)
    const jwt = await server.app.inject({ method: 'POST', url: '/auth/jwt/create', payload: { email: fresh.email, password: fresh.password } })
    expect(jwt.json()).toHaveProperty('accessExpiresAt')
    expect((await server.app.inject({ method: 'POST', url: '/auth/token/login/', payload: { username: fresh.username, password: fresh.password } })).statusCode).toBe(404)
  })
})

describe('throttling', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await makeServer({ PROFILES: 'djoser,drf', LOGIN_THROTTLE: '3/1m' })
  })
  afterAll(async () => {
    await server?.dispose()
  })

  test("failed logins reach 429 in DRF's shape with Retry-After, shared by token/login and jwt/create", async () => {
    const fresh = newAccount('djthrottle')
    expect((await server.app.inject({ method: 'POST', url: '/auth/users/', payload: fresh })).statusCode).toBe(201)
    const wrong = { username: fresh.username, password: 'wrong password' }
    expectJson(await server.app.inject({ method: 'POST', url: '/auth/token/login/', payload: wrong }), 400, BAD_CREDENTIALS)
    expect((await server.app.inject({ method: 'POST', url: '/auth/jwt/create/', payload: wrong })).statusCode).toBe(401)
    expectJson(await server.app.inject({ method: 'POST', url: '/auth/token/login/', payload: wrong }), 400, BAD_CREDENTIALS)
    for (const url of ['/auth/token/login/', '/auth/jwt/create/']) {
      // Over the limit, the right password is refused too.
      const throttled = await server.app.inject({ method: 'POST', url, payload: { username: fresh.username, password: fresh.password } })
      expect(throttled.statusCode, throttled.body).toBe(429)
      expect(throttled.headers['content-type']).toMatch(/^application\/json/)
      expect(throttled.json()).toEqual({ detail: expect.stringMatching(/^Request was throttled\. Expected available in \d+ seconds\.$/) })
      expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0)
    }
  })
})

// djoser's routes in a DRF API that lists Simple JWT's JWTAuthentication after TokenAuthentication:
// a refused Bearer credential is answered in Simple JWT's words, which front ends match on to refresh.
describe('Bearer JWTs on djoser routes, replayed (transcript exchanges 105-109, 116)', () => {
  let server: TestServer
  let replay: Replay
  beforeAll(async () => {
    server = await makeServer({ PROFILES: 'djoser,drf,simplejwt' }, { memory: true })
    replay = createReplay(server)
    await replay.ready()
  })
  afterAll(async () => {
    await server?.dispose()
  })

  const all = loadTranscript().exchanges
  const at = (index: number) => all[index]!
  test('obtain and refresh a pair on /api/token/ first (exchanges 85, 93)', async () => {
    expect(at(85).name).toBe('obtain pair')
    await replay.run(at(85))
    await replay.run(at(93))
    expect(replay.vars.get('access2')).toMatch(/^[^.]+\.[^.]+\.[^.]+$/)
  })
  for (const index of [105, 106, 107, 108, 109]) {
    test(`${at(index).name}`, async () => {
      await replay.run(at(index))
    })
  }
  test('the access token after its refresh is blacklisted (exchanges 110, 116): dead at once (deviation)', async () => {
    await replay.run(at(110))
    // Tessera's revocation is immediate: Simple JWT's access tokens outlive a blacklist until they expire.
    await replay.run(at(116), {
      expect: (response) => {
        expectJson(response, 401, {
          detail: 'Given token not valid for any token type',
          code: 'token_not_valid',
          messages: [{ token_class: 'AccessToken', token_type: 'access', message: 'Token is invalid or expired' }],
        })
        expect(response.headers['www-authenticate']).toBe('Token')
      },
    })
  })
  test("a bad Token (DRF's scheme) still gets DRF's words", async () => {
    const response = await server.app.inject({ method: 'GET', url: '/auth/users/me/', headers: { authorization: 'Token nope' } })
    expectJson(response, 401, { detail: 'Invalid token.' })
  })
})
