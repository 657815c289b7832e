import { Type, type Static } from '@sinclair/typebox'
import { Device, PublicSessionSchema, PublicUserSchema } from './schemas.js'

/** JSON schemas of the social-login routes: they validate requests and generate `/openapi.json`. */

export const ProviderParams = Type.Object({ provider: Type.String({ maxLength: 64, description: 'The id in OIDC_PROVIDERS' }) })
export type ProviderParams = Static<typeof ProviderParams>

const Next = Type.String({ minLength: 1, maxLength: 2048, description: 'Where the browser goes afterwards; must match SOCIAL_REDIRECT_ALLOWLIST' })
// A base64url SHA-256, as RFC 7636 writes an S256 challenge.
const CodeChallenge = Type.String({ pattern: '^[A-Za-z0-9_-]{43}$', description: "The app's PKCE S256 challenge; the exchange must then send its verifier" })
// RFC 7636: a verifier is 43–128 characters.
const CodeVerifier = Type.String({ minLength: 43, maxLength: 128 })

export const StartQuery = Type.Object(
  {
    next: Next,
    code_challenge: Type.Optional(CodeChallenge),
    code_challenge_method: Type.Optional(Type.Literal('S256')),
    link: Type.Optional(Type.String({ maxLength: 128, description: 'A link code from POST /auth/social/{provider}/link/start' })),
  },
  { additionalProperties: false },
)
export type StartQuery = Static<typeof StartQuery>

export const ExchangeBody = Type.Object(
  {
    code: Type.String({ minLength: 1, maxLength: 128, description: 'The `code` query parameter of the redirect to `next`' }),
    codeVerifier: Type.Optional(CodeVerifier),
  },
  { additionalProperties: false },
)
export type ExchangeBody = Static<typeof ExchangeBody>

/** What an app obtained at the provider itself: an ID token, or an authorization code with its PKCE verifier. */
export const AppCredentialBody = Type.Object(
  {
    idToken: Type.Optional(Type.String({ minLength: 1, maxLength: 16_384 })),
    nonce: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'The nonce the app sent to the provider, if any' })),
    code: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
    codeVerifier: Type.Optional(CodeVerifier),
    redirectUri: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
    clientId: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: "The app's own client id, when it is one of the provider's mobileClientIds" })),
    device: Type.Optional(Device),
  },
  { additionalProperties: false, description: 'Send idToken (and nonce), or code with codeVerifier and redirectUri' },
)
export type AppCredentialBody = Static<typeof AppCredentialBody>

export const LinkStartBody = Type.Object({ next: Next }, { additionalProperties: false })
export type LinkStartBody = Static<typeof LinkStartBody>

export const LinkConfirmBody = Type.Object(
  { linkResult: Type.String({ minLength: 1, maxLength: 4096, description: 'The `link_result` query parameter of the redirect to `next`' }) },
  { additionalProperties: false },
)
export type LinkConfirmBody = Static<typeof LinkConfirmBody>

export const IdentityIdParams = Type.Object({ id: Type.String({ maxLength: 32 }) })
export type IdentityIdParams = Static<typeof IdentityIdParams>

const SocialIdentity = Type.Object({
  id: Type.Integer(),
  provider: Type.String(),
  email: Type.Union([Type.String(), Type.Null()]),
  emailVerified: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.String({ format: 'date-time' }),
})

export const IdentitiesReply = Type.Object({ identities: Type.Array(SocialIdentity) })
export const IdentityReply = Type.Object({ identity: SocialIdentity })
export const ProvidersReply = Type.Object({
  providers: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), startUrl: Type.String() })),
})
export const LinkStartReply = Type.Object({ url: Type.String({ description: 'Send the browser here; the code in it works once, for two minutes' }) })
export const SocialSignedInReply = Type.Object({
  user: Type.Ref(PublicUserSchema),
  token: Type.String({ description: 'Shown once; only its hash is stored' }),
  session: Type.Ref(PublicSessionSchema),
  created: Type.Boolean({ description: 'True when this sign-in created the account' }),
})
export const ExchangeReply = Type.Object({
  user: Type.Ref(PublicUserSchema),
  token: Type.String({ description: 'Shown once; only its hash is stored' }),
  session: Type.Ref(PublicSessionSchema),
})
