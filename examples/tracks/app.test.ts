import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Tessera } from '../../src/core/tessera.js'
import { openTessera, type OpenTessera } from '../../src/open-tessera.js'
import { buildTracksApp } from './app.js'

const NOT_PROVIDED = { detail: 'Authentication credentials were not provided.' }
const INVALID_TOKEN = { detail: 'Invalid token.' }
const PERMISSION_DENIED = { detail: 'You do not have permission to perform this action.' }
const PASSWORD = 'Correct-Horse-Battery-9'

let opened: OpenTessera
let tessera: Tessera
let app: FastifyInstance
let alice: string
let bob: string
let staff: string

/** A new user with a fresh session; returns the session's token. */
async function signUp(username: string, isStaff = false): Promise<string> {
  const user = await tessera.createUser({ email: `${username}@example.com`, username, password: PASSWORD }, { isStaff })
  return (await tessera.createSession(user, 'tests')).token
}

const auth = (token: string, scheme = 'Token') => ({ authorization: `${scheme} ${token}` })

async function postTrack(token: string, title = 'Blue in Green') {
  return app.inject({ method: 'POST', url: '/tracks/', headers: auth(token), payload: { title, artist: 'Miles Davis' } })
}

beforeAll(async () => {
  opened = await openTessera({ databaseUrl: 'sqlite::memory:', cacheSize: 100, settings: {} })
  tessera = opened.tessera
  app = await buildTracksApp(tessera)
  ;[alice, bob, staff] = [await signUp('alice'), await signUp('bob'), await signUp('root', true)]
})

afterAll(async () => {
  await app?.close()
  await opened?.close()
})

describe('the tracks example (IsAuthenticatedOrReadOnly)', () => {
  it('lets an anonymous caller list and read tracks', async () => {
    const created = (await postTrack(alice, 'So What')).json()
    const list = await app.inject({ method: 'GET', url: '/tracks/' })
    expect(list.statusCode).toBe(200)
    expect(list.json()).toContainEqual(created)
    const one = await app.inject({ method: 'GET', url: `/tracks/${created.id}` })
    expect(one.statusCode).toBe(200)
    expect(one.json()).toEqual(created)
    expect((await app.inject({ method: 'GET', url: '/tracks/99999' })).json()).toEqual({ detail: 'Not found.' })
  })

  it('refuses an anonymous POST with 401, a Token challenge and DRF’s message', async () => {
    const response = await app.inject({ method: 'POST', url: '/tracks/', payload: { title: 'x', artist: 'y' } })
    expect(response.statusCode).toBe(401)
    expect(response.headers['www-authenticate']).toBe('Token')
    expect(response.json()).toEqual(NOT_PROVIDED)
  })

  it('creates a track owned by the token’s user with 201', async () => {
    const response = await postTrack(alice)
    expect(response.statusCode).toBe(201)
    expect(response.json()).toMatchObject({ title: 'Blue in Green', artist: 'Miles Davis', owner: 'alice' })
    expect(response.json().id).toEqual(expect.any(Number))
  })

  it('accepts the token under the Bearer keyword too', async () => {
    const response = await app.inject({ method: 'POST', url: '/tracks/', headers: auth(bob, 'Bearer'), payload: { title: 'a', artist: 'b' } })
    expect(response.statusCode).toBe(201)
    expect(response.json().owner).toBe('bob')
  })

  it('answers a missing field with DRF’s 400 field errors', async () => {
    const response = await app.inject({ method: 'POST', url: '/tracks/', headers: auth(alice), payload: { artist: 'Miles Davis' } })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toEqual({ title: ['This field is required.'] })
    const empty = await app.inject({ method: 'POST', url: '/tracks/', headers: auth(alice) })
    expect(empty.statusCode).toBe(400)
    expect(empty.json()).toEqual({ title: ['This field is required.'], artist: ['This field is required.'] })
    const list = await app.inject({ method: 'POST', url: '/tracks/', headers: auth(alice), payload: [1] })
    expect(list.json()).toEqual({ non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] })
  })

  it('answers bad JSON with 400 and a detail, not a 500', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/tracks/',
      headers: { ...auth(alice), 'content-type': 'application/json' },
      payload: '{"title":',
    })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toEqual({ detail: expect.any(String) })
  })

  it('refuses a bad token with 401 "Invalid token." even on a read-only route', async () => {
    for (const token of ['tsr_' + 'A'.repeat(43), 'nonsense', '0'.repeat(40)]) {
      const response = await app.inject({ method: 'GET', url: '/tracks/', headers: auth(token) })
      expect(response.statusCode).toBe(401)
      expect(response.headers['www-authenticate']).toBe('Token')
      expect(response.json()).toEqual(INVALID_TOKEN)
    }
  })

  it('refuses DELETE by another user with 403 and lets the owner and staff delete', async () => {
    const first = (await postTrack(alice)).json()
    const second = (await postTrack(alice)).json()
    const denied = await app.inject({ method: 'DELETE', url: `/tracks/${first.id}`, headers: auth(bob) })
    expect(denied.statusCode).toBe(403)
    expect(denied.json()).toEqual(PERMISSION_DENIED)
    expect((await app.inject({ method: 'DELETE', url: `/tracks/${first.id}`, headers: auth(alice) })).statusCode).toBe(204)
    expect((await app.inject({ method: 'GET', url: `/tracks/${first.id}` })).statusCode).toBe(404)
    expect((await app.inject({ method: 'DELETE', url: `/tracks/${second.id}`, headers: auth(staff) })).statusCode).toBe(204)
  })

  it('refuses an anonymous DELETE with 401', async () => {
    const track = (await postTrack(alice)).json()
    const response = await app.inject({ method: 'DELETE', url: `/tracks/${track.id}` })
    expect(response.statusCode).toBe(401)
    expect(response.json()).toEqual(NOT_PROVIDED)
  })

  it('refuses a token at once after logout, though it was cached a moment before', async () => {
    const token = await signUp('carol')
    expect((await postTrack(token)).statusCode).toBe(201)
    const check = await tessera.validateToken(token)
    if (!check.ok) throw new Error('expected a live token')
    await tessera.logout(check.principal)
    const response = await app.inject({ method: 'GET', url: '/tracks/', headers: auth(token) })
    expect(response.statusCode).toBe(401)
    expect(response.json()).toEqual(INVALID_TOKEN)
    // Only that session ended: the other users' tokens still work.
    expect((await postTrack(alice)).statusCode).toBe(201)
  })
})
