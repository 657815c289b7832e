import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import type { CredentialCheck } from '../core/principal.js'
import type { Tessera } from '../core/tessera.js'
import { readAuthorization } from './authenticators.js'
import { credentialError, permissionDenied, sendError } from './errors.js'
import type { Face } from './types.js'
import './types.js'

/** Checks a credential taken from a header; the opaque-token check of the core by default. */
export type CredentialValidator = (credential: string) => Promise<CredentialCheck>

/** Options of the Tessera Fastify plugin. */
export interface TesseraPluginOptions {
  /** The core to authenticate against. */
  tessera: Tessera
  /** The wire format of authentication errors on routes that do not name one. @default 'drf' */
  face?: Face
  /** Checks each credential in turn until one accepts it. @default the core's opaque tokens and access JWTs */
  validators?: CredentialValidator[]
}

/**
 * Authenticates every route that declares `config: { auth: guard }`: reads the `Authorization`
 * header, sets `request.principal`, and answers 401 or 403 in the route's face when the guard
 * refuses. Routes without `config.auth` are left alone.
 *
 * @example
 * await app.register(tesseraPlugin, { tessera })
 * app.get('/tracks/', { config: { auth: isAuthenticatedOrReadOnly } }, handler)
 */
async function tessera(app: FastifyInstance, options: TesseraPluginOptions): Promise<void> {
  if (!options || typeof options.tessera?.validateToken !== 'function') {
    throw new TypeError('tessera: options.tessera must be a Tessera instance')
  }
  const defaultFace = options.face ?? 'drf'
  if (!['canonical', 'drf', 'conduit'].includes(defaultFace)) {
    throw new TypeError('tessera: options.face must be "canonical", "drf" or "conduit"')
  }
  const core = options.tessera
  const validators = options.validators ?? [(credential: string) => core.checkCredential(credential)]
  if (!app.hasDecorator('tessera')) app.decorate('tessera', core)
  app.decorateRequest('principal', null)

  const validate = async (credential: string): Promise<CredentialCheck> => {
    let check: CredentialCheck = { ok: false, reason: 'invalid_token' }
    for (const validator of validators) {
      check = await validator(credential)
      if (check.ok || check.reason === 'user_inactive') return check
    }
    return check
  }

  // Returning the reply after sending tells Fastify the request is answered and stops the chain.
  const authenticate = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const config = request.routeOptions.config
    const face = config.face ?? defaultFace
    const header = readAuthorization(request.headers.authorization)
    if (header.kind === 'malformed') return sendError(reply, face, credentialError(header.failure))
    if (header.kind === 'credential') {
      const check = await validate(header.credential)
      if (!check.ok) return sendError(reply, face, credentialError(check.reason))
      request.principal = check.principal
    }
    if (config.auth!(request)) return undefined
    // DRF's rule: refuse an anonymous caller with 401 and a challenge, a known one with 403.
    return sendError(reply, face, request.principal ? permissionDenied() : credentialError('not_authenticated'))
  }

  app.addHook('onRoute', (route: RouteOptions) => {
    if (!route.config?.auth) return
    const existing = route.onRequest ? (Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]) : []
    route.onRequest = [authenticate, ...existing]
  })
}

/** The Tessera Fastify plugin (see `TesseraPluginOptions`). */
export const tesseraPlugin = fp(tessera, { name: 'tessera', fastify: '5.x' })
export default tesseraPlugin
