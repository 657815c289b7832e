import { collectDefaultMetrics, Counter, Gauge, Registry, type Metric } from 'prom-client'
import type { Tessera } from '../core/tessera.js'

/** Upper bounds of the request-duration buckets, in seconds: a cached check takes well under 1 ms, a login tens of ms. */
export const DURATION_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/** IPC message types: a cluster worker asks its primary for every worker's metrics, and gets them. */
export const CLUSTER_METRICS_REQUEST = 'tessera:metrics-request'
export const CLUSTER_METRICS_REPLY = 'tessera:metrics-reply'

/** A dependency the server needs, checked at scrape time: resolves when it answers. */
export type DependencyPing = () => Promise<void>

/** What `createTesseraMetrics` may be told beyond the core. */
export interface TesseraMetricsOptions {
  /** Pinged on every scrape for `tessera_dependency_up`. @default `{ database: store.ping }` */
  dependencies?: Record<string, DependencyPing>
  /** How long a ping may take before its dependency counts as down. @default 1000 */
  pingTimeoutMs?: number
}

/** One process's metrics: what the HTTP layer feeds in, and the registries a scrape reads. */
export interface TesseraMetrics {
  /** Tessera's own metrics and the process's (CPU, memory, event loop, GC). */
  readonly registry: Registry
  /** The registries a cluster worker hands to its primary for aggregation. */
  readonly registries: readonly Registry[]
  /** Counts one answered request; `route` is the route's pattern, never the raw URL. */
  observeRequest(route: string, method: string, status: number, seconds: number): void
  /** Stops listening to the core and gives it its own cache back. */
  close(): void
}

/**
 * Builds the metrics of one server over `tessera`: requests by route, method and status (count and
 * duration), logins by outcome, throttled logins, principal-cache hits and misses, dependency health.
 * The per-request paths are plain increments; prom-client sees the totals only when scraped.
 */
export function createTesseraMetrics(tessera: Tessera, options: TesseraMetricsOptions = {}): TesseraMetrics {
  const registry = new Registry()
  const requests = new RequestSeries()
  new Counter({
    name: 'tessera_http_requests_total',
    help: 'HTTP requests answered, by route pattern, method and status.',
    labelNames: ['route', 'method', 'status'],
    registers: [registry],
    collect() {
      this.reset()
      for (const s of requests.all()) this.inc({ route: s.route, method: s.method, status: s.status }, s.count)
    },
  })
  registry.registerMetric(durationHistogram(requests))

  const logins = new Counter({
    name: 'tessera_logins_total',
    help: 'Password logins, by outcome: succeeded, invalid_credentials, throttled, email_unverified.',
    labelNames: ['outcome'],
    registers: [registry],
  })
  const throttled = new Counter({
    name: 'tessera_throttled_total',
    help: 'Attempts refused by a throttle, by action. Every throttled request also counts as status="429" in tessera_http_requests_total.',
    labelNames: ['action'],
    registers: [registry],
  })
  // Zero from the start, so that rate() sees the first failure rather than a new series.
  for (const outcome of ['succeeded', 'invalid_credentials', 'throttled', 'email_unverified']) logins.inc({ outcome }, 0)
  throttled.inc({ action: 'login' }, 0)
  const unsubscribe = [
    tessera.on('login.succeeded', () => logins.inc({ outcome: 'succeeded' })),
    tessera.on('login.failed', ({ reason }) => {
      logins.inc({ outcome: reason })
      if (reason === 'throttled') throttled.inc({ action: 'login' })
    }),
  ]

  // The core counts its own lookups (two integer increments on the hot path); read at scrape time.
  const lookups = tessera.cacheLookups()
  new Counter({
    name: 'tessera_principal_cache_lookups_total',
    help: 'Principal-cache lookups (opaque tokens and the sessions JWTs name), by result: hit or miss.',
    labelNames: ['result'],
    registers: [registry],
    collect() {
      this.reset()
      this.inc({ result: 'hit' }, lookups.hits)
      this.inc({ result: 'miss' }, lookups.misses)
    },
  })
  new Gauge({
    name: 'tessera_principal_cache_hit_ratio',
    help: 'Share of principal-cache lookups answered from the cache since the process started (0 before any).',
    registers: [registry],
    // Across a cluster, the mean of the workers' ratios; rate() over the lookups counter is exact.
    aggregator: 'average',
    collect() {
      const total = lookups.hits + lookups.misses
      this.set(total === 0 ? 0 : lookups.hits / total)
    },
  })

  // The audit log's queue, read at scrape time: rows pile up while the database refuses them.
  new Gauge({
    name: 'tessera_audit_events_pending',
    help: 'Audit-log rows waiting to be written to the database.',
    registers: [registry],
    collect() {
      this.set(tessera.auditBacklog()?.pending ?? 0)
    },
  })
  new Counter({
    name: 'tessera_audit_events_dropped_total',
    help: 'Audit-log rows given up: the queue was full, or the database refused their batch too often.',
    registers: [registry],
    collect() {
      this.reset()
      this.inc(tessera.auditBacklog()?.dropped ?? 0)
    },
  })

  const dependencies = options.dependencies ?? { database: () => tessera.store.ping() }
  const pingTimeoutMs = options.pingTimeoutMs ?? 1000
  new Gauge({
    name: 'tessera_dependency_up',
    help: `1 when the dependency answered a ping within ${pingTimeoutMs} ms at scrape time, else 0.`,
    labelNames: ['dependency'],
    registers: [registry],
    // Across a cluster, down when any worker cannot reach it.
    aggregator: 'min',
    async collect() {
      const names = Object.keys(dependencies)
      const up = await Promise.all(names.map((name) => answersWithin(dependencies[name]!, pingTimeoutMs)))
      names.forEach((dependency, i) => this.set({ dependency }, up[i] ? 1 : 0))
    },
  })

  const perProcess = processRegistry()
  return {
    registry: Registry.merge([perProcess, registry]),
    registries: [perProcess, registry],
    observeRequest: (route, method, status, seconds) => requests.observe(route, method, status, seconds),
    close() {
      for (const off of unsubscribe) off()
    },
  }
}

