import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { checkLinkTemplate } from '../../core/one-time-links.js'
import { isAuthenticated } from '../guards.js'
import { principalOf } from '../request-info.js'
import { AcceptedReply } from './password.js'

const tags = ['email']

export const EmailVerifyBody = Type.Object(
  { token: Type.String({ maxLength: 256, description: 'The `token` query parameter of the link in the mail' }) },
  { additionalProperties: false },
)

const DETAIL = {
  sent: 'A link to verify your e-mail address has been sent to it.',
  already_verified: 'Your e-mail address is already verified.',
} as const

/** The canonical face's e-mail verification routes: request a link (signed in), confirm it. */
export async function emailRoutes(app: FastifyInstance): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>()
  const tessera = app.tessera
  const face = 'canonical' as const
  if (tessera.settings.verifyUrl !== null) checkLinkTemplate(tessera.settings.verifyUrl, 'VERIFY_URL')

  api.post('/auth/email/verify/request', {
    schema: { tags, summary: "Mail a link that verifies the caller's e-mail", response: { 202: AcceptedReply } },
    config: { face, auth: isAuthenticated },
  }, async (request, reply) => {
    const outcome = await tessera.requestEmailVerification(principalOf(request).user.id)
    return reply.code(202).send({ detail: DETAIL[outcome] })
  })

  api.post('/auth/email/verify', {
    schema: { tags, summary: 'Verify an e-mail with the token from the mail', body: EmailVerifyBody, response: { 204: { type: 'null' } } },
    config: { face },
  }, async (request, reply) => {
    await tessera.confirmEmailVerification(request.body.token)
    return reply.code(204).send()
  })
}
