import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { encodeUid } from '../../src/core/django-uid.js'
import { createMemoryMailer, type MailMessage } from '../../src/core/mailer.js'
import { formBody, multipartBody } from '../support/multipart.js'
import { makeServer, newAccount, type TestServer } from '../support/server.js'

const TOKEN_SHAPE = /^tsr_[A-Za-z0-9_-]{43}$/
const PASSWORD = 'correct horse battery staple 42'
const NEW_PASSWORD = 'a brand new passphrase 93'
const BAD_CREDENTIALS = { non_field_errors: ['Unable to log in with provided credentials.'] }
const MUST_INCLUDE = { non_field_errors: ['Must include either "username" or "email" and "password".'] }
const REQUIRED = 'This field is required.'
const SET_PASSWORD_MISMATCH = 'The two password fields didn\u2019t match.'
const RESET_LINK = /https:\/\/app\.example\/reset\/([A-Za-z0-9_-]+)\/([^\s"<>/]+)/
const VERIFY_LINK = /https:\/\/app\.example\/verify\/([A-Za-z0-9_-]+)\/([^\s"<>/]+)/
const THROTTLED = /^Request was throttled\. Expected available in \d+ seconds\.$/

interface Account {
  email: string
  username: string
  password: string
  key: string
  id: number
}

let server: TestServer
const mailer = createMemoryMailer()

beforeAll(async () => {
  server = await makeServer(
    {
      PROFILES: 'dj-rest-auth,drf',
      PASSWORD_RESET_CONFIRM_URL: 'https://app.example/reset/{uid}/{token}',
      ACTIVATION_URL: 'https://app.example/verify/{uid}/{token}',
    },
    { mailer },
  )
})
afterAll(async () => {
  await server?.dispose()
})

type Payload = string | Buffer | object
const call = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, payload?: Payload, key?: string, headers: Record<string, string> = {}) =>
  server.app.inject({
    method,
    url: `/rest-auth/${path}`,
    ...(payload === undefined ? {} : { payload }),
    headers: { ...(key ? { authorization: `Token ${key}` } : {}), ...headers },
  })
const post = (path: string, payload?: Payload, key?: string) => call('POST', path, payload, key)

/** Asserts a JSON reply with `status` and exactly `body`. */
function expectJson(response: LightMyRequestResponse, status: number, body: unknown): void {
  expect(response.statusCode, response.body).toBe(status)
  expect(response.headers['content-type']).toMatch(/^application\/json/)
  expect(response.json()).toEqual(body)
}

/** Asserts DRF's 401 with `WWW-Authenticate: Token`. */
function expect401(response: LightMyRequestResponse, detail: string): void {
  expectJson(response, 401, { detail })
  expect(response.headers['www-authenticate']).toBe('Token')
}

/** Asserts `{"key": "<token>"}` and returns the key. */
function expectKey(response: LightMyRequestResponse, status = 200): string {
  expect(response.statusCode, response.body).toBe(status)
  expect(response.headers['content-type']).toMatch(/^application\/json/)
  const body = response.json()
  expect(body).toEqual({ key: expect.stringMatching(TOKEN_SHAPE) })
  return body.key as string
}

/** Waits briefly for a mail to `to` whose text matches `pattern` (mails go out after the answer). */
async function mailTo(to: string, pattern: RegExp, after = 0): Promise<RegExpMatchArray> {
  for (let i = 0; i < 100; i++) {
    const found = mailer.sent.slice(after).filter((mail: MailMessage) => mail.to === to && pattern.test(mail.text)).at(-1)
    if (found) return found.text.match(pattern)!
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`no mail to ${to} matching ${pattern}`)
}

async function noMailTo(to: string): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 100))
  expect(mailer.sent.filter((mail) => mail.to === to)).toEqual([])
}

