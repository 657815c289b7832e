import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { bearer, expectProblem, expectUnauthorized, login, makeServer, register, whoAmI, type TestServer } from '../support/server.js'

const NEW_PASSWORD = 'a brand new passphrase 77'

let server: TestServer
beforeAll(async () => {
  server = await makeServer()
})
afterAll(async () => {
  await server?.dispose()
})

const change = (token: string | null, payload: object) =>
  server.app.inject({ method: 'POST', url: '/auth/password/change', payload, headers: token ? bearer(token) : {} })

describe('POST /auth/password/change', () => {
  test('answers 204, keeps the calling session, and revokes every other one', async () => {
    const user = await register(server)
    const phone = await login(server, { email: user.email, password: user.password, device: 'phone' })

    const response = await change(user.token, { currentPassword: user.password, newPassword: NEW_PASSWORD })
    expect(response.statusCode, response.body).toBe(204)
    expect(response.body).toBe('')
    expect((await whoAmI(server, user.token)).statusCode).toBe(200)
    expectUnauthorized(await whoAmI(server, phone.token))

    expectProblem(await server.app.inject({ method: 'POST', url: '/auth/login', payload: { email: user.email, password: user.password } }), 400, 'invalid_credentials')
    await login(server, { email: user.email, password: NEW_PASSWORD })
  })

  test('a wrong current password is 400 validation_failed with errors.currentPassword, and nothing changes', async () => {
    const user = await register(server)
    const body = expectProblem(await change(user.token, { currentPassword: 'not my password', newPassword: NEW_PASSWORD }), 400, 'validation_failed')
    expect(body.errors).toEqual({ currentPassword: ['Your old password was entered incorrectly. Please enter it again.'] })
    await login(server, { email: user.email, password: user.password })
  })

  test('the validators apply to the new password', async () => {
    const user = await register(server)
    const body = expectProblem(await change(user.token, { currentPassword: user.password, newPassword: 'password' }), 400, 'validation_failed')
    expect(body.errors?.newPassword).toContain('This password is too common.')
  })

  test('needs authentication', async () => {
    expectUnauthorized(await change(null, { currentPassword: 'x', newPassword: NEW_PASSWORD }), 'not_authenticated')
  })

  test('missing and unknown fields are validation errors', async () => {
    const user = await register(server)
    expect(expectProblem(await change(user.token, { newPassword: NEW_PASSWORD }), 400, 'validation_failed').errors).toHaveProperty('currentPassword')
    expect(
      expectProblem(await change(user.token, { currentPassword: user.password, newPassword: NEW_PASSWORD, isStaff: true }), 400, 'validation_failed').errors,
    ).toHaveProperty('isStaff')
  })
})
