import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { ValidationError } from '../../core/errors.js'
import { toPublicSession, toPublicUser } from '../../core/public-json.js'
import type { StaffActor, StaffUserQuery } from '../../core/staff.js'
import { isAdminUser } from '../guards.js'
import { principalOf, requestDevice } from '../request-info.js'
import { Device, Email, PublicUserSchema, SessionsReply, TokenReply, UserReply, Username } from './schemas.js'

const tags = ['staff']

// This server's ajv does not coerce types, so query values are strings checked by pattern.
const Flag = Type.String({ pattern: '^(true|false)$' })
const UsersQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ maxLength: 254, description: 'Substring of e-mail or username, any case' })),
    active: Type.Optional(Flag),
    staff: Type.Optional(Flag),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$', description: '1–200; default 50' })),
    cursor: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,24}$', description: 'nextCursor of the previous page' })),
  },
  { additionalProperties: false },
)
const UsersReply = Type.Object({
  users: Type.Array(Type.Ref(PublicUserSchema)),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'null on the last page' }),
})
const UserIdParams = Type.Object({ id: Type.String({ pattern: '^[0-9]{1,15}$' }) })
const StaffPatchBody = Type.Object(
  {
    isActive: Type.Optional(Type.Boolean({ description: 'false revokes every session' })),
    isStaff: Type.Optional(Type.Boolean()),
    isSuperuser: Type.Optional(Type.Boolean({ description: 'Only a superuser may change it' })),
    email: Type.Optional(Email),
    username: Type.Optional(Username),
  },
  { additionalProperties: false },
)
const NewTokenBody = Type.Object({ device: Device }, { additionalProperties: false })

/** The cursor clients get: the page's last id, base64url (opaque to them). */
const encodeCursor = (id: number): string => Buffer.from(String(id), 'utf8').toString('base64url')

function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8')
  if (!/^[0-9]{1,15}$/.test(text)) throw new ValidationError({ cursor: ['Invalid cursor.'] })
  return Number(text)
}

/** Who acts, for the core's staff rules and its audit log: the caller, from the request's address. */
const actorOf = (request: FastifyRequest): StaffActor => ({ user: principalOf(request).user, address: request.ip })

/** The Staff API: list, search and change users; see and revoke their sessions; mint tokens. */
export async function staffRoutes(app: FastifyInstance): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>()
  const tessera = app.tessera
  const config = { face: 'canonical' as const, auth: isAdminUser }

  api.get('/auth/admin/users', {
    schema: { tags, summary: 'Users by id, searched and filtered (staff)', querystring: UsersQuery, response: { 200: UsersReply } },
    config,
  }, async (request) => {
    const { q, active, staff, limit, cursor } = request.query
    const query: StaffUserQuery = {}
    if (q !== undefined) query.q = q
    if (active !== undefined) query.isActive = active === 'true'
    if (staff !== undefined) query.isStaff = staff === 'true'
    if (limit !== undefined) query.limit = Number(limit)
    if (cursor !== undefined) query.afterId = decodeCursor(cursor)
    const page = await tessera.listUsers(query)
    return {
      users: page.users.map(toPublicUser),
      nextCursor: page.nextAfterId === null ? null : encodeCursor(page.nextAfterId),
    }
  })

  api.patch('/auth/admin/users/:id', {
    schema: {
      tags,
      summary: "Change a user's flags, e-mail or username (staff; isSuperuser needs a superuser)",
      params: UserIdParams,
      body: StaffPatchBody,
      response: { 200: UserReply },
    },
    config,
  }, async (request) => {
    const user = await tessera.updateUserAsStaff(actorOf(request), Number(request.params.id), request.body)
    return { user: toPublicUser(user) }
  })

  api.get('/auth/admin/users/:id/sessions', {
    schema: { tags, summary: "A user's live sessions (staff)", params: UserIdParams, response: { 200: SessionsReply } },
    config,
  }, async (request) => {
    const sessions = await tessera.listSessionsAsStaff(actorOf(request), Number(request.params.id))
    return { sessions: sessions.map((s) => toPublicSession(s, principalOf(request).sessionId)) }
  })

  api.delete('/auth/admin/users/:id/sessions', {
    schema: { tags, summary: "Revoke every session of a user (staff)", params: UserIdParams, response: { 204: { type: 'null' } } },
    config,
  }, async (request, reply) => {
    await tessera.revokeUserSessionsAsStaff(actorOf(request), Number(request.params.id))
    return reply.code(204).send()
  })

  api.post('/auth/admin/users/:id/tokens', {
    schema: {
      tags,
      summary: 'A new session and token for a user (staff); the token is shown once',
      params: UserIdParams,
      body: NewTokenBody,
      response: { 201: TokenReply },
    },
    config,
  }, async (request, reply) => {
    const device = requestDevice(request, request.body.device)
    const { token, session } = await tessera.createTokenAsStaff(actorOf(request), Number(request.params.id), device)
    return reply.code(201).send({ token, session: toPublicSession(session) })
  })
}
