import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { decodeUid } from '../../core/django-uid.js'
import { TesseraError, ValidationError, type FieldErrors } from '../../core/errors.js'
import { validatePassword } from '../../core/password-validators.js'
import type { Principal } from '../../core/principal.js'
import type { UserRecord } from '../../store/store.js'
import { registerDrfBodyParsers } from '../body-parsers.js'
import { sendError, toTesseraError } from '../errors.js'
import { allowAny, isAuthenticated, type Guard } from '../guards.js'
import { principalOf, requestDevice } from '../request-info.js'
import { charField, dictionaryOf, fieldError, methodNotAllowed, renameFields, throwIfAny, WireReply } from './drf-fields.js'
import { registerSimplejwtViews } from './simplejwt.js'

const tags = ['djoser']
const face = 'drf' as const

// djoser 2.1's messages (djoser.constants.Messages), which its clients show or match on.
const INVALID_UID = "Invalid user id or user doesn't exist."
const INVALID_TOKEN = 'Invalid token for given user.'
const STALE_TOKEN = 'Stale token for given user.'
const INVALID_PASSWORD = 'Invalid password.'
const NOT_FOUND = 'Not found.'

/** djoser's user object: `User.REQUIRED_FIELDS` (email), the id and the login field. */
function djoserUser(user: Pick<UserRecord, 'id' | 'email' | 'username'>): { email: string; id: number; username: string } {
  return { email: user.email, id: user.id, username: user.username }
}

/**
 * The djoser face (djoser 2.1 with its defaults, mounted at `DJOSER_PREFIX`): token login and
 * logout, registration, the current user, set_password, password reset and activation with
 * `{uid}/{token}` links, and Simple JWT's create/refresh/verify under `jwt/`. DRF's wire: field
 * errors as maps, `{"detail"}` otherwise, `WWW-Authenticate: Token` on 401s.
 *
 * Tessera's rules stay: a new token per login (per device), set_password ends the user's other
 * sessions, activation verifies the e-mail (it never re-activates an account staff disabled).
 */
