import type { FastifyInstance, FastifyRequest } from 'fastify'
import { describe, expectTypeOf, it } from 'vitest'
import type { Principal } from '../../src/core/principal.js'
import type { Tessera } from '../../src/core/tessera.js'
import { allowAny, isAdminUser, isAuthenticated, isAuthenticatedOrReadOnly, type Guard } from '../../src/http/guards.js'
import { tesseraPlugin, type TesseraPluginOptions } from '../../src/http/plugin.js'

describe('the Fastify plugin’s public types', () => {
  it('types request.principal as Principal | null', () => {
    expectTypeOf<FastifyRequest['principal']>().toEqualTypeOf<Principal | null>()
  })

  it('decorates the instance with the core', () => {
    expectTypeOf<FastifyInstance['tessera']>().toEqualTypeOf<Tessera>()
  })

  it('accepts a Guard, and only a Guard, as config.auth', () => {
    expectTypeOf(isAuthenticatedOrReadOnly).toEqualTypeOf<Guard>()
    for (const guard of [allowAny, isAuthenticated, isAdminUser]) expectTypeOf(guard).toMatchTypeOf<Guard>()
    const register = (app: FastifyInstance) => {
      app.get('/', { config: { auth: isAuthenticated } }, async () => 'ok')
      app.get('/own', { config: { auth: (request) => request.principal?.user.isSuperuser === true } }, async () => 'ok')
      // @ts-expect-error a string is not a guard
      app.get('/bad', { config: { auth: 'isAuthenticated' } }, async () => 'ok')
      // @ts-expect-error a face outside the union is refused
      app.get('/bad-face', { config: { auth: allowAny, face: 'soap' } }, async () => 'ok')
    }
    expectTypeOf(register).toBeFunction()
  })

  it('requires a tessera option', () => {
    expectTypeOf<TesseraPluginOptions>().toHaveProperty('tessera').toEqualTypeOf<Tessera>()
    const register = (app: FastifyInstance, tessera: Tessera) => {
      void app.register(tesseraPlugin, { tessera, face: 'drf' })
      // @ts-expect-error the core is required
      void app.register(tesseraPlugin, { face: 'drf' })
    }
    expectTypeOf(register).toBeFunction()
  })
})
