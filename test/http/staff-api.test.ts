import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { UserRecord } from '../../src/store/store.js'
import { bearer, expectProblem, expectUnauthorized, makeServer, newAccount, register, whoAmI, type TestServer } from '../support/server.js'

let server: TestServer
let staffToken: string
let staffUser: UserRecord
let superToken: string
let superUser: UserRecord

beforeAll(async () => {
  server = await makeServer()
  staffUser = await server.tessera.createUser(newAccount('staff'), { isStaff: true })
  staffToken = (await server.tessera.createSession(staffUser, 'ops')).token
  superUser = await server.tessera.createUser(newAccount('root'), { isSuperuser: true })
  superToken = (await server.tessera.createSession(superUser, 'ops')).token
})
afterAll(async () => {
  await server?.dispose()
})

type Method = 'GET' | 'PATCH' | 'POST' | 'DELETE'
const call = (method: Method, url: string, token?: string, payload?: object) =>
  server.app.inject({ method, url, headers: token ? bearer(token) : {}, ...(payload ? { payload } : {}) })

interface UsersPage {
  users: { id: number; email: string; username: string; isActive: boolean; isStaff: boolean; isSuperuser: boolean }[]
  nextCursor: string | null
}
async function listUsers(query: string, token = staffToken): Promise<UsersPage> {
  const response = await call('GET', `/auth/admin/users?${query}`, token)
  expect(response.statusCode, response.body).toBe(200)
  return response.json() as UsersPage
}

describe('access', () => {
  test('anonymous is 401, a non-staff user 403 on every route', async () => {
    const plain = await register(server)
    const routes: [Method, string, object?][] = [
      ['GET', '/auth/admin/users'],
      ['PATCH', `/auth/admin/users/${plain.userId}`, { isActive: false }],
      ['GET', `/auth/admin/users/${plain.userId}/sessions`],
      ['DELETE', `/auth/admin/users/${plain.userId}/sessions`],
      ['POST', `/auth/admin/users/${plain.userId}/tokens`, { device: 'x' }],
    ]
    for (const [method, url, body] of routes) {
      expectUnauthorized(await call(method, url, undefined, body), 'not_authenticated')
      expectProblem(await call(method, url, plain.token, body), 403, 'permission_denied')
    }
    expect((await whoAmI(server, plain.token)).statusCode).toBe(200)
  })
})

describe('GET /auth/admin/users', () => {
  test('q matches a substring of e-mail or username in any case', async () => {
    const tag = `Zq${Date.now()}`
    const byEmail = await register(server, { email: `a.${tag.toLowerCase()}@example.org` })
    const byName = await register(server, { username: `b_${tag}` })
    await register(server)
    const page = await listUsers(`q=${tag.toUpperCase()}`)
    expect(page.users.map((u) => u.id)).toEqual([byEmail.userId, byName.userId])
    expect(page.nextCursor).toBeNull()
    expect((await listUsers(`q=${encodeURIComponent(`B_${tag.toLowerCase()}`)}`)).users.map((u) => u.id)).toEqual([byName.userId])
    expect((await listUsers('q=%25')).users).toEqual([])
  })

  test('active and staff filter', async () => {
    const tag = `flt${Date.now()}`
    const plain = await register(server, { username: `${tag}plain` })
    const gone = await register(server, { username: `${tag}gone` })
    await server.tessera.setUserActive(gone.userId, false)
    const boss = await server.tessera.createUser({ ...newAccount(), username: `${tag}boss` }, { isStaff: true })
    const ids = async (q: string) => (await listUsers(`q=${tag}&${q}`)).users.map((u) => u.id)
    expect(await ids('active=false')).toEqual([gone.userId])
    expect(await ids('active=true')).toEqual([plain.userId, boss.id])
    expect(await ids('staff=true')).toEqual([boss.id])
    expect(await ids('staff=false&active=true')).toEqual([plain.userId])
  })

  test('pages by id across 3 pages; nextCursor is null on the last', async () => {
    const tag = `pg${Date.now()}`
    const made: number[] = []
    for (let i = 0; i < 5; i++) made.push((await register(server, { username: `${tag}u${i}` })).userId)
    const first = await listUsers(`q=${tag}&limit=2`)
    expect(first.users.map((u) => u.id)).toEqual(made.slice(0, 2))
    expect(first.nextCursor).toEqual(expect.any(String))
    const second = await listUsers(`q=${tag}&limit=2&cursor=${first.nextCursor}`)
    expect(second.users.map((u) => u.id)).toEqual(made.slice(2, 4))
    const third = await listUsers(`q=${tag}&limit=2&cursor=${second.nextCursor}`)
    expect(third.users.map((u) => u.id)).toEqual(made.slice(4))
    expect(third.nextCursor).toBeNull()
    // A page that ends exactly at the last match also says so.
    const exact = await listUsers(`q=${tag}&limit=5`)
    expect(exact.users).toHaveLength(5)
    expect(exact.nextCursor).toBeNull()
  })

  test('the default limit is 50', async () => {
    for (let i = 0; i < 50; i++) await server.tessera.createUser(newAccount('bulk'))
    const page = await listUsers('')
    expect(page.users).toHaveLength(50)
    expect(page.nextCursor).not.toBeNull()
    expect((await listUsers('limit=200')).users.length).toBeGreaterThan(50)
  })

  test.each(['limit=0', 'limit=201', 'limit=x', 'limit=', 'limit=-1', 'active=yes', 'staff=1', 'cursor=***', 'cursor=eA', 'cursor=', 'other=1'])(
    '%s is a 400 problem',
    async (query) => {
      expectProblem(await call('GET', `/auth/admin/users?${query}`, staffToken), 400, 'validation_failed')
    },
  )

  test('q with a NUL or over-long text is never a 500', async () => {
    expect((await call('GET', '/auth/admin/users?q=a%00b', staffToken)).statusCode).toBe(200)
    expectProblem(await call('GET', `/auth/admin/users?q=${'a'.repeat(255)}`, staffToken), 400, 'validation_failed')
  })
})