/** Registers through the face and returns the account with its key and id. */
async function signUp(extra: Record<string, unknown> = {}): Promise<Account> {
  const account = newAccount('dj')
  const key = expectKey(await post('registration/', { username: account.username, email: account.email, password1: account.password, password2: account.password, ...extra }), 201)
  const me = await call('GET', 'user/', undefined, key)
  return { ...account, key, id: me.json().pk as number }
}

const keyWorks = async (key: string): Promise<boolean> => (await call('GET', 'user/', undefined, key)).statusCode === 200

describe('POST registration/', () => {
  test('creates the account: 201 {"key"}, the key works, and a verification mail links to ACTIVATION_URL', async () => {
    const account = newAccount('dj')
    const key = expectKey(await post('registration/', { username: account.username, email: account.email, password1: account.password, password2: account.password }), 201)
    const me = await call('GET', 'user/', undefined, key)
    expectJson(me, 200, { pk: expect.any(Number), username: account.username, email: account.email, first_name: '', last_name: '' })
    const [, uid] = await mailTo(account.email, VERIFY_LINK)
    expect(uid).toBe(encodeUid(me.json().pk))
  })

  test('reads a form-encoded body', async () => {
    const account = newAccount('dj')
    const form = formBody({ username: account.username, email: account.email, password1: account.password, password2: account.password })
    expectKey(await call('POST', 'registration/', form.payload, undefined, form.headers), 201)
  })

  test('passwords that differ: non_field_errors with its straight apostrophe', async () => {
    const account = newAccount('dj')
    expectJson(await post('registration/', { username: account.username, email: account.email, password1: account.password, password2: 'something else 12' }), 400, {
      non_field_errors: ["The two password fields didn't match."],
    })
  })

  test('missing fields, blank ones, wrong types', async () => {
    expectJson(await post('registration/', {}), 400, { username: [REQUIRED], email: [REQUIRED], password1: [REQUIRED], password2: [REQUIRED] })
    expectJson(await post('registration/', { username: '', email: '', password1: '', password2: '' }), 400, {
      username: ['This field may not be blank.'],
      email: ['This field may not be blank.'],
      password1: ['This field may not be blank.'],
      password2: ['This field may not be blank.'],
    })
    expectJson(await post('registration/', { username: ['x'], email: 5, password1: true, password2: null }), 400, {
      username: ['Not a valid string.'],
      email: ['Enter a valid email address.'],
      password1: ['Not a valid string.'],
      password2: ['This field may not be null.'],
    })
  })

  test('a taken username, a taken e-mail, a weak password, a bad username: allauth and Django messages', async () => {
    const alice = await signUp()
    const other = newAccount('dj')
    expectJson(await post('registration/', { username: alice.username.toUpperCase(), email: other.email, password1: PASSWORD, password2: PASSWORD }), 400, {
      username: ['A user with that username already exists.'],
    })
    expectJson(await post('registration/', { username: other.username, email: alice.email.toUpperCase(), password1: PASSWORD, password2: PASSWORD }), 400, {
      email: ['A user is already registered with this e-mail address.'],
    })
    expectJson(await post('registration/', { username: other.username, email: other.email, password1: '1234', password2: '1234' }), 400, {
      password1: ['This password is too short. It must contain at least 8 characters.', 'This password is too common.', 'This password is entirely numeric.'],
    })
    expectJson(await post('registration/', { username: 'carol smith!', email: other.email, password1: PASSWORD, password2: PASSWORD }), 400, {
      username: ['Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.'],
    })
    expectJson(await post('registration/', { username: other.username, email: 'not-an-email', password1: PASSWORD, password2: PASSWORD }), 400, {
      email: ['Enter a valid email address.'],
    })
  })

  test('privilege fields in the body are never applied', async () => {
    const account = await signUp({ is_staff: true, is_superuser: true, is_active: false, email_verified: true, pk: 1 })
    const user = await server.tessera.getUser(account.id)
    expect(user).toMatchObject({ isStaff: false, isSuperuser: false, isActive: true, emailVerified: false })
  })

  test('GET is 405', async () => {
    expectJson(await call('GET', 'registration/'), 405, { detail: 'Method "GET" not allowed.' })
  })
})

