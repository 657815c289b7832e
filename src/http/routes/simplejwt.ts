import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { addFieldError, TesseraError, ValidationError, type FieldErrors } from '../../core/errors.js'
import { REFRESH_PREFIX } from '../../core/refresh-tokens.js'
import { isWellFormedToken } from '../../core/tokens.js'
import { registerDrfBodyParsers } from '../body-parsers.js'
import { sendError, toTesseraError } from '../errors.js'
import { requestDevice } from '../request-info.js'
import { pythonType } from './drf-fields.js'

/*
 * The Simple JWT face (djangorestframework-simplejwt 5.2 with its blacklist app, ROTATE_REFRESH_TOKENS
 * and BLACKLIST_AFTER_ROTATION on), a thin adapter over the core's JWT sessions:
 *
 *   POST {prefix}/           obtain   {username, password}  → 200 {"refresh", "access"}
 *   POST {prefix}/refresh/   refresh  {refresh}             → 200 {"access", "refresh"} (always rotates)
 *   POST {prefix}/verify/    verify   {token}               → 200 {} for a live access JWT or refresh token
 *   POST {prefix}/blacklist/ blacklist {refresh}            → 200 {}; the refresh token's session ends
 *
 * FOR OTHER FACES (djoser's jwt/create|refresh|verify are these very views):
 *
 *   import { registerSimplejwtViews } from './simplejwt.js'
 *   await registerSimplejwtViews(app, { obtain: '/jwt/create/', refresh: '/jwt/refresh/', verify: '/jwt/verify/' })
 *
 * It registers the views in an encapsulated child of `app` (so under `app`'s prefix) with their own
 * error rendering (Simple JWT's bodies, `WWW-Authenticate: Bearer realm="api"` on 401s), form and
 * multipart parsers (unless `app` already has them), 405s for other methods, and `Allow`.
 */

/** Where the views are mounted, relative to the registering context's prefix; leave one out to not mount it. */
export interface SimplejwtPaths {
  obtain?: string
  refresh?: string
  verify?: string
  blacklist?: string
}

/** Simple JWT's `WWW-Authenticate` on its views' 401s (`AUTH_HEADER_TYPES[0]` and the view's realm). */
const SIMPLEJWT_CHALLENGE = 'Bearer realm="api"'

const NO_ACTIVE_ACCOUNT = 'No active account found with the given credentials'
const INVALID_OR_EXPIRED = 'Token is invalid or expired'
const BLACKLISTED = 'Token is blacklisted'
const WRONG_TYPE = 'Token has wrong type'
/** Longer than any credential this server issues: refused without being parsed. */
const TOKEN_MAX = 8192
const ALLOW = 'POST, OPTIONS'
const tags = ['simplejwt']
const face = 'drf' as const

/** A Simple JWT answer other than a core error: its status and body, verbatim. */
class SimplejwtError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.detail ?? 'simplejwt error'))
    this.name = 'SimplejwtError'
  }
}

/** simplejwt's `InvalidToken`: 401 `{"detail": why, "code": "token_not_valid"}`. */
const tokenNotValid = (detail: string) => new SimplejwtError(401, { detail, code: 'token_not_valid' })

/** The face under its prefix (SIMPLEJWT_PREFIX, `/api/token` by default), as `rest_framework_simplejwt.urls` would mount it. */
export async function simplejwtRoutes(app: FastifyInstance): Promise<void> {
  await registerSimplejwtViews(app, { obtain: '/', refresh: '/refresh/', verify: '/verify/', blacklist: '/blacklist/' })
}

/** Registers Simple JWT's views at `paths` (relative to `app`'s prefix); see the note at the top of this file. */
export async function registerSimplejwtViews(app: FastifyInstance, paths: SimplejwtPaths): Promise<void> {
  await app.register(async (views) => {
    await simplejwtViews(views, paths)
  })
}

