import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { PublicSessionSchema, PublicUserSchema } from './routes/schemas.js'

/** The OpenAPI document generated from the route schemas, at `/openapi.json`, with its UI at `/docs`. */
export async function registerOpenApi(app: FastifyInstance, version: string): Promise<void> {
  app.addSchema(PublicUserSchema)
  app.addSchema(PublicSessionSchema)
  await app.register(swagger, {
    openapi: {
      info: { title: 'Tessera', description: 'Token authentication for REST APIs', version },
      components: {
        securitySchemes: {
          token: { type: 'apiKey', in: 'header', name: 'Authorization', description: '`Token <key>` or `Bearer <key>`' },
        },
      },
      security: [{ token: [] }],
    },
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
}