describe('POST registration/verify-email/ and registration/resend-email/', () => {
  test("the mail's key verifies the e-mail once: 200 {\"detail\": \"ok\"}, then 404", async () => {
    const account = await signUp()
    const [, , key] = await mailTo(account.email, VERIFY_LINK)
    expectJson(await post('registration/verify-email/', { key: decodeURIComponent(key!) }), 200, { detail: 'ok' })
    expect((await server.tessera.getUser(account.id)).emailVerified).toBe(true)
    expectJson(await post('registration/verify-email/', { key: decodeURIComponent(key!) }), 404, { detail: 'Not found.' })
  })

  test('a bad key is 404, a missing one 400, GET 405', async () => {
    expectJson(await post('registration/verify-email/', { key: 'no-such-key' }), 404, { detail: 'Not found.' })
    expectJson(await post('registration/verify-email/', {}), 400, { key: [REQUIRED] })
    expectJson(await post('registration/verify-email/', { key: { $ne: null } }), 400, { key: ['Not a valid string.'] })
    expectJson(await call('GET', 'registration/verify-email/'), 405, { detail: 'Method "GET" not allowed.' })
  })

  test('resend mails an unverified account a new key; an unknown e-mail gets the same answer and no mail', async () => {
    const account = await signUp()
    await mailTo(account.email, VERIFY_LINK)
    const before = mailer.sent.length
    expectJson(await post('registration/resend-email/', { email: account.email.toUpperCase() }), 200, { detail: 'ok' })
    const [, , key] = await mailTo(account.email, VERIFY_LINK, before)
    expectJson(await post('registration/verify-email/', { key: decodeURIComponent(key!) }), 200, { detail: 'ok' })

    expectJson(await post('registration/resend-email/', { email: 'nobody-dj@example.com' }), 200, { detail: 'ok' })
    await noMailTo('nobody-dj@example.com')
  })

  test('resend: a bad or missing e-mail is 400', async () => {
    expectJson(await post('registration/resend-email/', { email: 'not-an-email' }), 400, { email: ['Enter a valid email address.'] })
    expectJson(await post('registration/resend-email/', {}), 400, { email: [REQUIRED] })
  })
})

