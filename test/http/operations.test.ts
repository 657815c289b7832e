import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { expectProblem, makeServer, type TestServer } from '../support/server.js'

let server: TestServer
beforeAll(async () => {
  server = await makeServer()
})
afterAll(async () => {
  await server?.dispose()
})

const get = (url: string) => server.app.inject({ method: 'GET', url })

describe('health', () => {
  test('GET /healthz answers 200 while the process is up', async () => {
    const response = await get('/healthz')
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toMatch(/^application\/json/)
    expect(response.json()).toEqual({ status: 'ok' })
  })

  test('GET /readyz answers 200 when the database is reachable', async () => {
    const response = await get('/readyz')
    expect(response.statusCode).toBe(200)
    expect(response.json()).toMatchObject({ status: 'ok', checks: { database: 'ok' } })
  })

  test('GET /readyz answers 503 with Retry-After once the database is gone, and /healthz still 200', async () => {
    const broken = await makeServer({}, { memory: true })
    try {
      await broken.tessera.store.close()
      const ready = await broken.app.inject({ method: 'GET', url: '/readyz' })
      expect(ready.statusCode).toBe(503)
      expect(ready.headers['retry-after']).toBeDefined()
      expect(ready.json()).toMatchObject({ status: 'unavailable', checks: { database: 'unavailable' } })
      expect((await broken.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200)
    } finally {
      await broken.dispose().catch(() => {})
    }
  })
})

describe('API documentation', () => {
  test('GET /openapi.json is an OpenAPI 3 document listing every implemented /auth route with its methods', async () => {
    const response = await get('/openapi.json')
    expect(response.statusCode).toBe(200)
    const doc = response.json() as { openapi: string; info: { title: string }; paths: Record<string, Record<string, unknown>> }
    expect(doc.openapi).toMatch(/^3\./)
    expect(doc.info.title).toBe('Tessera')
    const expected: Array<[string, string[]]> = [
      ['/auth/register', ['post']],
      ['/auth/login', ['post']],
      ['/auth/logout', ['post']],
      ['/auth/logout-all', ['post']],
      ['/auth/user', ['get', 'patch']],
      ['/auth/sessions', ['get']],
      ['/auth/sessions/{id}', ['delete']],
      ['/auth/token/rotate', ['post']],
      ['/api-token-auth/', ['post']],
      ['/api-token-auth/new/', ['get', 'post']],
    ]
    for (const [path, methods] of expected) {
      expect(Object.keys(doc.paths), path).toContain(path)
      for (const method of methods) expect(doc.paths[path], `${method} ${path}`).toHaveProperty(method)
    }
  })

  test('the OpenAPI document never shows a schema field for a password hash or a secret hash', async () => {
    const body = (await get('/openapi.json')).body
    expect(body).not.toMatch(/passwordHash|secretHash|password_hash|secret_hash/)
  })

  test('GET /docs serves the HTML API explorer (following a redirect if there is one)', async () => {
    let response = await get('/docs')
    for (let hops = 0; hops < 3 && response.statusCode >= 300 && response.statusCode < 400; hops++) {
      const location = String(response.headers.location)
      response = await get(location.startsWith('/') ? location : `/docs/${location.replace(/^\.\//, '')}`)
    }
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toMatch(/^text\/html/)
    expect(response.body).toMatch(/<html/i)
  })
})

describe('not found', () => {
  test('an unknown route is a 404 problem+json with code not_found', async () => {
    const body = expectProblem(await get('/no/such/route'), 404, 'not_found')
    expect(body.status).toBe(404)
  })

  test('an unknown route under /auth is a canonical 404 too', async () => {
    expectProblem(await server.app.inject({ method: 'POST', url: '/auth/nope', payload: {} }), 404, 'not_found')
  })

  test('a known path with a method it does not have is a 404 problem+json, not a 500', async () => {
    expectProblem(await get('/auth/login'), 404, 'not_found')
  })

  test.each(['/api-token-auth/x', '/api-token-auth/new/extra', '/api-token-auth'])(
    'an unknown or unsupported route %s on the DRF face is DRF\'s 404 {"detail": "Not found."}',
    async (url) => {
      const response = await get(url)
      expect(response.statusCode).toBe(404)
      expect(response.headers['content-type']).toMatch(/^application\/json/)
      expect(response.json()).toEqual({ detail: 'Not found.' })
    },
  )
})

describe('PROFILES', () => {
  test('PROFILES=canonical mounts no DRF route', async () => {
    const canonical = await makeServer({ PROFILES: 'canonical' }, { memory: true })
    try {
      const response = await canonical.app.inject({ method: 'POST', url: '/api-token-auth/', payload: { username: 'a', password: 'b' } })
      expect(response.statusCode).toBe(404)
      expect((await canonical.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200)
    } finally {
      await canonical.dispose()
    }
  })

  test('PROFILES=drf mounts no canonical route', async () => {
    const drf = await makeServer({ PROFILES: 'drf' }, { memory: true })
    try {
      expect((await drf.app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'a@b.co', password: 'b' } })).statusCode).toBe(404)
      const response = await drf.app.inject({ method: 'POST', url: '/api-token-auth/', payload: { username: 'a', password: 'b' } })
      expect(response.json()).toEqual({ non_field_errors: ['Unable to log in with provided credentials.'] })
    } finally {
      await drf.dispose()
    }
  })
})