describe('PATCH /auth/admin/users/:id', () => {
  test('deactivating kills the user\'s token at once (cache warmed first), reactivating allows login again', async () => {
    const user = await register(server)
    expect((await whoAmI(server, user.token)).statusCode).toBe(200)
    const response = await call('PATCH', `/auth/admin/users/${user.userId}`, staffToken, { isActive: false })
    expect(response.statusCode, response.body).toBe(200)
    expect(response.json().user).toMatchObject({ id: user.userId, isActive: false })
    expect((await whoAmI(server, user.token)).statusCode).toBe(401)
    expect(await server.tessera.listSessions(user.userId)).toEqual([])
    const back = await call('PATCH', `/auth/admin/users/${user.userId}`, staffToken, { isActive: true })
    expect(back.json().user.isActive).toBe(true)
    // Reactivation does not bring revoked sessions back.
    expect((await whoAmI(server, user.token)).statusCode).toBe(401)
  })

  test('staff may grant isStaff and change e-mail and username; a new e-mail is unverified', async () => {
    const user = await register(server)
    const account = newAccount('renamed')
    const response = await call('PATCH', `/auth/admin/users/${user.userId}`, staffToken, {
      isStaff: true,
      email: account.email,
      username: account.username,
    })
    expect(response.statusCode, response.body).toBe(200)
    expect(response.json().user).toMatchObject({ isStaff: true, email: account.email, username: account.username, emailVerified: false })
    // The user's cached principal is refreshed: GET /auth/user shows the new name.
    expect((await whoAmI(server, user.token)).json().user).toMatchObject({ username: account.username })
  })

  test('staff cannot grant isSuperuser (403); a superuser can, and it implies isStaff', async () => {
    const user = await register(server)
    expectProblem(await call('PATCH', `/auth/admin/users/${user.userId}`, staffToken, { isSuperuser: true }), 403, 'permission_denied')
    expect((await server.tessera.getUser(user.userId)).isSuperuser).toBe(false)
    const response = await call('PATCH', `/auth/admin/users/${user.userId}`, superToken, { isSuperuser: true })
    expect(response.statusCode, response.body).toBe(200)
    expect(response.json().user).toMatchObject({ isSuperuser: true, isStaff: true })
  })

  test('staff may not change a superuser\'s flags or e-mail, nor mint or revoke their sessions', async () => {
    const root = await server.tessera.createUser(newAccount('root'), { isSuperuser: true })
    for (const body of [{ isActive: false }, { isStaff: false }, { isSuperuser: false }, { email: newAccount().email }]) {
      expectProblem(await call('PATCH', `/auth/admin/users/${root.id}`, staffToken, body), 403, 'permission_denied')
    }
    expectProblem(await call('POST', `/auth/admin/users/${root.id}/tokens`, staffToken, { device: 'x' }), 403, 'permission_denied')
    expectProblem(await call('DELETE', `/auth/admin/users/${root.id}/sessions`, staffToken), 403, 'permission_denied')
    expect((await server.tessera.getUser(root.id)).isActive).toBe(true)
  })

  test('nobody may deactivate or demote themselves: 403 (prevents locking out the last admin)', async () => {
    for (const body of [{ isActive: false }, { isStaff: false }]) {
      const problem = expectProblem(await call('PATCH', `/auth/admin/users/${staffUser.id}`, staffToken, body), 403, 'permission_denied')
      expect(problem.detail).toMatch(/yourself/)
    }
    for (const body of [{ isActive: false }, { isSuperuser: false }, { isStaff: false }]) {
      expectProblem(await call('PATCH', `/auth/admin/users/${superUser.id}`, superToken, body), 403, 'permission_denied')
    }
    expect((await whoAmI(server, staffToken)).statusCode).toBe(200)
    expect((await whoAmI(server, superToken)).statusCode).toBe(200)
  })

  test('an e-mail or username someone holds is a 400 with errors.email / errors.username', async () => {
    const taken = await register(server)
    const user = await register(server)
    const email = expectProblem(
      await call('PATCH', `/auth/admin/users/${user.userId}`, staffToken, { email: taken.email.toUpperCase() }),
      400,
      'validation_failed',
    )
    expect(email.errors?.email?.[0]).toMatch(/already exists/)
    const name = expectProblem(
      await call('PATCH', `/auth/admin/users/${user.userId}`, staffToken, { username: taken.username }),
      400,
      'validation_failed',
    )
    expect(name.errors?.username?.[0]).toMatch(/already exists/)
  })

  test('bad input is a 400, an unknown id a 404, never a 500', async () => {
    const user = await register(server)
    const url = `/auth/admin/users/${user.userId}`
    for (const body of [{ email: 'not-an-email' }, { username: 'has space' }, { isActive: 'false' }, { bio: 'x' }, { email: 'a\u0000@b.co' }]) {
      expectProblem(await call('PATCH', url, staffToken, body), 400, 'validation_failed')
    }
    expectProblem(await server.app.inject({ method: 'PATCH', url, headers: bearer(staffToken) }), 400, 'validation_failed')
    expectProblem(await call('PATCH', '/auth/admin/users/abc', staffToken, {}), 400, 'validation_failed')
    expectProblem(await call('PATCH', '/auth/admin/users/999999999', staffToken, { isActive: false }), 404, 'not_found')
    expectProblem(await call('PATCH', '/auth/admin/users/999999999999999', staffToken, {}), 404, 'not_found')
    expectProblem(await call('GET', '/auth/admin/users/999999999/sessions', staffToken), 404, 'not_found')
    expectProblem(await call('DELETE', '/auth/admin/users/999999999/sessions', staffToken), 404, 'not_found')
    expectProblem(await call('POST', '/auth/admin/users/999999999/tokens', staffToken, { device: 'x' }), 404, 'not_found')
  })
})

