import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { toPublicSession } from '../../core/public-json.js'
import { isAuthenticated } from '../guards.js'
import { principalOf } from '../request-info.js'
import { SessionIdParams, SessionsReply, TokenReply } from './schemas.js'

const tags = ['sessions']

/** The canonical face's device routes: list and revoke sessions, rotate the calling token. */
export async function sessionRoutes(app: FastifyInstance): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>()
  const tessera = app.tessera
  const config = { face: 'canonical' as const, auth: isAuthenticated }

  api.get('/auth/sessions', {
    schema: { tags, summary: "The caller's live sessions (devices); never their secrets", response: { 200: SessionsReply } },
    config,
  }, async (request) => {
    const principal = principalOf(request)
    const sessions = await tessera.listSessions(principal.user.id)
    return { sessions: sessions.map((s) => toPublicSession(s, principal.sessionId)) }
  })

  api.delete('/auth/sessions/:id', {
    schema: { tags, summary: "Revoke one of the caller's sessions", params: SessionIdParams, response: { 204: { type: 'null' } } },
    config,
  }, async (request, reply) => {
    await tessera.revokeOwnSession(principalOf(request).user.id, request.params.id)
    return reply.code(204).send()
  })

  api.post('/auth/token/rotate', {
    schema: { tags, summary: 'A new token for the calling session; the old one dies at once', response: { 200: TokenReply } },
    config,
  }, async (request) => {
    const principal = principalOf(request)
    const { token, session } = await tessera.rotateToken(principal)
    return { token, session: toPublicSession(session, principal.sessionId) }
  })
}
