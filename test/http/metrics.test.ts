import { AggregatorRegistry, Histogram, Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTesseraMetrics, DURATION_BUCKETS } from '../../src/http/metrics.js'
import { bearer, expectProblem, makeServer, register, type TestServer } from '../support/server.js'

/** Every sample of a Prometheus text exposition, as `name{labels}` → value, labels sorted. */
function samples(text: string): Map<string, number> {
  const found = new Map<string, number>()
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!match) continue
    const labels = (match[2] ?? '').match(/\w+="(?:[^"\\]|\\.)*"/g) ?? []
    found.set(`${match[1]}{${labels.sort().join(',')}}`, Number(match[3]))
  }
  return found
}

/** The value of one sample; labels are given in any order. 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const key = `${name}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).sort().join(',')}}`
  return samples(text).get(key) ?? 0
}

async function scrape(server: TestServer, headers: Record<string, string> = {}): Promise<string> {
  const response = await server.app.inject({ method: 'GET', url: '/metrics', headers })
  expect(response.statusCode, response.body).toBe(200)
  return response.body
}

describe('GET /metrics', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await makeServer({ LOGIN_THROTTLE: '3/15m' })
  })
  afterAll(() => server.dispose())

  it('answers a loopback client in the Prometheus text format, with the process metrics', async () => {
    const response = await server.app.inject({ method: 'GET', url: '/metrics' })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect(response.body).toContain('# TYPE tessera_http_requests_total counter')
    expect(response.body).toContain('# TYPE tessera_http_request_duration_seconds histogram')
    expect(response.body).toMatch(/^process_cpu_user_seconds_total \d/m)
    expect(response.body).toMatch(/^nodejs_eventloop_lag_seconds /m)
  })

  it('counts requests by route pattern and never shows a URL, which may hold a token', async () => {
    const user = await register(server)
    const secret = 'tsr_thisMustNeverAppearInMetrics'
    await server.app.inject({ method: 'DELETE', url: `/auth/sessions/${user.sessionId}?token=${secret}`, headers: bearer(user.token) })
    await server.app.inject({ method: 'GET', url: `/no/such/${secret}` })
    const text = await scrape(server)
    expect(text).not.toContain(secret)
    expect(text).not.toContain(user.sessionId)
    expect(sample(text, 'tessera_http_requests_total', { route: '/auth/sessions/:id', method: 'DELETE', status: '204' })).toBe(1)
    expect(sample(text, 'tessera_http_requests_total', { route: '/auth/register', method: 'POST', status: '201' })).toBe(1)
    expect(sample(text, 'tessera_http_requests_total', { route: 'unmatched', method: 'GET', status: '404' })).toBe(1)
  })

  it('times requests in cumulative buckets whose +Inf, count and requests_total agree', async () => {
    for (let i = 0; i < 5; i++) await server.app.inject({ method: 'GET', url: '/healthz' })
    const text = await scrape(server)
    const labels = { route: '/healthz', method: 'GET', status: '200' }
    const count = sample(text, 'tessera_http_request_duration_seconds_count', labels)
    expect(count).toBeGreaterThanOrEqual(5)
    expect(sample(text, 'tessera_http_request_duration_seconds_bucket', { ...labels, le: '+Inf' })).toBe(count)
    expect(sample(text, 'tessera_http_requests_total', labels)).toBe(count)
    expect(sample(text, 'tessera_http_request_duration_seconds_sum', labels)).toBeGreaterThan(0)
    let previous = 0
    for (const le of DURATION_BUCKETS) {
      const cumulative = sample(text, 'tessera_http_request_duration_seconds_bucket', { ...labels, le: String(le) })
      expect(cumulative).toBeGreaterThanOrEqual(previous)
      previous = cumulative
    }
  })

  it('counts logins by outcome, and throttled ones apart', async () => {
    const user = await register(server)
    const before = await scrape(server)
    expect(sample(before, 'tessera_throttled_total', { action: 'login' })).toBe(0)
    const login = (password: string) => server.app.inject({ method: 'POST', url: '/auth/login', payload: { email: user.email, password } })
    expect((await login(user.password)).statusCode).toBe(200)
    for (let i = 0; i < 3; i++) expect((await login('wrong password 1')).statusCode).toBe(400)
    expect((await login('wrong password 2')).statusCode).toBe(429)
    const after = await scrape(server)
    const delta = (outcome: string): number =>
      sample(after, 'tessera_logins_total', { outcome }) - sample(before, 'tessera_logins_total', { outcome })
    expect(delta('succeeded')).toBe(1)
    expect(delta('invalid_credentials')).toBe(3)
    expect(delta('throttled')).toBe(1)
    expect(sample(after, 'tessera_throttled_total', { action: 'login' })).toBe(1)
    expect(sample(after, 'tessera_http_requests_total', { route: '/auth/login', method: 'POST', status: '429' })).toBe(1)
  })

  it('counts principal-cache hits and misses and reports their ratio', async () => {
    const user = await register(server)
    const lookups = (text: string, result: string) => sample(text, 'tessera_principal_cache_lookups_total', { result })
    const before = await scrape(server)
    for (let i = 0; i < 4; i++) await server.app.inject({ method: 'GET', url: '/auth/user', headers: bearer(user.token) })
    // A token of no shape Tessera issues is refused without a lookup: it counts as neither.
    const garbage = await server.app.inject({ method: 'GET', url: '/auth/user', headers: { authorization: 'Token not-a-token' } })
    expect(garbage.statusCode).toBe(401)
    const after = await scrape(server)
    // The first use reads the store and fills the cache; the next three are answered from it.
    expect(lookups(after, 'miss') - lookups(before, 'miss')).toBe(1)
    expect(lookups(after, 'hit') - lookups(before, 'hit')).toBe(3)
    const ratio = sample(after, 'tessera_principal_cache_hit_ratio')
    expect(ratio).toBeCloseTo(lookups(after, 'hit') / (lookups(after, 'hit') + lookups(after, 'miss')), 10)
  })

  it('reports the database up', async () => {
    expect(sample(await scrape(server), 'tessera_dependency_up', { dependency: 'database' })).toBe(1)
  })

  it("reports the audit log's queue and what it dropped", async () => {
    await server.tessera.flush()
    const text = await scrape(server)
    expect(text).toContain('# TYPE tessera_audit_events_pending gauge')
    expect(text).toContain('# TYPE tessera_audit_events_dropped_total counter')
    expect(sample(text, 'tessera_audit_events_pending')).toBe(0)
    expect(sample(text, 'tessera_audit_events_dropped_total')).toBe(0)
  })
})

describe('who may read /metrics', () => {
  let open: TestServer
  let locked: TestServer
  const TOKEN = 'scrape-secret-0123456789'
  beforeAll(async () => {
    open = await makeServer({}, { memory: true })
    locked = await makeServer({ METRICS_TOKEN: TOKEN }, { memory: true })
  })
  afterAll(async () => {
    await open.dispose()
    await locked.dispose()
  })

  it('refuses a client on another address with a 401 when no token is configured', async () => {
    const response = await open.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '10.1.2.3' })
    expectProblem(response, 401, 'not_authenticated')
  })

  it('refuses a request a local reverse proxy forwarded', async () => {
    for (const header of ['x-forwarded-for', 'forwarded', 'x-real-ip']) {
      const response = await open.app.inject({ method: 'GET', url: '/metrics', headers: { [header]: '203.0.113.9' } })
      expectProblem(response, 401, 'not_authenticated')
    }
  })

  it('lets in a staff token from anywhere, and answers 403 to a user who is not staff', async () => {
    const user = await register(open)
    expectProblem(await open.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '10.1.2.3', headers: bearer(user.token) }), 403, 'permission_denied')
    const staff = await open.tessera.createUser({ email: 'ops@example.com', username: 'ops', password: 'correct horse battery staple 42' }, { isStaff: true })
    const { token } = await open.tessera.createSession(staff, 'prometheus')
    const response = await open.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '10.1.2.3', headers: bearer(token) })
    expect(response.statusCode).toBe(200)
  })

  it('requires METRICS_TOKEN, once set, even from loopback, and compares it exactly', async () => {
    expectProblem(await locked.app.inject({ method: 'GET', url: '/metrics' }), 401, 'not_authenticated')
    expectProblem(await locked.app.inject({ method: 'GET', url: '/metrics', headers: bearer(`${TOKEN}x`) }), 401, 'invalid_token')
    const response = await locked.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '10.1.2.3', headers: bearer(TOKEN) })
    expect(response.statusCode).toBe(200)
    expect(response.body).toContain('tessera_logins_total')
  })

  it('rejects a METRICS_TOKEN shorter than 16 characters at start', async () => {
    await expect(makeServer({ METRICS_TOKEN: 'short' }, { memory: true })).rejects.toThrow('METRICS_TOKEN')
  })
})

describe('createTesseraMetrics()', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await makeServer({}, { memory: true })
  })
  afterAll(() => server.dispose())

  it('reports request durations exactly as prom-client’s own Histogram would', async () => {
    const metrics = createTesseraMetrics(server.tessera)
    const reference = new Registry()
    const histogram = new Histogram({
      name: 'tessera_http_request_duration_seconds',
      help: 'reference',
      labelNames: ['route', 'method', 'status'],
      buckets: [...DURATION_BUCKETS],
      registers: [reference],
    })
    const observations: Array<[string, string, number, number]> = [
      ['/auth/user', 'GET', 200, 0.0002],
      ['/auth/user', 'GET', 200, 0.0005],
      ['/auth/user', 'GET', 401, 0.003],
      ['/auth/login', 'POST', 200, 0.07],
      ['/auth/login', 'POST', 200, 12],
    ]
    for (const [route, method, status, seconds] of observations) {
      metrics.observeRequest(route, method, status, seconds)
      histogram.observe({ route, method, status: String(status) }, seconds)
    }
    const ours = [...samples(await metrics.registry.metrics())].filter(([key]) => key.startsWith('tessera_http_request_duration_seconds'))
    const theirs = [...samples(await reference.metrics())]
    expect(new Map(ours)).toEqual(new Map(theirs))
    metrics.close()
  })

  it('sums two processes’ requests when a cluster primary aggregates them', async () => {
    const a = createTesseraMetrics(server.tessera)
    const b = createTesseraMetrics(server.tessera)
    a.observeRequest('/healthz', 'GET', 200, 0.001)
    b.observeRequest('/healthz', 'GET', 200, 0.002)
    b.observeRequest('/healthz', 'GET', 200, 0.02)
    const json = await Promise.all([a, b].map(async (m) => (await Promise.all(m.registries.map((r) => r.getMetricsAsJSON()))).flat()))
    const text = await AggregatorRegistry.aggregate(json).metrics()
    const labels = { route: '/healthz', method: 'GET', status: '200' }
    expect(sample(text, 'tessera_http_requests_total', labels)).toBe(3)
    expect(sample(text, 'tessera_http_request_duration_seconds_bucket', { ...labels, le: '0.001' })).toBe(1)
    expect(sample(text, 'tessera_http_request_duration_seconds_bucket', { ...labels, le: '0.0025' })).toBe(2)
    expect(sample(text, 'tessera_http_request_duration_seconds_count', labels)).toBe(3)
    expect(sample(text, 'tessera_dependency_up', { dependency: 'database' })).toBe(1)
    b.close()
    a.close()
  })

  it('reports a dependency down when its ping fails or hangs past the timeout', async () => {
    const metrics = createTesseraMetrics(server.tessera, {
      dependencies: { database: () => Promise.resolve(), redis: () => Promise.reject(new Error('ECONNREFUSED')), slow: () => new Promise(() => {}) },
      pingTimeoutMs: 50,
    })
    const text = await metrics.registry.metrics()
    expect(sample(text, 'tessera_dependency_up', { dependency: 'database' })).toBe(1)
    expect(sample(text, 'tessera_dependency_up', { dependency: 'redis' })).toBe(0)
    expect(sample(text, 'tessera_dependency_up', { dependency: 'slow' })).toBe(0)
    metrics.close()
  })

})