async function simplejwtViews(app: FastifyInstance, paths: SimplejwtPaths): Promise<void> {
  const tessera = app.tessera
  // DRF's default parsers: JSON (the server's), forms and multipart.
  await registerDrfBodyParsers(app)
  app.setErrorHandler(renderSimplejwtError)
  // DRF sends Allow on every answer of an APIView, errors included.
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('allow', ALLOW)
    return payload
  })

  /** A POST view, the 405 DRF gives for the other methods, and OPTIONS' metadata. */
  const view = (path: string, name: string, summary: string, handler: (request: FastifyRequest) => Promise<unknown>) => {
    app.post(path, { schema: { tags, summary, consumes: ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'] }, config: { face } }, handler)
    app.route({
      method: ['GET', 'PUT', 'PATCH', 'DELETE'],
      url: path,
      schema: { hide: true },
      config: { face },
      handler: async (request) => {
        throw new SimplejwtError(405, { detail: `Method "${request.method}" not allowed.` })
      },
    })
    app.options(path, { schema: { hide: true }, config: { face } }, async () => ({
      name,
      description: summary,
      renders: ['application/json'],
      parses: ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'],
    }))
  }

  /** "Token has wrong type" for an access JWT where a refresh token belongs, else "invalid or expired". */
  const notARefreshToken = async (value: string): Promise<SimplejwtError> =>
    tokenNotValid((value.length <= TOKEN_MAX && (await tessera.isSignedAccessToken(value))) ? WRONG_TYPE : INVALID_OR_EXPIRED)

  if (paths.obtain !== undefined) {
    view(paths.obtain, 'Token Obtain Pair', 'Log in with a username (or e-mail) and password; get a refresh token and an access JWT', async (request) => {
      const fields = readFields(request, ['username', 'password'])
      try {
        const pair = await tessera.loginWithJwt({ identifier: fields.username!, password: fields.password!, address: request.ip }, requestDevice(request))
        return { refresh: pair.refresh, access: pair.access }
      } catch (error) {
        // Unknown user, wrong password and inactive user: one answer, as the core gives one.
        if (error instanceof TesseraError && error.code === 'invalid_credentials') throw new SimplejwtError(401, { detail: NO_ACTIVE_ACCOUNT })
        throw error
      }
    })
  }

  if (paths.refresh !== undefined) {
    view(paths.refresh, 'Token Refresh', 'Exchange a refresh token for a new access JWT and a new refresh token; a spent one ends its session', async (request) => {
      const { refresh } = readFields(request, ['refresh'])
      if (!isRefreshShaped(refresh!)) throw await notARefreshToken(refresh!)
      try {
        const pair = await tessera.refreshJwt(refresh!)
        return { access: pair.access, refresh: pair.refresh }
      } catch (error) {
        // A spent token (its session is now revoked), or one whose session ended: simplejwt's blacklisted.
        if (error instanceof TesseraError && (error.code === 'refresh_reused' || error.code === 'invalid_token')) throw tokenNotValid(BLACKLISTED)
        throw error
      }
    })
  }

  if (paths.verify !== undefined) {
    view(paths.verify, 'Token Verify', 'Check an access JWT or a refresh token; spends nothing', async (request) => {
      const { token } = readFields(request, ['token'])
      if (isRefreshShaped(token!)) {
        if (await tessera.checkRefreshToken(token!)) return {}
        // simplejwt's TokenVerifySerializer raises a plain ValidationError for a blacklisted token.
        throw new ValidationError({ body: [BLACKLISTED] })
      }
      if (token!.length <= TOKEN_MAX && (await tessera.verifyAccessToken(token!)).ok) return {}
      throw tokenNotValid(INVALID_OR_EXPIRED)
    })
  }

  if (paths.blacklist !== undefined) {
    view(paths.blacklist, 'Token Blacklist', "Blacklist a refresh token: its session ends, with every token it issued", async (request) => {
      const { refresh } = readFields(request, ['refresh'])
      if (!isRefreshShaped(refresh!)) throw await notARefreshToken(refresh!)
      try {
        await tessera.revokeRefreshToken(refresh!)
      } catch (error) {
        if (error instanceof TesseraError && error.code === 'invalid_token') throw tokenNotValid(BLACKLISTED)
        throw error
      }
      return {}
    })
  }
}

/**
 * True for a string shaped like this server's refresh tokens. One that is no longer live is
 * reported as simplejwt reports a blacklisted one (the core does not say whether a dead token was
 * spent, revoked or expired, nor whether it was ever issued).
 */
function isRefreshShaped(value: string): boolean {
  return value.startsWith(REFRESH_PREFIX) && isWellFormedToken(value, REFRESH_PREFIX)
}


/**
 * The named fields as DRF's `CharField()` reads them (Simple JWT's fields, `PasswordField` included,
 * trim whitespace): required, not null, not blank; numbers become strings; other fields are ignored.
 */
function readFields(request: FastifyRequest, names: string[]): Record<string, string> {
  const body = request.body
  // No body at all (or an empty one) is an empty QueryDict to DRF.
  if (body === undefined) return readFrom({}, names, false)
  if (body === null) throw new ValidationError({ body: ['No data provided'] })
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new ValidationError({ body: [`Invalid data. Expected a dictionary, but got ${pythonType(body)}.`] })
  }
  const form = !String(request.headers['content-type'] ?? '').toLowerCase().includes('json')
  return readFrom(body as Record<string, unknown>, names, form)
}

function readFrom(fields: Record<string, unknown>, names: string[], form: boolean): Record<string, string> {
  const errors: FieldErrors = {}
  const values: Record<string, string> = {}
  for (const name of names) {
    let value = Object.hasOwn(fields, name) ? fields[name] : undefined
    // A form field sent twice: DRF's QueryDict gives the last value.
    if (form && Array.isArray(value)) value = value.at(-1)
    if (value === undefined) addFieldError(errors, name, 'This field is required.')
    else if (value === null) addFieldError(errors, name, 'This field may not be null.')
    else if (typeof value !== 'string' && typeof value !== 'number') addFieldError(errors, name, 'Not a valid string.')
    else {
      const text = String(value).trim()
      if (text === '') addFieldError(errors, name, 'This field may not be blank.')
      values[name] = text
    }
  }
  if (Object.keys(errors).length > 0) throw new ValidationError(errors)
  return values
}

/** This face's error handler: Simple JWT's bodies and challenge; unknown errors go on to the server's (500). */
function renderSimplejwtError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof SimplejwtError) {
    if (error.status === 401) reply.header('www-authenticate', SIMPLEJWT_CHALLENGE)
    return reply.code(error.status).type('application/json; charset=utf-8').send(error.body)
  }
  const known = toTesseraError(error, request)
  if (!known) throw error
  if (known.code === 'invalid_token' || known.code === 'refresh_reused') {
    return reply.code(401).header('www-authenticate', SIMPLEJWT_CHALLENGE).type('application/json; charset=utf-8').send({ detail: INVALID_OR_EXPIRED, code: 'token_not_valid' })
  }
  // DRF's shapes: field errors as a map, `non_field_errors`, else `{"detail"}`; Retry-After on 429 and 503.
  return sendError(reply, face, known)
}
