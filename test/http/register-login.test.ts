import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { expectProblem, login, makeServer, newAccount, register, whoAmI, type TestServer } from '../support/server.js'

const TOKEN_SHAPE = /^tsr_[A-Za-z0-9_-]{43}$/
const USER_KEYS = ['dateJoined', 'email', 'emailVerified', 'id', 'isActive', 'isStaff', 'isSuperuser', 'lastLogin', 'username']
const SESSION_KEYS = ['createdAt', 'current', 'device', 'expiresAt', 'id', 'lastUsedAt']
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/

let server: TestServer
beforeAll(async () => {
  server = await makeServer()
})
afterAll(async () => {
  await server?.dispose()
})

const post = (url: string, payload: object, headers: Record<string, string> = {}) =>
  server.app.inject({ method: 'POST', url, payload, headers })

describe('POST /auth/register', () => {
  test('answers 201 with the user, a tsr_ token shown once, and the current session', async () => {
    const account = newAccount()
    const response = await post('/auth/register', { ...account, device: 'Pixel 8' })

    expect(response.statusCode, response.body).toBe(201)
    expect(response.headers['content-type']).toMatch(/^application\/json/)
    const body = response.json()
    expect(Object.keys(body).sort()).toEqual(['session', 'token', 'user'])
    expect(body.token).toMatch(TOKEN_SHAPE)
    expect(Object.keys(body.user).sort()).toEqual(USER_KEYS)
    expect(body.user).toMatchObject({
      email: account.email,
      username: account.username,
      isActive: true,
      isStaff: false,
      isSuperuser: false,
      emailVerified: false,
      lastLogin: null,
    })
    expect(body.user.id).toEqual(expect.any(Number))
    expect(body.user.dateJoined).toMatch(ISO_UTC)
    expect(Object.keys(body.session).sort()).toEqual(SESSION_KEYS)
    expect(body.session).toMatchObject({ device: 'Pixel 8', current: true })
    for (const field of ['createdAt', 'lastUsedAt', 'expiresAt']) expect(body.session[field]).toMatch(ISO_UTC)
    expect(response.body).not.toContain('passwordHash')
    expect(response.body).not.toContain('secretHash')
  })

  test('the token returned by registration authenticates at once', async () => {
    const user = await register(server)
    const me = await whoAmI(server, user.token)
    expect(me.statusCode).toBe(200)
    expect(me.json().user).toMatchObject({ id: user.userId, email: user.email })
  })

  test('the username defaults to the e-mail\'s local part, made unique', async () => {
    const local = `dora.${process.pid}`
    const first = await post('/auth/register', { email: `${local}@example.com`, password: 'correct horse battery staple 42' })
    expect(first.statusCode, first.body).toBe(201)
    expect(first.json().user.username).toBe(local)
    const second = await post('/auth/register', { email: `${local}@example.org`, password: 'correct horse battery staple 42' })
    expect(second.statusCode, second.body).toBe(201)
    expect(second.json().user.username).toMatch(new RegExp(`^${local.replace('.', '\\.')}-\\d+$`))
  })

  test('any valid e-mail registers without a username, even one with characters usernames may not hold', async () => {
    // RFC 5322 allows ' ! # $ % & * / = ? ^ ` { | } ~ in a local part; real people have o'brien@….
    for (const email of [`o'brien.${process.pid}@example.com`, `a!b#c.${process.pid}@example.com`]) {
      const response = await post('/auth/register', { email, password: 'correct horse battery staple 42' })
      expect(response.statusCode, response.body).toBe(201)
      expect(response.json().user.email).toBe(email)
    }
  })

  test('an e-mail differing only in case is the same account and is refused with errors.email', async () => {
    const first = await post('/auth/register', { email: 'Bob@x.com', password: 'correct horse battery staple 42' })
    expect(first.statusCode, first.body).toBe(201)
    expect(first.json().user.email).toBe('Bob@x.com')

    const second = await post('/auth/register', { email: 'bob@X.COM', username: 'other-bob', password: 'correct horse battery staple 42' })
    const problem = expectProblem(second, 400, 'validation_failed')
    expect(problem.errors?.email).toEqual(['A user with that email already exists.'])
  })

  test('an e-mail is stored trimmed and compared after trimming', async () => {
    const account = newAccount()
    const first = await post('/auth/register', { ...account, email: `  ${account.email}  ` })
    expect(first.statusCode, first.body).toBe(201)
    expect(first.json().user.email).toBe(account.email)
    const again = await post('/auth/register', { ...newAccount(), email: account.email.toUpperCase() })
    expect(expectProblem(again, 400, 'validation_failed').errors?.email).toBeDefined()
  })

  test('an e-mail in decomposed Unicode is stored as entered and is the same account as its composed form', async () => {
    const decomposed = `Zoe\u0301.${process.pid}@example.com`
    const composed = decomposed.normalize('NFC')
    expect(composed).not.toBe(decomposed)
    const first = await post('/auth/register', { email: decomposed, username: `zoe${process.pid}`, password: 'correct horse battery staple 42' })
    expect(first.statusCode, first.body).toBe(201)
    expect(first.json().user.email).toBe(decomposed)
    const second = await post('/auth/register', { email: composed.toLowerCase(), username: `zoe2${process.pid}`, password: 'correct horse battery staple 42' })
    expect(expectProblem(second, 400, 'validation_failed').errors?.email).toEqual(['A user with that email already exists.'])
  })

  test('a username that is someone else\'s e-mail is refused, so it cannot squat on their login', async () => {
    const victimEmail = `victim.${process.pid}@example.com`
    const squatter = await post('/auth/register', { email: `squatter.${process.pid}@example.com`, username: victimEmail, password: 'correct horse battery staple 42' })
    const problem = expectProblem(squatter, 400, 'validation_failed')
    expect(problem.errors?.username).toEqual(["A username may contain @ only when it is the account's own email."])

    const victim = await post('/auth/register', { email: victimEmail, password: 'correct horse battery staple 42' })
    expect(victim.statusCode, victim.body).toBe(201)
    expect(victim.json().user.email).toBe(victimEmail)
  })

  test('a username equal to the account\'s own e-mail is allowed, as Django projects often do', async () => {
    const email = `self.${process.pid}@example.com`
    const response = await post('/auth/register', { email, username: email.toUpperCase(), password: 'correct horse battery staple 42' })
    expect(response.statusCode, response.body).toBe(201)
  })

  test('a taken username, in any case, is refused with errors.username', async () => {
    const first = await register(server, { username: `Carol_${process.pid}` })
    const second = await post('/auth/register', { ...newAccount(), username: first.username.toLowerCase() })
    const problem = expectProblem(second, 400, 'validation_failed')
    expect(problem.errors?.username).toEqual(['A user with that username already exists.'])
    expect(problem.errors?.email).toBeUndefined()
  })

  test.each([
    ['too short', 'Zq9!x', 'This password is too short. It must contain at least 8 characters.'],
    ['too common', 'password123', 'This password is too common.'],
    ['entirely numeric', '86753091', 'This password is entirely numeric.'],
  ])('a password that is %s is refused with errors.password', async (_what, password, message) => {
    const response = await post('/auth/register', { ...newAccount(), password })
    const problem = expectProblem(response, 400, 'validation_failed')
    expect(problem.errors?.password).toContain(message)
    expect(Object.keys(problem.errors ?? {})).toEqual(['password'])
  })

  test('a password too similar to the username or the e-mail is refused with errors.password', async () => {
    const byUsername = await post('/auth/register', { email: 'z1@example.com', username: 'marguerite', password: 'Marguerite1' })
    expect(expectProblem(byUsername, 400, 'validation_failed').errors?.password).toContain(
      'The password is too similar to the username.',
    )
    const byEmail = await post('/auth/register', { email: 'bartholomew@example.com', username: 'z2', password: 'bartholomew!' })
    expect(expectProblem(byEmail, 400, 'validation_failed').errors?.password).toContain('The password is too similar to the email.')
  })

  test('a refused registration creates no account', async () => {
    const account = newAccount()
    expect((await post('/auth/register', { ...account, password: 'password' })).statusCode).toBe(400)
    expect((await post('/auth/login', { email: account.email, password: 'password' })).statusCode).toBe(400)
    expect((await post('/auth/register', account)).statusCode).toBe(201)
  })
})