describe('POST login/', () => {
  let alice: Account
  beforeAll(async () => {
    alice = await signUp()
  })

  test('with the username, or the e-mail in any case: 200 {"key"}, a new key per login', async () => {
    const first = expectKey(await post('login/', { username: alice.username, password: alice.password }))
    const second = expectKey(await post('login/', { email: alice.email.toUpperCase(), password: alice.password }))
    expect(second).not.toBe(first)
    expect(await keyWorks(first)).toBe(true)
    expect(await keyWorks(second)).toBe(true)
  })

  test('reads forms and multipart as well as JSON', async () => {
    const form = formBody({ username: alice.username, password: alice.password })
    expectKey(await call('POST', 'login/', form.payload, undefined, form.headers))
    const multipart = multipartBody({ email: alice.email, password: alice.password })
    expectKey(await call('POST', 'login/', multipart.payload, undefined, multipart.headers))
  })

  test('the slashless path works too', async () => {
    const response = await server.app.inject({ method: 'POST', url: '/rest-auth/login', payload: { username: alice.username, password: alice.password } })
    expectKey(response)
  })

  test('wrong password, unknown user, inactive user: one answer', async () => {
    expectJson(await post('login/', { username: alice.username, password: 'wrong' }), 400, BAD_CREDENTIALS)
    expectJson(await post('login/', { username: 'nobody', password: PASSWORD }), 400, BAD_CREDENTIALS)
    expectJson(await post('login/', { email: 'nobody@example.com', password: PASSWORD }), 400, BAD_CREDENTIALS)
    const ivan = await signUp()
    await server.tessera.setUserActive(ivan.id, false)
    expectJson(await post('login/', { username: ivan.username, password: ivan.password }), 400, BAD_CREDENTIALS)
  })

  test("missing password, no username nor e-mail, blank fields: LoginSerializer's errors", async () => {
    expectJson(await post('login/', { username: alice.username }), 400, { password: [REQUIRED] })
    expectJson(await post('login/', {}), 400, { password: [REQUIRED] })
    expectJson(await post('login/', { password: PASSWORD }), 400, MUST_INCLUDE)
    expectJson(await post('login/', { username: '', email: '', password: PASSWORD }), 400, MUST_INCLUDE)
    expectJson(await post('login/', { username: alice.username, password: '' }), 400, { password: ['This field may not be blank.'] })
    expectJson(await post('login/', { email: 'not-an-email', password: PASSWORD }), 400, { email: ['Enter a valid email address.'] })
  })

  test('bad input: a JSON list, wrong types, malformed JSON, a string body, huge strings, too big a body', async () => {
    expectJson(await post('login/', [alice.username, alice.password]), 400, { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] })
    expectJson(await call('POST', 'login/', '"alice"', undefined, { 'content-type': 'application/json' }), 400, {
      non_field_errors: ['Invalid data. Expected a dictionary, but got str.'],
    })
    expectJson(await call('POST', 'login/', 'null', undefined, { 'content-type': 'application/json' }), 400, { non_field_errors: ['This field may not be null.'] })
    expectJson(await post('login/', { username: true, password: { x: 1 } }), 400, { username: ['Not a valid string.'], password: ['Not a valid string.'] })
    expectJson(await post('login/', { username: 'ali\u0000ce', password: PASSWORD }), 400, { username: ['Null characters are not allowed.'] })
    const malformed = await call('POST', 'login/', '{"username": "alice",', undefined, { 'content-type': 'application/json' })
    expect(malformed.statusCode).toBe(400)
    expect(malformed.headers['content-type']).toMatch(/^application\/json/)
    expect(Object.keys(malformed.json())).toEqual(['detail'])
    expect(malformed.json().detail).toMatch(/^JSON parse error - /)
    expectJson(await post('login/', { username: 'a'.repeat(60_000), password: 'b'.repeat(30_000) }), 400, BAD_CREDENTIALS)
    const tooBig = await post('login/', { username: 'a'.repeat(200_000), password: PASSWORD })
    expect(tooBig.statusCode).toBe(413)
    expect(Object.keys(tooBig.json())).toEqual(['detail'])
    const text = await call('POST', 'login/', 'username=x', undefined, { 'content-type': 'text/plain' })
    expectJson(text, 415, { detail: 'Unsupported media type "text/plain" in request.' })
  })

  test('GET is 405 with DRF\'s message and Allow', async () => {
    const response = await call('GET', 'login/')
    expectJson(response, 405, { detail: 'Method "GET" not allowed.' })
    expect(response.headers.allow).toBe('POST, OPTIONS')
  })
})

describe('POST logout/', () => {
  test("ends the calling key's session only: 200 {\"detail\": \"Successfully logged out.\"}", async () => {
    const account = await signUp()
    const other = expectKey(await post('login/', { username: account.username, password: account.password }))
    expectJson(await post('logout/', undefined, account.key), 200, { detail: 'Successfully logged out.' })
    expect401(await call('GET', 'user/', undefined, account.key), 'Invalid token.')
    expect(await keyWorks(other)).toBe(true)
    expect401(await post('logout/', undefined, account.key), 'Invalid token.')
  })

  test('without a key it is 200 (AllowAny); a malformed header is 401; GET is 405', async () => {
    expectJson(await post('logout/'), 200, { detail: 'Successfully logged out.' })
    expect401(await post('logout/', undefined, 'abc def'), 'Invalid token header. Token string should not contain spaces.')
    expect401(await call('POST', 'logout/', undefined, undefined, { authorization: 'Token' }), 'Invalid token header. No credentials provided.')
    const get = await call('GET', 'logout/', undefined)
    expectJson(get, 405, { detail: 'Method "GET" not allowed.' })
    expect(get.headers.allow).toBe('GET, POST, HEAD, OPTIONS')
  })
})

