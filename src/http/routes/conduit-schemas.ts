import { Type, type Static, type TSchema } from '@sinclair/typebox'

/**
 * JSON schemas of the Conduit (RealWorld) face. Bodies sit under `"user"`; fields the face does
 * not know (clients echo back the whole user, `token` included) are ignored, never applied.
 */

/** A string that may be null: OpenAPI 3.0's `nullable`, which Ajv checks as one type error. */
const NullableString = (options: { maxLength?: number; description?: string } = {}) =>
  Type.Unsafe<string | null>({ type: 'string', nullable: true, ...options })

const Email = Type.String({ maxLength: 254 })
const Username = Type.String({ maxLength: 150 })
const Password = Type.String({ maxLength: 1024 })
// Profile text is the user's own; these caps only keep a row from holding a whole request body.
const Bio = NullableString({ maxLength: 5000 })
const Image = NullableString({ maxLength: 2048, description: 'URL of the avatar' })

/** `{"user": inner}`, the envelope of every Conduit body and reply. */
const underUser = <T extends TSchema>(inner: T) => Type.Object({ user: inner })

export const ConduitRegisterBody = underUser(Type.Object({ username: Username, email: Email, password: Password }))
export type ConduitRegisterBody = Static<typeof ConduitRegisterBody>

export const ConduitLoginBody = underUser(Type.Object({ email: Email, password: Password }))
export type ConduitLoginBody = Static<typeof ConduitLoginBody>

export const ConduitUpdateBody = underUser(
  Type.Object(
    {
      email: Type.Optional(Email),
      username: Type.Optional(Username),
      password: Type.Optional(NullableString({ maxLength: 1024, description: 'Blank or null leaves the password as it is' })),
      bio: Type.Optional(Bio),
      image: Type.Optional(Image),
    },
    { description: 'Privilege fields (isStaff, isSuperuser, isActive) and other unknown fields are ignored' },
  ),
)
export type ConduitUpdateBody = Static<typeof ConduitUpdateBody>

/** The RealWorld user object, exactly these five fields. */
export const ConduitUser = Type.Object(
  {
    email: Type.String(),
    token: Type.String({ description: 'An access JWT, sent back as `Authorization: Token <jwt>`' }),
    username: Type.String(),
    bio: NullableString(),
    image: NullableString(),
  },
  { additionalProperties: false },
)
export type ConduitUser = Static<typeof ConduitUser>

export const ConduitUserReply = underUser(ConduitUser)