describe('sessions and tokens', () => {
  test('lists a user\'s sessions and revokes them all', async () => {
    const user = await register(server, { device: 'phone' })
    const listed = await call('GET', `/auth/admin/users/${user.userId}/sessions`, staffToken)
    expect(listed.statusCode, listed.body).toBe(200)
    expect(listed.json().sessions).toEqual([expect.objectContaining({ id: user.sessionId, device: 'phone', current: false })])
    expect(listed.body).not.toContain(user.token)

    const revoked = await call('DELETE', `/auth/admin/users/${user.userId}/sessions`, staffToken)
    expect(revoked.statusCode).toBe(204)
    expect(revoked.body).toBe('')
    expect((await whoAmI(server, user.token)).statusCode).toBe(401)
    expect((await call('GET', `/auth/admin/users/${user.userId}/sessions`, staffToken)).json().sessions).toEqual([])
  })

  test('a token made for a user works against GET /auth/user', async () => {
    const user = await register(server)
    const response = await call('POST', `/auth/admin/users/${user.userId}/tokens`, staffToken, { device: 'support laptop' })
    expect(response.statusCode, response.body).toBe(201)
    const { token, session } = response.json() as { token: string; session: { id: string; device: string } }
    expect(session.device).toBe('support laptop')
    const me = await whoAmI(server, token)
    expect(me.statusCode).toBe(200)
    expect(me.json().user).toMatchObject({ id: user.userId, email: user.email })
    expectProblem(await call('POST', `/auth/admin/users/${user.userId}/tokens`, staffToken, {}), 400, 'validation_failed')
  })

  test('no token for an inactive user (400); a superuser may mint one for a superuser', async () => {
    const user = await register(server)
    await server.tessera.setUserActive(user.userId, false)
    expectProblem(await call('POST', `/auth/admin/users/${user.userId}/tokens`, staffToken, { device: 'x' }), 400, 'validation_failed')
    const root = await server.tessera.createUser(newAccount('root'), { isSuperuser: true })
    expect((await call('POST', `/auth/admin/users/${root.id}/tokens`, superToken, { device: 'x' })).statusCode).toBe(201)
  })
})
