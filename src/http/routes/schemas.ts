import { Type, type Static } from '@sinclair/typebox'

/** JSON schemas of the canonical face: they validate bodies and generate `/openapi.json`. */

export const Email = Type.String({ maxLength: 254, description: 'Unique without regard to case' })
export const Username = Type.String({ maxLength: 150 })
export const Password = Type.String({ maxLength: 1024 })
export const Device = Type.String({ maxLength: 200, description: 'Names the session; defaults to the User-Agent' })

export const PublicUserSchema = Type.Object(
  {
    id: Type.Integer(),
    email: Type.String(),
    username: Type.String(),
    isActive: Type.Boolean(),
    isStaff: Type.Boolean(),
    isSuperuser: Type.Boolean(),
    emailVerified: Type.Boolean(),
    dateJoined: Type.String({ format: 'date-time' }),
    lastLogin: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { $id: 'User' },
)

export const PublicSessionSchema = Type.Object(
  {
    id: Type.String(),
    device: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
    lastUsedAt: Type.String({ format: 'date-time' }),
    expiresAt: Type.String({ format: 'date-time' }),
    current: Type.Boolean(),
  },
  { $id: 'Session' },
)

export const RegisterBody = Type.Object(
  { email: Email, password: Password, username: Type.Optional(Username), device: Type.Optional(Device) },
  { additionalProperties: false },
)
export type RegisterBody = Static<typeof RegisterBody>

export const LoginBody = Type.Object(
  {
    email: Type.Optional(Type.String({ maxLength: 254 })),
    username: Type.Optional(Type.String({ maxLength: 254 })),
    password: Password,
    device: Type.Optional(Device),
  },
  { additionalProperties: false },
)
export type LoginBody = Static<typeof LoginBody>

export const UserPatchBody = Type.Object(
  { email: Type.Optional(Email), username: Type.Optional(Username) },
  { additionalProperties: false, description: 'Privilege fields (isStaff, isSuperuser, isActive) are refused' },
)
export type UserPatchBody = Static<typeof UserPatchBody>

export const SessionIdParams = Type.Object({ id: Type.String({ maxLength: 64 }) })
export type SessionIdParams = Static<typeof SessionIdParams>

export const SignedInReply = Type.Object({
  user: Type.Ref(PublicUserSchema),
  token: Type.String({ description: 'Shown once; only its hash is stored' }),
  session: Type.Ref(PublicSessionSchema),
})
export const UserReply = Type.Object({ user: Type.Ref(PublicUserSchema) })
export const SessionsReply = Type.Object({ sessions: Type.Array(Type.Ref(PublicSessionSchema)) })
export const TokenReply = Type.Object({ token: Type.String(), session: Type.Ref(PublicSessionSchema) })
