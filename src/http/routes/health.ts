import type { FastifyInstance } from 'fastify'

const tags = ['operations']

/** `/healthz` (the process is up) and `/readyz` (its database answers). */
export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/healthz', { schema: { tags, summary: 'The process is up' } }, async () => ({ status: 'ok' }))

  app.get('/readyz', { schema: { tags, summary: 'The database is reachable' } }, async (request, reply) => {
    try {
      await app.tessera.store.ping()
      return { status: 'ok', checks: { database: 'ok' } }
    } catch (error) {
      request.log.warn({ err: error }, 'readiness check failed: database')
      return reply.code(503).header('retry-after', '5').send({ status: 'unavailable', checks: { database: 'unavailable' } })
    }
  })
}