describe('POST /auth/login', () => {
  let account: Awaited<ReturnType<typeof register>>
  beforeAll(async () => {
    account = await register(server)
  })

  test('logs in by e-mail with a new token for a new session', async () => {
    const response = await post('/auth/login', { email: account.email, password: account.password })
    expect(response.statusCode, response.body).toBe(200)
    const body = response.json()
    expect(Object.keys(body).sort()).toEqual(['session', 'token', 'user'])
    expect(body.token).toMatch(TOKEN_SHAPE)
    expect(body.token).not.toBe(account.token)
    expect(body.session.id).not.toBe(account.sessionId)
    expect(body.session.current).toBe(true)
    expect(body.user).toMatchObject({ id: account.userId, email: account.email })
    expect(body.user.lastLogin).toMatch(ISO_UTC)
    expect((await whoAmI(server, body.token)).statusCode).toBe(200)
    expect((await whoAmI(server, account.token)).statusCode).toBe(200)
  })

  test('logs in by username', async () => {
    const response = await post('/auth/login', { username: account.username, password: account.password })
    expect(response.statusCode, response.body).toBe(200)
    expect(response.json().user.id).toBe(account.userId)
  })

  test('logs in by e-mail in another case', async () => {
    const response = await post('/auth/login', { email: account.email.toUpperCase(), password: account.password })
    expect(response.statusCode, response.body).toBe(200)
    expect(response.json().user.id).toBe(account.userId)
  })

  test('answers one identical 400 invalid_credentials for an unknown user, a wrong password and an inactive user', async () => {
    const inactive = await register(server)
    await server.tessera.setUserActive(inactive.userId, false)

    const unknown = await post('/auth/login', { email: 'nobody-at-all@example.com', password: account.password })
    const wrong = await post('/auth/login', { email: account.email, password: 'not the password at all' })
    const disabled = await post('/auth/login', { email: inactive.email, password: inactive.password })

    const problem = expectProblem(unknown, 400, 'invalid_credentials')
    expect(problem.errors).toBeUndefined()
    for (const response of [wrong, disabled]) {
      expect(response.statusCode).toBe(400)
      expect(response.headers['content-type']).toBe(unknown.headers['content-type'])
      expect(response.body).toBe(unknown.body)
    }
  })

  test('an unknown username is refused like an unknown e-mail', async () => {
    const response = await post('/auth/login', { username: 'no-such-user', password: 'whatever it is' })
    expectProblem(response, 400, 'invalid_credentials')
  })

  test('names the session after the body device when one is given', async () => {
    const { sessionId } = await login(server, { email: account.email, password: account.password, device: 'Work laptop' })
    const sessions = await server.tessera.listSessions(account.userId)
    expect(sessions.find((s) => s.id === sessionId)?.device).toBe('Work laptop')
  })

  test('names the session after the User-Agent when the body has no device', async () => {
    const response = await post('/auth/login', { email: account.email, password: account.password }, { 'user-agent': 'MyApp/2.1 (iOS 18)' })
    expect(response.statusCode, response.body).toBe(200)
    expect(response.json().session.device).toBe('MyApp/2.1 (iOS 18)')
  })

  test('the body device wins over the User-Agent', async () => {
    const response = await post(
      '/auth/login',
      { email: account.email, password: account.password, device: 'Kitchen tablet' },
      { 'user-agent': 'MyApp/2.1' },
    )
    expect(response.json().session.device).toBe('Kitchen tablet')
  })

  test('a login with neither e-mail nor username is a validation failure naming email', async () => {
    const response = await post('/auth/login', { password: account.password })
    expect(expectProblem(response, 400, 'validation_failed').errors?.email).toEqual(['This field is required.'])
  })

  test('a login without a password is a validation failure naming password', async () => {
    const response = await post('/auth/login', { email: account.email })
    expect(expectProblem(response, 400, 'validation_failed').errors?.password).toEqual(['This field is required.'])
  })
})

