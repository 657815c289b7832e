import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ValidationError, type TesseraError } from '../../core/errors.js'
import { deviceName } from '../../core/sessions.js'
import type { UserRecord } from '../../store/store.js'
import { readAuthorization } from '../authenticators.js'
import { credentialError, sendError, toTesseraError } from '../errors.js'
import { isAuthenticated } from '../guards.js'
import { principalOf } from '../request-info.js'
import {
  ConduitLoginBody,
  ConduitRegisterBody,
  ConduitUpdateBody,
  ConduitUserReply,
  type ConduitUser,
} from './conduit-schemas.js'

const tags = ['conduit']
const face = 'conduit' as const

/**
 * The Conduit face, as the RealWorld API spec has it: register, log in, read and update the user,
 * bodies under `"user"`, an access JWT as `Authorization: Token <jwt>`, errors under `"errors"`.
 */
export async function conduitRoutes(app: FastifyInstance): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>()
  const tessera = app.tessera
  // Encapsulated: only this face's routes speak RealWorld's words and its single 422.
  app.setErrorHandler(renderConduitError)

  /** The face's token: an access JWT naming the session, with the Conduit lifetime. */
  const accessToken = async (user: UserRecord, sessionId: string): Promise<string> =>
    (await tessera.issueAccessToken(user, sessionId, tessera.settings.conduitTokenTtlSeconds)).token

  api.post('/api/users', {
    schema: { tags, summary: 'Register (RealWorld)', body: ConduitRegisterBody, response: { 201: ConduitUserReply } },
    config: { face },
  }, async (request, reply) => {
    const { username, email, password } = request.body.user
    const { user, session } = await tessera.register({ email, password, username }, conduitDevice(request), request.ip)
    reply.code(201)
    return { user: conduitUser(user, await accessToken(user, session.id)) }
  })

  api.post('/api/users/login', {
    schema: { tags, summary: 'Log in (RealWorld)', body: ConduitLoginBody, response: { 200: ConduitUserReply } },
    config: { face },
  }, async (request) => {
    const { email, password } = request.body.user
    const { user, session } = await tessera.login({ identifier: email, password, address: request.ip }, conduitDevice(request))
    return { user: conduitUser(user, await accessToken(user, session.id)) }
  })

  api.get('/api/user', {
    schema: { tags, summary: 'The calling user, with the token it presented (RealWorld)', response: { 200: ConduitUserReply } },
    config: { face, auth: isAuthenticated },
  }, async (request) => {
    const user = await tessera.getUser(principalOf(request).user.id)
    return { user: conduitUser(user, presentedCredential(request)) }
  })

  api.put('/api/user', {
    schema: { tags, summary: "Update the caller's e-mail, username, password, bio or image (RealWorld)", body: ConduitUpdateBody, response: { 200: ConduitUserReply } },
    config: { face, auth: isAuthenticated },
  }, async (request) => {
    const principal = principalOf(request)
    const { email, username, password, bio, image } = request.body.user
    // Settings forms send every field: a blank password means "unchanged", never "make it blank".
    const user = await tessera.updateAccount(
      principal.user.id,
      // Only these five reach the core: privilege fields in the body are never read.
      { email, username, bio, image, password: password ? password : undefined },
      principal.sessionId,
    )
    // The caller's session survives a password change, so the token it presented stays valid.
    return { user: conduitUser(user, presentedCredential(request)) }
  })
}

/** The RealWorld user object: these five fields and no others. */
function conduitUser(user: UserRecord, token: string): ConduitUser {
  return { email: user.email, token, username: user.username, bio: user.bio, image: user.image }
}

/** The session's device: the User-Agent, else "conduit" (RealWorld bodies have no device field). */
function conduitDevice(request: FastifyRequest): string {
  return deviceName(request.headers['user-agent'], 'conduit')
}

/** The credential the caller authenticated with, which GET and PUT /api/user hand back. */
function presentedCredential(request: FastifyRequest): string {
  const header = readAuthorization(request.headers.authorization)
  if (header.kind !== 'credential') throw credentialError('not_authenticated')
  return header.credential
}


// RealWorld's words for the core's messages; the rules behind them stay in the core.
const CONDUIT_MESSAGES: ReadonlyMap<string, string> = new Map([
  ['This field is required.', "can't be blank"],
  ['This field may not be blank.', "can't be blank"],
  ['A user with that email already exists.', 'has already been taken'],
  ['A user with that username already exists.', 'has already been taken'],
])

/** A domain error as RealWorld reports it: its messages, and one 422 for every kind of bad input. */
export function inConduitWords(error: TesseraError): TesseraError {
  if (error instanceof ValidationError) {
    const fields = Object.fromEntries(
      Object.entries(error.fields).map(([field, messages]) => [field, [...new Set(messages.map((m) => CONDUIT_MESSAGES.get(m) ?? m))]]),
    )
    return new ValidationError(fields, error.message)
  }
  // Unreadable JSON and the like: RealWorld knows one status for a body it cannot use.
  if (error.code === 'validation_failed') return new ValidationError({ body: [error.message] }, error.message)
  return error
}

/** This face's error handler; what it does not know goes on to the server's (logged, then 500). */
function renderConduitError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const known = toTesseraError(error, request)
  if (!known) throw error
  return sendError(reply, face, inConduitWords(known))
}
