import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { TesseraError, ValidationError } from '../../core/errors.js'
import { toPublicSession, toPublicSocialIdentity, toPublicUser } from '../../core/public-json.js'
import { deviceName } from '../../core/sessions.js'
import type { SocialProfile } from '../../core/social-accounts.js'
import type { SignedIn } from '../../core/tessera.js'
import { openLinkResult } from '../../social/link-result.js'
import type { SocialClient } from '../../social/social-client.js'
import type { SocialClients } from '../../social/social-clients.js'
import { isAuthenticated } from '../guards.js'
import { principalOf } from '../request-info.js'
import {
  AppCredentialBody,
  IdentitiesReply,
  IdentityIdParams,
  IdentityReply,
  LinkConfirmBody,
  LinkStartBody,
  LinkStartReply,
  ProviderParams,
  SocialSignedInReply,
} from './social-schemas.js'

/** What social.ts shares with these routes. */
export interface SocialAppRoutesOptions {
  clients: SocialClients
  publicUrl: string
  clientOf(provider: string): SocialClient
  nextOf(next: string): URL
  sealingKey(): Promise<Buffer>
}

const tags = ['social']
const face = 'canonical' as const
const IDENTITY_ID = /^[1-9]\d{0,14}$/

/**
 * The social routes an app calls with JSON: sign in with what it obtained at the provider itself
 * (a mobile app's native flow), link a provider to the signed-in account (natively, or by sending
 * the browser through the flow), and list or unlink the account's identities.
 */
export async function socialAppRoutes(app: FastifyInstance, options: SocialAppRoutesOptions): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>()
  const tessera = app.tessera
  const { clientOf, nextOf } = options

  api.post('/auth/social/:provider/token', {
    schema: {
      tags,
      summary: "Sign in with the provider's ID token, or a code and PKCE verifier, that an app obtained itself",
      params: ProviderParams,
      body: AppCredentialBody,
      response: { 200: SocialSignedInReply },
    },
    config: { face },
  }, async (request) => {
    const client = clientOf(request.params.provider)
    const profile = await profileFromApp(client, request.body)
    const device = deviceName(request.body.device ?? `${client.name} sign-in · ${request.headers['user-agent']?.trim() || 'unknown device'}`, undefined)
    const { created, ...session } = await tessera.signInWithSocial(profile, device, request.ip)
    return { ...signedIn(session), created }
  })

  api.post('/auth/social/:provider/link', {
    schema: {
      tags,
      summary: "Link the provider's account (an ID token, or a code and PKCE verifier, that an app obtained) to the caller",
      params: ProviderParams,
      body: AppCredentialBody,
      response: { 201: IdentityReply },
    },
    config: { face, auth: isAuthenticated },
  }, async (request, reply) => {
    const client = clientOf(request.params.provider)
    const identity = await tessera.linkSocialIdentity(principalOf(request).user.id, await profileFromApp(client, request.body))
    reply.code(201)
    return { identity: toPublicSocialIdentity(identity) }
  })

  api.post('/auth/social/:provider/link/start', {
    schema: {
      tags,
      summary: 'A URL that takes the browser through the provider and back to `next` with a `link_result` to confirm',
      params: ProviderParams,
      body: LinkStartBody,
      response: { 200: LinkStartReply },
    },
    config: { face, auth: isAuthenticated },
  }, async (request) => {
    const client = clientOf(request.params.provider)
    const next = nextOf(request.body.next)
    // A browser navigation carries no Authorization header: a single-use code names the user instead.
    const link = await tessera.issueSocialLinkCode(principalOf(request).user.id, client.id)
    const url = new URL(`${options.publicUrl}/auth/social/${client.id}/start`)
    url.searchParams.set('next', next.href)
    url.searchParams.set('link', link)
    return { url: url.href }
  })

  api.post('/auth/social/:provider/link/confirm', {
    schema: {
      tags,
      summary: 'Link the account a browser link flow signed in to at the provider (its `link_result`) to the caller',
      params: ProviderParams,
      body: LinkConfirmBody,
      response: { 201: IdentityReply },
    },
    config: { face, auth: isAuthenticated },
  }, async (request, reply) => {
    const client = clientOf(request.params.provider)
    const result = openLinkResult(await options.sealingKey(), request.body.linkResult, client.id, new Date())
    if (!result) throw new TesseraError('social_login_failed', 'This link result is invalid or expired. Start linking again.')
    const userId = principalOf(request).user.id
    // Only the user who started the link may complete it: a link URL sent to someone else links nothing.
    if (result.userId !== userId) throw new TesseraError('permission_denied', 'This link was started by another account.')
    const identity = await tessera.linkSocialIdentity(userId, result.profile)
    reply.code(201)
    return { identity: toPublicSocialIdentity(identity) }
  })

  api.get('/auth/social/identities', {
    schema: { tags, summary: "The caller's linked social identities", response: { 200: IdentitiesReply } },
    config: { face, auth: isAuthenticated },
  }, async (request) => ({
    identities: (await tessera.listSocialIdentities(principalOf(request).user.id)).map(toPublicSocialIdentity),
  }))

  api.delete('/auth/social/identities/:id', {
    schema: {
      tags,
      summary: 'Unlink one of the caller\'s identities; refused for the last way to sign in',
      params: IdentityIdParams,
      response: { 204: { type: 'null' } },
    },
    config: { face, auth: isAuthenticated },
  }, async (request, reply) => {
    if (!IDENTITY_ID.test(request.params.id)) throw new TesseraError('not_found', 'No such social identity.')
    await tessera.unlinkSocialIdentity(principalOf(request).user.id, Number(request.params.id))
    return reply.code(204).send()
  })
}

/** The profile behind what an app sent: an ID token (and its nonce), or a code with its verifier and redirect URI. */
async function profileFromApp(client: SocialClient, body: AppCredentialBody): Promise<SocialProfile> {
  const { idToken, nonce, code, codeVerifier, redirectUri, clientId } = body
  if (idToken !== undefined) {
    if (code !== undefined) throw new ValidationError({ code: ['Send idToken or code, not both.'] }, 'Send idToken or code, not both.')
    return client.verifyIdToken(idToken, nonce)
  }
  if (code === undefined) {
    throw new ValidationError(
      { idToken: ['Send idToken, or code with codeVerifier and redirectUri.'] },
      'Send the ID token the app obtained, or the authorization code with its PKCE verifier and redirect URI.',
    )
  }
  const missing: Record<string, string[]> = {}
  if (codeVerifier === undefined) missing.codeVerifier = ['This field is required with code.']
  if (redirectUri === undefined) missing.redirectUri = ['This field is required with code.']
  if (codeVerifier === undefined || redirectUri === undefined) throw new ValidationError(missing)
  return client.exchangeAppCode({ code, codeVerifier, redirectUri, clientId, nonce })
}

/** The reply of a sign-in: the user, the token (once), and the session it belongs to. */
export function signedIn({ user, token, session }: SignedIn) {
  return { user: toPublicUser(user), token, session: toPublicSession(session, session.id) }
}
