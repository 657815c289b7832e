import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { toPublicSession, toPublicUser } from '../../core/public-json.js'
import type { SignedIn } from '../../core/tessera.js'
import { isAuthenticated } from '../guards.js'
import { loginOf, principalOf, requestDevice } from '../request-info.js'
import { LoginBody, RegisterBody, SignedInReply, UserPatchBody, UserReply } from './schemas.js'

const tags = ['auth']

/** The canonical face's account routes: register, login, logout, the user. */
export async function authRoutes(app: FastifyInstance): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>()
  const tessera = app.tessera
  const face = 'canonical' as const

  api.post('/auth/register', {
    schema: { tags, summary: 'Create an account and its first session', body: RegisterBody, response: { 201: SignedInReply } },
    config: { face },
  }, async (request, reply) => {
    const { device, ...account } = request.body
    reply.code(201)
    return signedIn(await tessera.register(account, requestDevice(request, device), request.ip))
  })

  api.post('/auth/login', {
    schema: { tags, summary: 'Log in with e-mail or username and password', body: LoginBody, response: { 200: SignedInReply } },
    config: { face },
  }, async (request) => {
    const { attempt, device } = loginOf(request, request.body)
    return signedIn(await tessera.login(attempt, device))
  })

  api.post('/auth/logout', {
    schema: { tags, summary: 'Revoke the calling session', response: { 204: { type: 'null' } } },
    config: { face, auth: isAuthenticated },
  }, async (request, reply) => {
    await tessera.logout(principalOf(request))
    return reply.code(204).send()
  })

  api.post('/auth/logout-all', {
    schema: { tags, summary: "Revoke every session of the caller's account", response: { 204: { type: 'null' } } },
    config: { face, auth: isAuthenticated },
  }, async (request, reply) => {
    await tessera.logoutAll(principalOf(request))
    return reply.code(204).send()
  })

  api.get('/auth/user', {
    schema: { tags, summary: 'The calling user', response: { 200: UserReply } },
    config: { face, auth: isAuthenticated },
  }, async (request) => ({ user: toPublicUser(await tessera.getUser(principalOf(request).user.id)) }))

  api.patch('/auth/user', {
    schema: { tags, summary: "Change the caller's e-mail or username", body: UserPatchBody, response: { 200: UserReply } },
    config: { face, auth: isAuthenticated },
  }, async (request) => ({ user: toPublicUser(await tessera.updateProfile(principalOf(request).user.id, request.body)) }))
}

/** The reply of register and login: the user, the token (once), and the session it belongs to. */
function signedIn({ user, token, session }: SignedIn) {
  return { user: toPublicUser(user), token, session: toPublicSession(session, session.id) }
}
