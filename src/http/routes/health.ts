import type { FastifyInstance } from 'fastify'
import { UNAVAILABLE_RETRY_AFTER_SECONDS } from '../errors.js'

const tags = ['operations']
/** A readiness probe should answer quickly; a database that takes longer than this counts as down. */
const PING_TIMEOUT_MS = 2_000

/** What `/readyz` checks beyond the database. */
export interface HealthRoutesOptions {
  /** Whether Redis is connected and subscribed; null (or absent) when the server runs without Redis. */
  redisHealthy?: () => boolean | null
}

/** The readiness report: `database` decides the status; Redis down only degrades it (the server falls back). */
export interface Readiness {
  status: 'ok' | 'degraded' | 'unavailable'
  checks: { database: 'ok' | 'unavailable'; redis?: 'ok' | 'degraded' }
}

/**
 * `/healthz` (the process is up) and `/readyz` (each dependency): 503 with Retry-After only when
 * the database does not answer; a Redis that is down makes it 200 `degraded`, since every request
 * is still answered correctly from the database (with per-process rate limits meanwhile).
 */
export async function healthRoutes(app: FastifyInstance, options: HealthRoutesOptions = {}): Promise<void> {
  app.get('/healthz', { schema: { tags, summary: 'The process is up' } }, async () => ({ status: 'ok' }))

  app.get('/readyz', { schema: { tags, summary: 'The database (and Redis, when configured) are reachable' } }, async (request, reply) => {
    const redis = options.redisHealthy?.() ?? null
    const checks: Readiness['checks'] = { database: 'ok' }
    if (redis !== null) checks.redis = redis ? 'ok' : 'degraded'
    try {
      await withTimeout(app.tessera.store.ping(), PING_TIMEOUT_MS)
    } catch (error) {
      request.log.warn({ err: error }, 'readiness check failed: database')
      checks.database = 'unavailable'
      const body: Readiness = { status: 'unavailable', checks }
      return reply.code(503).header('retry-after', String(UNAVAILABLE_RETRY_AFTER_SECONDS)).send(body)
    }
    if (redis === false) request.log.warn('readiness: Redis is unreachable; serving from the database alone')
    const body: Readiness = { status: redis === false ? 'degraded' : 'ok', checks }
    return body
  })
}

/** `promise`, or a rejection after `ms`. */
async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, late])
  } finally {
    clearTimeout(timer)
  }
}