describe('GET/PUT/PATCH user/', () => {
  test('401 without a key, with DRF\'s challenge', async () => {
    const anonymous = await call('GET', 'user/')
    expect401(anonymous, 'Authentication credentials were not provided.')
    // DRF names the view's methods on every reply, refused or not.
    expect(anonymous.headers.allow).toBe('GET, PUT, PATCH, HEAD, OPTIONS')
    expect((await call('GET', 'user/', undefined, (await signUp()).key)).headers.allow).toBe('GET, PUT, PATCH, HEAD, OPTIONS')
    expectJson(await call('GET', 'no-such-view/'), 404, { detail: 'Not found.' })
    expect401(await call('PATCH', 'user/', { username: 'x' }), 'Authentication credentials were not provided.')
    expect401(await call('GET', 'user/', undefined, 'tsr_unknown'), 'Invalid token.')
    expect401(await call('POST', 'user/', {}), 'Authentication credentials were not provided.')
  })

  test('PATCH changes the username; first and last name are answered "" and not stored; e-mail is read-only', async () => {
    const account = await signUp()
    const renamed = `${account.username}x`
    expectJson(await call('PATCH', 'user/', { username: renamed, first_name: 'Alice', last_name: 'Liddell', email: 'other@example.com' }, account.key), 200, {
      pk: account.id,
      username: renamed,
      email: account.email,
      first_name: '',
      last_name: '',
    })
    expect(await server.tessera.getUser(account.id)).toMatchObject({ username: renamed, email: account.email })
    expectJson(await call('PATCH', 'user/', {}, account.key), 200, { pk: account.id, username: renamed, email: account.email, first_name: '', last_name: '' })
  })

  test('PUT requires the username', async () => {
    const account = await signUp()
    expectJson(await call('PUT', 'user/', { first_name: 'A' }, account.key), 400, { username: [REQUIRED] })
    const response = await call('PUT', 'user/', { username: `${account.username}p`, first_name: '', last_name: '' }, account.key)
    expectJson(response, 200, { pk: account.id, username: `${account.username}p`, email: account.email, first_name: '', last_name: '' })
  })

  test('privilege fields are never applied', async () => {
    const account = await signUp()
    expect((await call('PATCH', 'user/', { is_staff: true, is_superuser: true, is_active: false, pk: 1 }, account.key)).statusCode).toBe(200)
    expect(await server.tessera.getUser(account.id)).toMatchObject({ isStaff: false, isSuperuser: false, isActive: true })
    expect(await keyWorks(account.key)).toBe(true)
  })

  test('bad input: a taken or malformed username, wrong types, too long a name, a JSON list', async () => {
    const account = await signUp()
    const other = await signUp()
    expectJson(await call('PATCH', 'user/', { username: other.username }, account.key), 400, { username: ['A user with that username already exists.'] })
    expectJson(await call('PATCH', 'user/', { username: 'bad name!' }, account.key), 400, {
      username: ['Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.'],
    })
    expectJson(await call('PATCH', 'user/', { username: '' }, account.key), 400, { username: ['This field may not be blank.'] })
    expectJson(await call('PATCH', 'user/', { username: false, first_name: [], last_name: 'x'.repeat(151) }, account.key), 400, {
      username: ['Not a valid string.'],
      first_name: ['Not a valid string.'],
      last_name: ['Ensure this field has no more than 150 characters.'],
    })
    expectJson(await call('PATCH', 'user/', [{ username: 'x' }], account.key), 400, { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] })
    const post = await call('POST', 'user/', {}, account.key)
    expectJson(post, 405, { detail: 'Method "POST" not allowed.' })
    expect(post.headers.allow).toBe('GET, PUT, PATCH, HEAD, OPTIONS')
  })
})

