import cookie from '@fastify/cookie'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { TesseraError, ValidationError } from '../../core/errors.js'
import { deviceName } from '../../core/sessions.js'
import { FLOW_TTL_SECONDS, openFlow, sealFlow } from '../../social/flow-cookie.js'
import { LINK_RESULT_TTL_SECONDS, sealLinkResult } from '../../social/link-result.js'
import { loadSealingKey } from '../../social/seal.js'
import { allowedRedirect } from '../../social/redirect-allowlist.js'
import type { SocialClient } from '../../social/social-client.js'
import type { SocialClients } from '../../social/social-clients.js'
import { signedIn, socialAppRoutes } from './social-app.js'
import { ExchangeBody, ExchangeReply, ProviderParams, ProvidersReply, StartQuery } from './social-schemas.js'

/** What the social routes are built from (server.ts, from OIDC_PROVIDERS and SOCIAL_REDIRECT_ALLOWLIST). */
export interface SocialRoutesOptions {
  clients: SocialClients
  redirectAllowlist: readonly string[]
}

/** The cookie carrying a browser flow from its start to its callback (sealed; see src/social/flow-cookie.ts). */
export const FLOW_COOKIE = 'tessera_social_flow'

const tags = ['social']
const face = 'canonical' as const
const NO_FLOW =
  'No sign-in is in progress in this browser for this provider: it was started in another browser, took longer ' +
  'than 10 minutes, or has already been completed. Start again.'

/**
 * Social login on the canonical face. The browser flow: `GET /auth/social/:provider/start?next=…`
 * sends the person to the provider; its answer comes back to `/callback`, which checks it against
 * the flow sealed in this browser's cookie and redirects to `next` with a single-use `code`, which
 * the app swaps for a session with `POST /auth/social/exchange`; a link flow redirects with a
 * sealed `link_result` instead, which the app confirms. The app routes (native sign-in, linking,
 * identities) are in social-app.ts. Mounted only when providers are configured.
 */
