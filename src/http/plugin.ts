import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import type { CredentialCheck } from '../core/principal.js'
import type { Tessera } from '../core/tessera.js'
import { readAuthorization } from './authenticators.js'
import type { Guard } from './guards.js'
import { credentialError, permissionDenied, sendError, simplejwtBearerError } from './errors.js'
import type { CredentialFailure, Face } from './types.js'
import type { TesseraError } from '../core/errors.js'
import './types.js'

/** Checks a credential taken from a header; the opaque-token check of the core by default. */
export type CredentialValidator = (credential: string) => Promise<CredentialCheck>

/** What the authentication hook of one route needs to know of it, read once when the route is added. */
interface RouteAuth {
  guard: Guard
  face: Face
  simplejwtBearer: boolean
}

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
  const custom = options.validators
  // The default path asks the core, which answers synchronously from its cache when it can.
  const validate = custom
    ? async (credential: string): Promise<CredentialCheck> => {
        let check: CredentialCheck = { ok: false, reason: 'invalid_token' }
        for (const validator of custom) {
          check = await validator(credential)
          if (check.ok || check.reason === 'user_inactive') return check
        }
        return check
      }
    : (credential: string) => core.checkCredentialNow(credential)
  if (!app.hasDecorator('tessera')) app.decorate('tessera', core)
  app.decorateRequest('principal', null)

  /** The error for a refused credential: DRF's words, or Simple JWT's for a Bearer one where the route asks (only refusals pay for the look). */
  const refusal = (request: FastifyRequest, failure: CredentialFailure, simplejwtBearer: boolean): TesseraError => {
    if (!simplejwtBearer) return credentialError(failure)
    const header = request.headers.authorization?.trim() ?? ''
    const keyword = header.split(/\s/, 1)[0]!.toLowerCase()
    return keyword === 'bearer' ? simplejwtBearerError(failure, header.slice(keyword.length).trim() || null) : credentialError(failure)
  }

  /** Applies the credential's answer and the route's guard; replies 401/403 itself when refused. */
  const decide = (
    request: FastifyRequest,
    reply: FastifyReply,
    { guard, face, simplejwtBearer }: RouteAuth,
    check: CredentialCheck | null,
    done: HookHandlerDoneFunction,
  ): void => {
    if (check) {
      if (!check.ok) return void sendError(reply, face, refusal(request, check.reason, simplejwtBearer))
      request.principal = check.principal
    }
    if (guard(request)) return done()
    // DRF's rule: refuse an anonymous caller with 401 and a challenge, a known one with 403.
    sendError(reply, face, request.principal ? permissionDenied() : credentialError('not_authenticated'))
  }

  // A callback hook, not an async one: a cached credential is decided without a promise. One per
  // route, holding what it needs of the route: `request.routeOptions` builds a new object on every read.
  const authenticatorFor = (route: RouteAuth) => (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const header = readAuthorization(request.headers.authorization)
    if (header.kind === 'malformed') return void sendError(reply, route.face, refusal(request, header.failure, route.simplejwtBearer))
    if (header.kind === 'none') return decide(request, reply, route, null, done)
    const check = validate(header.credential)
    if (check instanceof Promise) check.then((c) => decide(request, reply, route, c, done), done)
    else decide(request, reply, route, check, done)
  }

  app.addHook('onRoute', (route: RouteOptions) => {
    const guard = route.config?.auth
    if (!guard) return
    const existing = route.onRequest ? (Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]) : []
    const auth: RouteAuth = { guard, face: route.config?.face ?? defaultFace, simplejwtBearer: route.config?.simplejwtBearer === true }
    route.onRequest = [authenticatorFor(auth), ...existing]
  })
}

/** The Tessera Fastify plugin (see `TesseraPluginOptions`). */
export const tesseraPlugin = fp(tessera, { name: 'tessera', fastify: '5.x' })
export default tesseraPlugin