describe('PATCH /auth/user', () => {
  const patch = (token: string, payload: object) =>
    server.app.inject({ method: 'PATCH', url: '/auth/user', headers: { authorization: `Bearer ${token}` }, payload })

  test('changes the e-mail, which then logs in, and marks it unverified', async () => {
    const user = await register(server)
    const email = `moved.${user.username}@example.org`
    const response = await patch(user.token, { email })
    expect(response.statusCode, response.body).toBe(200)
    expect(response.json().user).toMatchObject({ id: user.userId, email, emailVerified: false })
    expect((await whoAmI(server, user.token)).json().user.email).toBe(email)
    expect((await post('/auth/login', { email, password: user.password })).statusCode).toBe(200)
    expect((await post('/auth/login', { email: user.email, password: user.password })).statusCode).toBe(400)
  })

  test('refuses an e-mail another account holds in any case, naming email', async () => {
    const holder = await register(server)
    const user = await register(server)
    const problem = expectProblem(await patch(user.token, { email: holder.email.toUpperCase() }), 400, 'validation_failed')
    expect(problem.errors?.email).toEqual(['A user with that email already exists.'])
    expect((await whoAmI(server, user.token)).json().user.email).toBe(user.email)
  })

  test('refuses a malformed e-mail or username, naming the field', async () => {
    const user = await register(server)
    expect(expectProblem(await patch(user.token, { email: 'not-an-email' }), 400, 'validation_failed').errors?.email).toBeDefined()
    expect(expectProblem(await patch(user.token, { username: 'has space' }), 400, 'validation_failed').errors?.username).toBeDefined()
  })
})
