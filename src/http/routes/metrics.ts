import cluster from 'node:cluster'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { AggregatorRegistry, Registry } from 'prom-client'
import { TesseraError } from '../../core/errors.js'
import { constantTimeEqual } from '../../core/tokens.js'
import { readAuthorization } from '../authenticators.js'
import { credentialError, permissionDenied } from '../errors.js'
import { CLUSTER_METRICS_REPLY, CLUSTER_METRICS_REQUEST, createTesseraMetrics, type DependencyPing } from '../metrics.js'

/** Who may read `/metrics`. */
export interface MetricsRoutesOptions {
  /**
   * A scraper's secret, sent as `Authorization: Bearer <token>`; once set, every caller needs it
   * (or a staff credential). @default null: loopback clients get in without credentials
   */
  token: string | null
  /** Checked on every scrape for `tessera_dependency_up`. @default the database only */
  dependencies?: Record<string, DependencyPing>
}

/** The text a scrape answers with, and its content type. */
interface Exposition {
  contentType: string
  text: string
}

/** Requests that matched no route share one label, so a scan of random URLs adds no series. */
const UNMATCHED = 'unmatched'
/** The primary gives up on silent workers after 5 s; a worker waits a little longer for the primary. */
const CLUSTER_SCRAPE_TIMEOUT_MS = 6_000
const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip'] as const

/**
 * Prometheus metrics: times every answered request (an `onResponse` hook, so for every route of the
 * server) and serves `GET /metrics`. In a cluster worker the answer covers every worker, gathered
 * through the primary; elsewhere it covers this process.
 */
async function metricsRoutes(app: FastifyInstance, options: MetricsRoutesOptions): Promise<void> {
  const tessera = app.tessera
  const metrics = createTesseraMetrics(tessera, options.dependencies ? { dependencies: options.dependencies } : {})
  app.addHook('onResponse', (request, reply, done) => {
    // The route's pattern (`/auth/sessions/:id`), never the URL: a URL may carry a token.
    metrics.observeRequest(request.routeOptions.url ?? UNMATCHED, request.method, reply.statusCode, reply.elapsedTime / 1000)
    done()
  })

  const gathered = cluster.isWorker && process.send ? clusterExposition(metrics.registries) : null
  const expose = gathered?.expose ?? (async (): Promise<Exposition> => ({ contentType: metrics.registry.contentType, text: await metrics.registry.metrics() }))
  app.addHook('onClose', async () => {
    metrics.close()
    gathered?.close()
  })

  /** Lets in the metrics token, a staff credential, or (no token configured) a local scraper; throws otherwise. */
  const authorize = async (request: FastifyRequest): Promise<void> => {
    const header = readAuthorization(request.headers.authorization)
    if (header.kind === 'malformed') throw credentialError(header.failure)
    if (header.kind === 'credential') {
      // Compared in constant time: the token is a password for the scraper.
      if (options.token !== null && constantTimeEqual(header.credential, options.token)) return
      const check = await tessera.checkCredential(header.credential)
      if (!check.ok) throw credentialError(check.reason)
      if (!check.principal.user.isStaff) throw permissionDenied()
      return
    }
    // The socket's peer, not request.ip: a forwarded-for header must not make a stranger local.
    // A request a reverse proxy on this host passed on is not local either, and proxies say so.
    const local = isLoopback(request.socket.remoteAddress) && FORWARDING_HEADERS.every((name) => request.headers[name] === undefined)
    if (options.token === null && local) return
    throw credentialError('not_authenticated')
  }

  app.get(
    '/metrics',
    {
      schema: { tags: ['operations'], summary: 'Prometheus metrics (METRICS_TOKEN, a staff token, or a loopback client when no token is set)' },
      config: { face: 'canonical' },
    },
    async (request, reply) => {
      await authorize(request)
      const { contentType, text } = await expose()
      return reply.type(contentType).send(text)
    },
  )
}

/** Registers the metrics hook on the whole server (hence fastify-plugin) and `GET /metrics`. */
export const metricsPlugin = fp(metricsRoutes, { name: 'tessera-metrics', fastify: '5.x', dependencies: ['tessera'] })

/** True for 127.0.0.0/8 and ::1, in either IPv6 spelling. */
function isLoopback(address: string | undefined): boolean {
  return address !== undefined && (address === '::1' || /^(?:::ffff:)?127\./.test(address))
}

/**
 * In a cluster worker: makes prom-client answer the primary's requests from `registries`, and
 * returns a function that asks the primary for every worker's metrics, summed.
 */
function clusterExposition(registries: readonly Registry[]): { expose(): Promise<Exposition>; close(): void } {
  new AggregatorRegistry() // installs prom-client's answering side in this worker
  AggregatorRegistry.setRegistries([...registries])
  const pending = new Map<number, (answer: { text?: string; error?: string }) => void>()
  let nextId = 0
  const onMessage = (message: unknown): void => {
    const answer = message as { type?: unknown; id?: unknown; text?: string; error?: string } | null
    if (answer?.type !== CLUSTER_METRICS_REPLY || typeof answer.id !== 'number') return
    pending.get(answer.id)?.(answer)
    pending.delete(answer.id)
  }
  process.on('message', onMessage)
  const unavailable = (why: string): TesseraError => new TesseraError('service_unavailable', `The workers' metrics could not be gathered: ${why}.`)
  return {
    expose: () =>
      new Promise((resolve, reject) => {
        const id = nextId++
        const timer = setTimeout(() => {
          pending.delete(id)
          reject(unavailable('no answer in time'))
        }, CLUSTER_SCRAPE_TIMEOUT_MS)
        pending.set(id, (answer) => {
          clearTimeout(timer)
          if (answer.text !== undefined) resolve({ contentType: Registry.PROMETHEUS_CONTENT_TYPE, text: answer.text })
          else reject(unavailable(answer.error ?? 'unknown error'))
        })
        process.send!({ type: CLUSTER_METRICS_REQUEST, id })
      }),
    close: () => process.off('message', onMessage),
  }
}