export async function djoserRoutes(app: FastifyInstance): Promise<void> {
  const tessera = app.tessera
  // DRF's default parsers: JSON, forms and multipart.
  await registerDrfBodyParsers(app)
  app.setErrorHandler(renderDjoserError)

  /** Declares a path's handlers by method, and DRF's 405 (with `Allow`) for the others. */
  const path = (url: string, guard: Guard, handlers: Partial<Record<'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', Handler>>, summary: string): void => {
    const methods = Object.keys(handlers) as Array<keyof typeof handlers>
    const allow = [...methods, ...(methods.includes('GET') ? ['HEAD'] : []), 'OPTIONS'].join(', ')
    for (const method of methods) {
      app.route({ method, url, schema: { tags, summary: `${summary} (djoser)` }, config: { face, auth: guard, simplejwtBearer: true }, handler: handlers[method]! })
    }
    const others = (['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const).filter((m) => !methods.includes(m))
    app.route({
      method: others,
      url,
      schema: { hide: true },
      // DRF authenticates and checks permissions before it looks at the method.
      config: { face, auth: guard, simplejwtBearer: true },
      handler: async (request) => {
        throw methodNotAllowed(request.method, allow)
      },
    })
  }

  // --- token login and logout -------------------------------------------------------------

  path('/token/login/', allowAny, {
    POST: async (request) => {
      const fields = dictionaryOf(request.body)
      const errors: FieldErrors = {}
      // djoser's TokenCreateSerializer: both optional, neither blank; a missing one fails the login.
      const username = charField(fields, 'username', errors, { required: false })
      const password = charField(fields, 'password', errors, { required: false, trim: false })
      throwIfAny(errors)
      if (username === undefined || password === undefined) {
        throw new TesseraError('invalid_credentials', 'Unable to log in with provided credentials.')
      }
      const { token } = await tessera.login({ identifier: username, password, address: request.ip }, requestDevice(request))
      return { auth_token: token }
    },
  }, 'Log in: a token for a new device session')

  path('/token/logout/', isAuthenticated, {
    POST: async (request, reply) => {
      await tessera.logout(principalOf(request))
      return reply.code(204).send()
    },
  }, 'Log out: ends the calling session only')

  // --- users -----------------------------------------------------------------------------

  path('/users/', allowAny, {
    GET: async (request) => {
      const principal = principalOf(request)
      if (!principal.user.isStaff) return [djoserUser(await tessera.getUser(principal.user.id))]
      // djoser shows staff every user, unpaginated (DRF's default); read here page by page.
      const users: ReturnType<typeof djoserUser>[] = []
      let afterId: number | undefined
      for (;;) {
        const page = await tessera.listUsers({ limit: 200, ...(afterId === undefined ? {} : { afterId }) })
        users.push(...page.users.map(djoserUser))
        if (page.nextAfterId === null) return users
        afterId = page.nextAfterId
      }
    },
    POST: async (request, reply) => {
      const fields = dictionaryOf(request.body)
      const errors: FieldErrors = {}
      const username = charField(fields, 'username', errors)
      const password = charField(fields, 'password', errors, { trim: false })
      const email = charField(fields, 'email', errors, { required: false, allowBlank: true })
      throwIfAny(errors)
      // Django's e-mail may be blank; every Tessera account has one (reset and verification mail it).
      if (email === undefined) throw fieldError('email', 'This field is required.')
      try {
        // Only these three reach the core: is_staff, is_superuser, is_active in a body are never read.
        const user = await tessera.createUser({ email, username: username!, password: password! })
        return reply.code(201).send({ email: user.email, username: user.username, id: user.id })
      } catch (error) {
        throw fieldsBeforePassword(error)
      }
    },
  }, 'Users: the caller (staff: everyone); POST registers')
  // GET /users/ needs a user (principalOf answers 401 without one), POST does not.

  const me = {
    GET: async (request: FastifyRequest) => djoserUser(await tessera.getUser(principalOf(request).user.id)),
    PUT: async (request: FastifyRequest) => updateMe(principalOf(request), request.body),
    PATCH: async (request: FastifyRequest) => updateMe(principalOf(request), request.body),
    DELETE: async (request: FastifyRequest, reply: FastifyReply) => {
      await deleteMe(request, principalOf(request))
      return reply.code(204).send()
    },
  }

  /** PUT and PATCH: only the e-mail is writable (the username is djoser's read-only login field). */
  async function updateMe(principal: Principal, body: unknown): Promise<ReturnType<typeof djoserUser>> {
    const fields = dictionaryOf(body)
    const errors: FieldErrors = {}
    const email = charField(fields, 'email', errors, { required: false, allowBlank: true })
    throwIfAny(errors)
    const user = email === undefined ? await tessera.getUser(principal.user.id) : await tessera.updateProfile(principal.user.id, { email })
    return djoserUser(user)
  }

  /**
   * djoser deletes the account after checking `current_password`. Tessera's core has no deletion
   * yet: the account is deactivated, which ends every session at once (see the report).
   */
  async function deleteMe(request: FastifyRequest, principal: Principal): Promise<void> {
    const fields = dictionaryOf(request.body)
    const errors: FieldErrors = {}
    const current = charField(fields, 'current_password', errors, { trim: false })
    throwIfAny(errors)
    await tessera.deactivateOwnAccount(principal.user.id, current!).catch((error: unknown) => {
      throw currentPasswordFirst(renameFields(error, { currentPassword: 'current_password' }))
    })
  }

  path('/users/me/', isAuthenticated, me, 'The calling user')

  path('/users/:id/', isAuthenticated, {
    GET: async (request) => djoserUser(await otherUser(request, 'read')),
    PUT: async (request) => {
      await otherUser(request, 'write')
      return updateMe(principalOf(request), request.body)
    },
    PATCH: async (request) => {
      await otherUser(request, 'write')
      return updateMe(principalOf(request), request.body)
    },
    DELETE: async (request, reply) => {
      await otherUser(request, 'write')
      await deleteMe(request, principalOf(request))
      return reply.code(204).send()
    },
  }, 'A user by id: the caller (staff may read anyone)')

  /** The user of `/users/<id>/`: the caller's own; staff may read others; anyone else gets 404. */
  async function otherUser(request: FastifyRequest, access: 'read' | 'write'): Promise<UserRecord> {
    const principal = principalOf(request)
    const raw = (request.params as { id?: string }).id ?? ''
    const id = /^\d{1,15}$/.test(raw) ? Number(raw) : NaN
    if (id === principal.user.id) return tessera.getUser(id)
    // Others are hidden (djoser's HIDE_USERS), so an id tells nothing about who exists.
    const user = principal.user.isStaff && Number.isInteger(id) ? await tessera.findUserById(id) : null
    if (!user) throw new TesseraError('not_found', NOT_FOUND)
    // Staff change other accounts through the staff API and the admin, where the rules on privileges live.
    if (access === 'write') throw new TesseraError('permission_denied', 'You do not have permission to perform this action.')
    return user
  }

  // --- passwords -------------------------------------------------------------------------

  path('/users/set_password/', isAuthenticated, {
    POST: async (request, reply) => {
      const principal = principalOf(request)
      const fields = dictionaryOf(request.body)
      const errors: FieldErrors = {}
      const newPassword = charField(fields, 'new_password', errors, { trim: false })
      const current = charField(fields, 'current_password', errors, { trim: false })
      throwIfAny(errors)
      try {
        // The caller's session survives; Tessera ends the user's other sessions (djoser keeps them).
        await tessera.changePassword(principal.user.id, current!, newPassword!, principal.sessionId)
      } catch (error) {
        throw currentPasswordFirst(renameFields(error, { currentPassword: 'current_password', newPassword: 'new_password' }))
      }
      return reply.code(204).send()
    },
  }, "Change the caller's password")

  path('/users/reset_password/', allowAny, {
    POST: async (request, reply) => {
      const fields = dictionaryOf(request.body)
      const errors: FieldErrors = {}
      const email = charField(fields, 'email', errors)
      throwIfAny(errors)
      // The same 204 whether or not the e-mail has an account (djoser's default).
      await tessera.requestPasswordReset(email!, request.ip, { link: 'django' })
      return reply.code(204).send()
    },
  }, 'Mail a password reset link ({uid}/{token})')

  path('/users/reset_password_confirm/', allowAny, {
    POST: async (request, reply) => {
      const fields = dictionaryOf(request.body)
      const errors: FieldErrors = {}
      const uid = charField(fields, 'uid', errors)
      const token = charField(fields, 'token', errors)
      const newPassword = charField(fields, 'new_password', errors, { trim: false })
      throwIfAny(errors)
      // djoser checks the new password before the uid and the token (with no user to compare it
      // with): a weak one is said first. The core checks it again against the user's names.
      const weak = validatePassword(newPassword!, {}, { minLength: tessera.settings.passwordMinLength, maxLength: tessera.settings.passwordMaxLength })
      if (weak.length > 0) throw new ValidationError({ new_password: weak })
      const user = await userOfUid(uid!)
      try {
        await tessera.confirmPasswordReset(token!, newPassword!, request.ip, { userId: user?.id ?? 0 })
      } catch (error) {
        if (error instanceof ValidationError) throw renameFields(error, { newPassword: 'new_password' })
        if (error instanceof TesseraError && error.code === 'invalid_one_time_token') {
          throw user ? fieldError('token', INVALID_TOKEN) : fieldError('uid', INVALID_UID)
        }
        throw error
      }
      return reply.code(204).send()
    },
  }, 'Set a new password with the uid and token of a reset mail')

  // --- activation (e-mail verification) -----------------------------------------------------

  path('/users/activation/', allowAny, {
    POST: async (request, reply) => {
      const fields = dictionaryOf(request.body)
      const errors: FieldErrors = {}
      const uid = charField(fields, 'uid', errors)
      const token = charField(fields, 'token', errors)
      throwIfAny(errors)
      const user = await userOfUid(uid!)
      if (!user) throw fieldError('uid', INVALID_UID)
      try {
        await tessera.confirmEmailVerification(token!, { userId: user.id })
      } catch (error) {
        if (error instanceof TesseraError && error.code === 'invalid_one_time_token') throw fieldError('token', INVALID_TOKEN)
        throw error
      }
      // A valid token for an address verified already: djoser's answer for an active account.
      if (user.emailVerified) throw new TesseraError('permission_denied', STALE_TOKEN)
      return reply.code(204).send()
    },
  }, "Verify the e-mail with the uid and token of an activation mail")

  path('/users/resend_activation/', allowAny, {
    POST: async (request, reply) => {
      const fields = dictionaryOf(request.body)
      const errors: FieldErrors = {}
      const email = charField(fields, 'email', errors)
      throwIfAny(errors)
      // The same 204 for any address: a mail goes only to an active account not verified yet.
      await tessera.resendEmailVerification(email!, { link: 'django' })
      return reply.code(204).send()
    },
  }, 'Mail an activation (e-mail verification) link again')

  // djoser.urls.jwt mounts Simple JWT's own views: the same views as the simplejwt face.
  await registerSimplejwtViews(app, { obtain: '/jwt/create/', refresh: '/jwt/refresh/', verify: '/jwt/verify/' })

  /** The user a djoser `uid` names, or null. */
  async function userOfUid(uid: string): Promise<UserRecord | null> {
    const id = decodeUid(uid)
    return id === null ? null : tessera.findUserById(id)
  }
}

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>

/**
 * DRF reports field errors (shape, uniqueness) before the serializer's `validate()`, where djoser
 * runs the password validators: the password's messages come only when the other fields pass.
 */
function fieldsBeforePassword(error: unknown): unknown {
  if (!(error instanceof ValidationError) || !error.fields.password) return error
  const others = Object.entries(error.fields).filter(([field]) => field !== 'password')
  return others.length > 0 ? new ValidationError(Object.fromEntries(others), error.message) : error
}

/**
 * set_password and DELETE users/me/: a wrong `current_password` is a field error, found before a
 * new password is validated, in djoser's words (the core speaks Django's PasswordChangeForm's).
 */
function currentPasswordFirst(error: unknown): unknown {
  if (!(error instanceof ValidationError) || !error.fields.current_password) return error
  return new ValidationError({ current_password: [INVALID_PASSWORD] }, error.message)
}

/** This face's error handler: DRF's shapes; what it does not know goes on to the server's (500). */
function renderDjoserError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if ((error as unknown) instanceof WireReply) {
    const wire = error as unknown as WireReply
    return reply.code(wire.status).headers(wire.headers).type('application/json; charset=utf-8').send(wire.body)
  }
  const known = toTesseraError(error, request)
  if (!known) throw error
  return sendError(reply, face, known)
}