describe('POST password/change/', () => {
  test('without old_password (dj-rest-auth default): 200, the caller stays signed in, other sessions end', async () => {
    const account = await signUp()
    const other = expectKey(await post('login/', { username: account.username, password: account.password }))
    expectJson(await post('password/change/', { new_password1: NEW_PASSWORD, new_password2: NEW_PASSWORD }, account.key), 200, { detail: 'New password has been saved.' })
    expect(await keyWorks(account.key)).toBe(true)
    expect(await keyWorks(other)).toBe(false)
    expectJson(await post('login/', { username: account.username, password: account.password }), 400, BAD_CREDENTIALS)
    expectKey(await post('login/', { username: account.username, password: NEW_PASSWORD }))
  })

  test('an old_password that is sent is checked', async () => {
    const account = await signUp()
    expectJson(await post('password/change/', { old_password: 'wrong', new_password1: NEW_PASSWORD, new_password2: NEW_PASSWORD }, account.key), 400, {
      old_password: ['Your old password was entered incorrectly. Please enter it again.'],
    })
    expectJson(await post('password/change/', { old_password: account.password, new_password1: NEW_PASSWORD, new_password2: NEW_PASSWORD }, account.key), 200, {
      detail: 'New password has been saved.',
    })
    expect(await keyWorks(account.key)).toBe(true)
  })

  test("mismatch (Django's curly apostrophe), weak, missing, wrong types", async () => {
    const account = await signUp()
    expectJson(await post('password/change/', { new_password1: NEW_PASSWORD, new_password2: `${NEW_PASSWORD}x` }, account.key), 400, { new_password2: [SET_PASSWORD_MISMATCH] })
    expectJson(await post('password/change/', { new_password1: '1234', new_password2: '1234' }, account.key), 400, {
      new_password2: ['This password is too short. It must contain at least 8 characters.', 'This password is too common.', 'This password is entirely numeric.'],
    })
    expectJson(await post('password/change/', {}, account.key), 400, { new_password1: [REQUIRED], new_password2: [REQUIRED] })
    expectJson(await post('password/change/', { new_password1: 1, new_password2: 'x'.repeat(129) }, account.key), 400, {
      new_password2: ['Ensure this field has no more than 128 characters.'],
    })
    expectJson(await post('password/change/', { new_password1: {}, new_password2: [] }, account.key), 400, {
      new_password1: ['Not a valid string.'],
      new_password2: ['Not a valid string.'],
    })
    expectKey(await post('login/', { username: account.username, password: account.password }))
  })

  test('401 without a key', async () => {
    expect401(await post('password/change/', { new_password1: NEW_PASSWORD, new_password2: NEW_PASSWORD }), 'Authentication credentials were not provided.')
  })
})

