import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { checkLinkTemplate } from '../../core/one-time-links.js'
import { isAuthenticated } from '../guards.js'
import { principalOf } from '../request-info.js'

const tags = ['password']
const Password = Type.String({ maxLength: 1024 })
const OneTimeToken = Type.String({ maxLength: 256, description: 'The `token` query parameter of the link in the mail' })

export const PasswordChangeBody = Type.Object({ currentPassword: Password, newPassword: Password }, { additionalProperties: false })
export const PasswordResetBody = Type.Object({ email: Type.String({ maxLength: 254 }) }, { additionalProperties: false })
export const PasswordResetConfirmBody = Type.Object({ token: OneTimeToken, newPassword: Password }, { additionalProperties: false })
export const AcceptedReply = Type.Object({ detail: Type.String() })

/** One answer for every reset request, whether or not the address has an account. */
export const RESET_ACCEPTED = Object.freeze({
  detail: 'If this e-mail address belongs to an account, a link to reset its password has been sent to it.',
})
const noContent = { 204: { type: 'null' } } as const

/** The canonical face's password routes: change (signed in), reset by mail (signed out). */
export async function passwordRoutes(app: FastifyInstance): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>()
  const tessera = app.tessera
  const face = 'canonical' as const
  // A bad RESET_URL fails the start, not the first person who forgot a password.
  if (tessera.settings.resetUrl !== null) checkLinkTemplate(tessera.settings.resetUrl, 'RESET_URL')

  api.post('/auth/password/change', {
    schema: { tags, summary: 'Change the password; every other session is revoked', body: PasswordChangeBody, response: noContent },
    config: { face, auth: isAuthenticated },
  }, async (request, reply) => {
    const principal = principalOf(request)
    const { currentPassword, newPassword } = request.body
    await tessera.changePassword(principal.user.id, currentPassword, newPassword, principal.sessionId)
    return reply.code(204).send()
  })

  api.post('/auth/password/reset', {
    schema: {
      tags,
      summary: 'Mail a reset link; the same answer whether or not the e-mail has an account',
      body: PasswordResetBody,
      response: { 202: AcceptedReply },
    },
    config: { face },
  }, async (request, reply) => {
    await tessera.requestPasswordReset(request.body.email, request.ip)
    return reply.code(202).send(RESET_ACCEPTED)
  })

  api.post('/auth/password/reset/confirm', {
    schema: {
      tags,
      summary: 'Set a new password with the token from the mail; every session is revoked',
      body: PasswordResetConfirmBody,
      response: noContent,
    },
    config: { face },
  }, async (request, reply) => {
    await tessera.confirmPasswordReset(request.body.token, request.body.newPassword, request.ip)
    return reply.code(204).send()
  })
}