let defaultMetrics: Registry | undefined

/** The process's own metrics, collected once per process however many servers it builds. */
function processRegistry(): Registry {
  if (!defaultMetrics) {
    defaultMetrics = new Registry()
    collectDefaultMetrics({ register: defaultMetrics })
  }
  return defaultMetrics
}


/** True when `ping` resolves within `timeoutMs`; false when it rejects or takes longer. */
async function answersWithin(ping: DependencyPing, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(resolve, timeoutMs, false)))
  try {
    return await Promise.race([ping().then(() => true, () => false), late])
  } finally {
    clearTimeout(timer)
  }
}

/** Count, sum and bucket counts of the requests of one route, method and status. */
interface Series {
  route: string
  method: string
  status: string
  count: number
  sum: number
  /** Per bucket, not cumulative; the last slot holds what exceeded every bound. */
  buckets: Uint32Array
}

/**
 * Request counts and durations, kept as plain numbers. prom-client's own Histogram hashes the
 * labels and validates them on every observation (about 0.4 µs a request, measured); here a
 * request costs three map reads and a few increments, and the labels are handled at scrape time.
 */
class RequestSeries {
  readonly #byRoute = new Map<string, Map<string, Map<number, Series>>>()

  observe(route: string, method: string, status: number, seconds: number): void {
    let byMethod = this.#byRoute.get(route)
    if (!byMethod) this.#byRoute.set(route, (byMethod = new Map()))
    let byStatus = byMethod.get(method)
    if (!byStatus) byMethod.set(method, (byStatus = new Map()))
    let series = byStatus.get(status)
    if (!series) {
      series = { route, method, status: String(status), count: 0, sum: 0, buckets: new Uint32Array(DURATION_BUCKETS.length + 1) }
      byStatus.set(status, series)
    }
    series.count++
    series.sum += seconds
    let i = 0
    while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]!) i++
    series.buckets[i]!++
  }

  *all(): Iterable<Series> {
    for (const byMethod of this.#byRoute.values()) for (const byStatus of byMethod.values()) yield* byStatus.values()
  }

  clear(): void {
    this.#byRoute.clear()
  }
}

/** `tessera_http_request_duration_seconds`: the series as prom-client's Histogram would report them. */
function durationHistogram(requests: RequestSeries): Metric {
  const name = 'tessera_http_request_duration_seconds'
  const help = 'Time from receiving a request to sending its answer, by route pattern, method and status.'
  const get = async () => {
    const values: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> = []
    for (const s of requests.all()) {
      const labels = { route: s.route, method: s.method, status: s.status }
      let cumulative = 0
      DURATION_BUCKETS.forEach((le, i) => {
        cumulative += s.buckets[i]!
        values.push({ metricName: `${name}_bucket`, labels: { ...labels, le }, value: cumulative })
      })
      values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: s.count })
      values.push({ metricName: `${name}_sum`, labels, value: s.sum })
      values.push({ metricName: `${name}_count`, labels, value: s.count })
    }
    return { name, help, type: 'histogram', values, aggregator: 'sum' }
  }
  // A registry needs only name, get() and reset() of a metric (and aggregation the fields get()
  // returns); the declared type is the union of prom-client's classes, hence the cast.
  return { name, help, type: 'histogram', aggregator: 'sum', get, reset: () => requests.clear() } as unknown as Metric
}