describe('POST password/reset/ and password/reset/confirm/', () => {
  test('the mail links to PASSWORD_RESET_CONFIRM_URL with uid and token, which confirm sets the password with', async () => {
    const account = await signUp()
    const other = expectKey(await post('login/', { username: account.username, password: account.password }))
    expectJson(await post('password/reset/', { email: account.email.toUpperCase() }), 200, { detail: 'Password reset e-mail has been sent.' })
    const [, uid, rawToken] = await mailTo(account.email, RESET_LINK)
    const token = decodeURIComponent(rawToken!)
    expect(uid).toBe(encodeUid(account.id))
    const confirm = (body: Record<string, unknown>) => post('password/reset/confirm/', { uid, token, new_password1: NEW_PASSWORD, new_password2: NEW_PASSWORD, ...body })

    expectJson(await confirm({ uid: 'xx!' }), 400, { uid: ['Invalid value'] })
    expectJson(await confirm({ uid: encodeUid(987_654) }), 400, { uid: ['Invalid value'] })
    expectJson(await confirm({ token: 'bad-token' }), 400, { token: ['Invalid value'] })
    const stranger = await signUp()
    expectJson(await confirm({ uid: encodeUid(stranger.id) }), 400, { token: ['Invalid value'] })
    expectJson(await confirm({ token: 'bad-token', new_password2: 'differs 12345' }), 400, { token: ['Invalid value'] })
    expectJson(await confirm({ new_password2: `${NEW_PASSWORD}x` }), 400, { new_password2: [SET_PASSWORD_MISMATCH] })
    expectJson(await confirm({ new_password1: '12345678', new_password2: '12345678' }), 400, {
      new_password2: ['This password is too common.', 'This password is entirely numeric.'],
    })

    expectJson(await confirm({}), 200, { detail: 'Password has been reset with the new password.' })
    expectJson(await confirm({}), 400, { token: ['Invalid value'] })
    // Tessera ends every session on a reset.
    expect(await keyWorks(account.key)).toBe(false)
    expect(await keyWorks(other)).toBe(false)
    expectKey(await post('login/', { email: account.email, password: NEW_PASSWORD }))
  })

  test('an unknown e-mail gets the same answer and no mail; a bad or missing e-mail is 400', async () => {
    expectJson(await post('password/reset/', { email: 'nobody-reset@example.com' }), 200, { detail: 'Password reset e-mail has been sent.' })
    await noMailTo('nobody-reset@example.com')
    expectJson(await post('password/reset/', { email: 'not-an-email' }), 400, { email: ['Enter a valid email address.'] })
    expectJson(await post('password/reset/', {}), 400, { email: [REQUIRED] })
    expectJson(await post('password/reset/', ['x']), 400, { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] })
  })

  test('confirm: missing fields and wrong types', async () => {
    expectJson(await post('password/reset/confirm/', {}), 400, { new_password1: [REQUIRED], new_password2: [REQUIRED], uid: [REQUIRED], token: [REQUIRED] })
    expectJson(await post('password/reset/confirm/', { uid: 1, token: true, new_password1: null, new_password2: 'x' }), 400, {
      token: ['Not a valid string.'],
      new_password1: ['This field may not be null.'],
    })
  })
})

test('an unknown path under the prefix is a JSON 404', async () => {
  expectJson(await call('GET', 'no-such-route/'), 404, { detail: 'Not found.' })
})

describe('REQUIRE_VERIFIED_EMAIL=true: allauth\'s mandatory verification', () => {
  let strict: TestServer
  const strictMailer = createMemoryMailer()
  beforeAll(async () => {
    strict = await makeServer({ PROFILES: 'dj-rest-auth', REQUIRE_VERIFIED_EMAIL: 'true', ACTIVATION_URL: 'https://app.example/verify/{uid}/{token}' }, { mailer: strictMailer })
  })
  afterAll(async () => {
    await strict?.dispose()
  })
  const at = (path: string, payload: object) => strict.app.inject({ method: 'POST', url: `/rest-auth/${path}`, payload })

  test('registration mails the link and hands out no key; login waits for the confirmation', async () => {
    const account = newAccount('djv')
    expectJson(await at('registration/', { username: account.username, email: account.email, password1: account.password, password2: account.password }), 201, {
      detail: 'Verification e-mail sent.',
    })
    const user = await strict.tessera.findUser(account.email)
    expect(await strict.tessera.listSessions(user!.id)).toEqual([])
    expectJson(await at('login/', { username: account.username, password: account.password }), 400, { non_field_errors: ['E-mail is not verified.'] })
    expectJson(await at('login/', { username: account.username, password: 'wrong' }), 400, BAD_CREDENTIALS)
    let key: string | undefined
    for (let i = 0; i < 100 && !key; i++) {
      key = strictMailer.sent.find((mail) => mail.to === account.email)?.text.match(VERIFY_LINK)?.[2]
      if (!key) await new Promise((resolve) => setTimeout(resolve, 20))
    }
    expectJson(await at('registration/verify-email/', { key: decodeURIComponent(key!) }), 200, { detail: 'ok' })
    expectKey(await at('login/', { username: account.username, password: account.password }))
  })
})