export async function socialRoutes(app: FastifyInstance, options: SocialRoutesOptions): Promise<void> {
  // Registered here, inside this plugin's own context, never at the root: the admin page has its own.
  await app.register(cookie)
  const api = app.withTypeProvider<TypeBoxTypeProvider>()
  const tessera = app.tessera
  const publicUrl = tessera.settings.publicUrl.replace(/\/+$/, '')
  // The path prefix a proxy may put before Tessera's own paths (PUBLIC_URL=https://example.com/auth-server).
  const basePath = new URL(publicUrl).pathname.replace(/\/+$/, '')
  const callbackPath = (client: SocialClient) => `/auth/social/${client.id}/callback`
  let sealingKey: Promise<Buffer> | null = null
  const key = () => (sealingKey ??= loadSealingKey(tessera.store).catch((error: unknown) => {
    sealingKey = null
    throw error
  }))

  /** The configured provider named in the path; 404 otherwise. */
  const clientOf = (provider: string): SocialClient => {
    const client = options.clients.get(provider)
    if (!client) throw new TesseraError('not_found', `No social login provider is called "${provider}".`)
    return client
  }

  /** The allowlisted `next` as a URL; a 400 naming the field otherwise. */
  const nextOf = (next: string): URL => {
    const target = allowedRedirect(next, options.redirectAllowlist)
    if (target) return target
    throw new ValidationError(
      { next: [options.redirectAllowlist.length === 0 ? 'No address is allowed: set SOCIAL_REDIRECT_ALLOWLIST on the server.' : 'Not an address in SOCIAL_REDIRECT_ALLOWLIST.'] },
      'The address to return to is not allowed.',
    )
  }

  const flowCookieOptions = (request: FastifyRequest, client: SocialClient) => ({
    // Sent back only to this provider's callback, never readable by script, and — being Lax — sent
    // on the provider's top-level redirect back to us but not on cross-site subrequests.
    path: basePath + callbackPath(client),
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: request.protocol === 'https' || publicUrl.startsWith('https:'),
  })

  app.addHook('onReady', async () => {
    // Not awaited: the server starts whatever the providers do; one that is down is said in the log now.
    for (const client of options.clients.values()) {
      client.warmUp().catch((error: unknown) => {
        app.log.warn({ err: error instanceof TesseraError ? (error.cause ?? error) : error, provider: client.id }, 'identity provider unavailable at start')
      })
    }
  })

  app.addHook('onError', async (request, _reply, error) => {
    // The client gets a plain message; the operator gets the provider's own words.
    if (error instanceof TesseraError && error.code === 'provider_unavailable') {
      request.log.warn({ err: error.cause ?? error }, 'identity provider unavailable')
    } else if (error instanceof TesseraError && error.code === 'social_login_failed' && error.cause) {
      request.log.info({ err: error.cause }, 'social sign-in failed')
    }
  })

  api.get('/auth/social/providers', {
    schema: { tags, summary: 'The providers people may sign in with, and where a browser starts each', response: { 200: ProvidersReply } },
    config: { face },
  }, async () => ({
    providers: [...options.clients.values()].map((client) => ({ id: client.id, name: client.name, startUrl: `${publicUrl}/auth/social/${client.id}/start` })),
  }))

  api.get('/auth/social/:provider/start', {
    schema: {
      tags,
      summary: 'Start a browser sign-in (or, with a link code, a linking): redirects to the provider',
      params: ProviderParams,
      querystring: StartQuery,
      response: { 302: { type: 'null' } },
    },
    config: { face },
  }, async (request, reply) => {
    const client = clientOf(request.params.provider)
    const next = nextOf(request.query.next)
    let linkUserId: number | null = null
    if (request.query.link !== undefined) {
      linkUserId = await tessera.redeemSocialLinkCode(request.query.link, client.id)
      if (linkUserId === null) throw new TesseraError('social_login_failed', 'This link request is invalid, used or expired. Start linking again from the app.')
    }
    const start = await client.startAuthorization(publicUrl + callbackPath(client))
    const sealed = sealFlow(await key(), {
      provider: client.id,
      state: start.state,
      nonce: start.nonce,
      verifier: start.verifier,
      next: next.href,
      linkUserId,
      challenge: request.query.code_challenge ?? null,
      expiresAt: Date.now() + FLOW_TTL_SECONDS * 1000,
    })
    reply.setCookie(FLOW_COOKIE, sealed, { ...flowCookieOptions(request, client), maxAge: FLOW_TTL_SECONDS })
    return redirect(reply, start.url)
  })

  api.get('/auth/social/:provider/callback', {
    schema: { tags, summary: "The provider's answer: redirects to `next` with a sign-in code", params: ProviderParams, response: { 302: { type: 'null' } } },
    config: { face },
  }, async (request, reply) => {
    const client = clientOf(request.params.provider)
    const sealed = request.cookies[FLOW_COOKIE]
    // One answer per start, whatever it is: a replayed or second callback finds no flow.
    reply.clearCookie(FLOW_COOKIE, flowCookieOptions(request, client))
    const flow = sealed ? openFlow(await key(), sealed, client.id, new Date()) : null
    if (!flow) throw new TesseraError('social_login_failed', NO_FLOW)
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : ''
    const profile = await client.completeAuthorization(new URL(publicUrl + callbackPath(client) + query), flow)
    const target = new URL(flow.next)
    if (flow.linkUserId !== null) {
      // Not linked yet: the app confirms with the token of the user who started the link (social-app.ts).
      const result = { userId: flow.linkUserId, profile, expiresAt: Date.now() + LINK_RESULT_TTL_SECONDS * 1000 }
      target.searchParams.set('link_result', sealLinkResult(await key(), result))
    } else {
      const device = deviceName(`${client.name} sign-in · ${request.headers['user-agent']?.trim() || 'unknown device'}`, undefined)
      const { code } = await tessera.issueSocialSignInCode(profile, device, { challenge: flow.challenge, address: request.ip })
      target.searchParams.set('code', code)
    }
    return redirect(reply, target)
  })

  api.post('/auth/social/exchange', {
    schema: { tags, summary: 'Swap the sign-in code of the redirect for a session (once, within a minute)', body: ExchangeBody, response: { 200: ExchangeReply } },
    config: { face },
  }, async (request) => signedIn(await tessera.exchangeSocialSignInCode(request.body.code, request.body.codeVerifier, request.ip)))

  await app.register(socialAppRoutes, { clients: options.clients, nextOf, clientOf, publicUrl, sealingKey: key })
}

/** A 302 that no cache keeps and whose target learns nothing from the Referer. */
function redirect(reply: FastifyReply, to: URL): FastifyReply {
  return reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').redirect(to.href, 302)
}
