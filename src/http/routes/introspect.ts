import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { constantTimeEqual } from '../../core/tokens.js'
import { readAuthorization } from '../authenticators.js'
import { credentialError, permissionDenied } from '../errors.js'

const TokenBody = Type.Object({ token: Type.String({ maxLength: 8192 }), token_type_hint: Type.Optional(Type.String({ maxLength: 64 })) }, { additionalProperties: false })
const Reply = Type.Object({
  active: Type.Boolean(),
  sub: Type.Optional(Type.String()),
  sid: Type.Optional(Type.String()),
  exp: Type.Optional(Type.Integer()),
  username: Type.Optional(Type.String()),
  scope: Type.Optional(Type.String()),
})

/** RFC 7662 token introspection, for other services: staff tokens, or the configured secret. */
export async function introspectRoutes(app: FastifyInstance, options: { secret: string | null }): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>()
  const tessera = app.tessera

  /** Lets the call through for the introspection secret or a staff credential; throws otherwise. */
  const authorize = async (request: FastifyRequest): Promise<void> => {
    const header = readAuthorization(request.headers.authorization)
    if (header.kind === 'none') throw credentialError('not_authenticated')
    if (header.kind === 'malformed') throw credentialError(header.failure)
    // Compared in constant time: the secret is a password for services.
    if (options.secret !== null && constantTimeEqual(header.credential, options.secret)) return
    const check = await tessera.checkCredential(header.credential)
    if (!check.ok) throw credentialError(check.reason)
    if (!check.principal.user.isStaff) throw permissionDenied()
  }

  api.post('/auth/introspect', {
    schema: { tags: ['jwt'], summary: 'Is this token active? (RFC 7662; staff or the introspection secret)', body: TokenBody, response: { 200: Reply } },
    config: { face: 'canonical' },
  }, async (request) => {
    await authorize(request)
    const check = await tessera.checkCredential(request.body.token)
    if (!check.ok) return { active: false }
    const { user, sessionId, expiresAt } = check.principal
    return { active: true, sub: String(user.id), sid: sessionId, exp: Math.floor(expiresAt.getTime() / 1000), username: user.username }
  })
}