describe('LOGIN_THROTTLE=3/15m, DJ_REST_AUTH_PREFIX=/api/auth beside the canonical face', () => {
  let other: TestServer
  beforeAll(async () => {
    other = await makeServer({ PROFILES: 'canonical,drf,dj-rest-auth', DJ_REST_AUTH_PREFIX: '/api/auth', LOGIN_THROTTLE: '3/15m' })
  })
  afterAll(async () => {
    await other?.dispose()
  })
  const at = (url: string, payload: object) => other.app.inject({ method: 'POST', url, payload })

  test('the face answers under its prefix, not under the default; canonical is untouched', async () => {
    const account = newAccount('djp')
    const key = expectKey(await at('/api/auth/registration/', { username: account.username, email: account.email, password1: account.password, password2: account.password }), 201)
    expectKey(await at('/api/auth/login/', { username: account.username, password: account.password }))
    const me = await other.app.inject({ method: 'GET', url: '/api/auth/user/', headers: { authorization: `Token ${key}` } })
    expect(me.json()).toMatchObject({ username: account.username })
    expect(me.headers.allow).toBe('GET, PUT, PATCH, HEAD, OPTIONS')
    expect((await at('/rest-auth/login/', { username: account.username, password: account.password })).statusCode).toBe(404)
    expect((await at('/auth/login', { email: account.email, password: account.password })).statusCode).toBe(200)
  })

  test('the fourth login after three failures is 429 with DRF\'s message and Retry-After', async () => {
    const account = newAccount('djt')
    expectKey(await at('/api/auth/registration/', { username: account.username, email: account.email, password1: account.password, password2: account.password }), 201)
    for (let i = 0; i < 3; i++) expectJson(await at('/api/auth/login/', { username: account.username, password: 'wrong' }), 400, BAD_CREDENTIALS)
    const refused = await at('/api/auth/login/', { email: account.email, password: account.password })
    expect(refused.statusCode).toBe(429)
    expect(refused.headers['content-type']).toMatch(/^application\/json/)
    expect(Object.keys(refused.json())).toEqual(['detail'])
    expect(refused.json().detail).toMatch(THROTTLED)
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)
    expect(refused.body).not.toContain('tsr_')
  })
})

describe('every view that reads a body answers a body of the wrong kind with a 4xx', () => {
  const views: Array<[method: 'POST' | 'PUT' | 'PATCH', path: string, authenticated: boolean]> = [
    ['POST', 'registration/', false],
    ['POST', 'registration/verify-email/', false],
    ['POST', 'registration/resend-email/', false],
    ['POST', 'password/reset/', false],
    ['POST', 'password/reset/confirm/', false],
    ['POST', 'password/change/', true],
    ['PUT', 'user/', true],
    ['PATCH', 'user/', true],
  ]
  test.each(views)('%s %s: a list, a string, null, malformed JSON, text/plain', async (method, path, authenticated) => {
    const key = authenticated ? (await signUp()).key : undefined
    const json = { 'content-type': 'application/json' }
    expectJson(await call(method, path, ['x'], key), 400, { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] })
    expectJson(await call(method, path, '"x"', key, json), 400, { non_field_errors: ['Invalid data. Expected a dictionary, but got str.'] })
    const empty = await call(method, path, 'null', key, json)
    expect(empty.statusCode, empty.body).toBe(400)
    const malformed = await call(method, path, '{"a": ', key, json)
    expect(malformed.statusCode, malformed.body).toBe(400)
    expect(malformed.json()).toEqual({ detail: expect.stringMatching(/^JSON parse error - /) })
    expectJson(await call(method, path, 'a=b', key, { 'content-type': 'text/plain' }), 415, { detail: 'Unsupported media type "text/plain" in request.' })
  })
})
