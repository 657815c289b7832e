import type { FastifyInstance, FastifyReply, FastifyRequest, onSendHookHandler, RouteHandlerMethod } from 'fastify'
import { decodeUid } from '../../core/django-uid.js'
import { addFieldError, TesseraError, ThrottledError, ValidationError, type FieldErrors } from '../../core/errors.js'
import { checkEmail } from '../../core/identity.js'
import type { UserRecord } from '../../store/store.js'
import { registerDrfBodyParsers } from '../body-parsers.js'
import { allowAny, isAuthenticated, type Guard } from '../guards.js'
import { principalOf, requestDevice } from '../request-info.js'

const tags = ['dj-rest-auth']
const face = 'drf' as const
const JSON_TYPE = 'application/json; charset=utf-8'

// dj-rest-auth's and Django's own messages, which its clients match on.
const MESSAGES = {
  loggedOut: 'Successfully logged out.',
  passwordSaved: 'New password has been saved.',
  resetSent: 'Password reset e-mail has been sent.',
  resetDone: 'Password has been reset with the new password.',
  ok: 'ok',
  mustInclude: 'Must include either "username" or "email" and "password".',
  notVerified: 'E-mail is not verified.',
  // Django's SetPasswordForm (with its curly apostrophe) and dj-rest-auth's RegisterSerializer (with a straight one).
  setPasswordMismatch: 'The two password fields didn\u2019t match.',
  registerMismatch: "The two password fields didn't match.",
  invalidValue: 'Invalid value',
  emailTaken: 'A user is already registered with this e-mail address.',
  notFound: 'Not found.',
  verificationSent: 'Verification e-mail sent.',
} as const

const keyReply = { type: 'object', properties: { key: { type: 'string' } } } as const
const registerReply = { type: 'object', properties: { key: { type: 'string' }, detail: { type: 'string' } } } as const
const detailReply = { type: 'object', properties: { detail: { type: 'string' } } } as const
const userReply = {
  type: 'object',
  properties: {
    pk: { type: 'integer' },
    username: { type: 'string' },
    email: { type: 'string' },
    first_name: { type: 'string' },
    last_name: { type: 'string' },
  },
} as const

/** dj-rest-auth's user: `UserDetailsSerializer` with Django's default user model. */
interface DjUser {
  pk: number
  username: string
  email: string
  first_name: string
  last_name: string
}

/**
 * The dj-rest-auth face (its `dj_rest_auth.urls` and `dj_rest_auth.registration.urls`, default
 * settings: token keys, no JWT, allauth with optional e-mail verification), mounted under its
 * prefix (`DJ_REST_AUTH_PREFIX`, `/rest-auth` by default). JSON, forms and multipart are read;
 * errors are DRF's.
 */
export async function djRestAuthRoutes(app: FastifyInstance): Promise<void> {
  const tessera = app.tessera
  // Encapsulated: only this face reads forms, as DRF's default parsers do.
  await registerDrfBodyParsers(app)

  // An unknown path under the prefix gets DRF's 404 from the server's handler (server.ts: drfPrefixes).

  type Method = 'GET' | 'POST' | 'PUT' | 'PATCH'
  const view = (
    path: string,
    summary: string,
    guard: Guard | undefined,
    handlers: Partial<Record<Method, RouteHandlerMethod>>,
    response: Record<number, unknown>,
  ): void => {
    const methods = Object.keys(handlers) as Method[]
    const allow = [...methods, ...(methods.includes('GET') ? ['HEAD'] : []), 'OPTIONS'].join(', ')
    // DRF names the methods a view answers in `Allow` on every reply (401s and 405s too).
    const onSend: onSendHookHandler = (_request, reply, payload, done) => {
      reply.header('allow', allow)
      done(null, payload)
    }
    const config = guard ? { face, auth: guard } : { face }
    for (const method of methods) {
      app.route({
        method,
        url: path,
        schema: { tags, summary, response, ...(method === 'GET' ? {} : { consumes: ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'] }) },
        config,
        onSend,
        handler: handlers[method]!,
      })
    }
    const others = (['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const).filter((m) => !methods.includes(m as Method))
    app.route({ method: [...others], url: path, schema: { hide: true }, config, onSend, handler: methodNotAllowed })
  }

  view('/login/', 'Log in with a username or an e-mail and a password; a new token for a new device session', undefined, {
    POST: async (request) => {
      const form = new Form(request.body)
      const username = form.char('username', { required: false, allowBlank: true })
      const email = form.email('email', { required: false, allowBlank: true })
      const password = form.char('password', { trim: false })
      form.check()
      // allauth's "username_email" method: the e-mail when one is given, else the username.
      const identifier = email || username
      if (!identifier) throw new ValidationError({ body: [MESSAGES.mustInclude] })
      try {
        const { token } = await tessera.login({ identifier, password: password!, address: request.ip }, requestDevice(request))
        return { key: token }
      } catch (error) {
        // REQUIRE_VERIFIED_EMAIL is allauth's mandatory verification, refused as dj-rest-auth refuses it.
        if (error instanceof TesseraError && error.code === 'permission_denied') throw new ValidationError({ body: [MESSAGES.notVerified] })
        throw error
      }
    },
  }, { 200: keyReply })

  // AllowAny, as dj-rest-auth's LogoutView: no token is fine (nothing to end), a bad one is refused.
  view('/logout/', "End the calling token's session", allowAny, {
    GET: methodNotAllowed,
    POST: async (request) => {
      if (request.principal) await tessera.logout(request.principal)
      return { detail: MESSAGES.loggedOut }
    },
  }, { 200: detailReply })

  const readUser = async (request: FastifyRequest) => djUser(await tessera.getUser(principalOf(request).user.id))
  const updateUser = (partial: boolean) => async (request: FastifyRequest) => {
    const principal = principalOf(request)
    const form = new Form(request.body)
    const username = form.char('username', { required: !partial, maxLength: 150 })
    // Tessera keeps no first or last name: checked as Django's fields are, then not stored.
    form.char('first_name', { required: false, allowBlank: true, maxLength: 150 })
    form.char('last_name', { required: false, allowBlank: true, maxLength: 150 })
    // `pk` and `email` are read-only in UserDetailsSerializer; every other field (is_staff…) is not one of its fields.
    form.check()
    if (username === undefined) return readUser(request)
    return djUser(await tessera.updateProfile(principal.user.id, { username }))
  }
  view('/user/', 'The calling user; PUT and PATCH change the username', isAuthenticated, {
    GET: readUser,
    PUT: updateUser(false),
    PATCH: updateUser(true),
  }, { 200: userReply })

  view('/password/change/', "Set a new password; the caller's session survives, the others end", isAuthenticated, {
    POST: async (request) => {
      const principal = principalOf(request)
      const form = new Form(request.body)
      // OLD_PASSWORD_FIELD_ENABLED is off by default; an old password that is sent is checked all the same.
      const oldPassword = form.char('old_password', { required: false, trim: false, maxLength: 128 })
      const [password1, password2] = form.newPasswords()
      form.check()
      if (password1 !== password2) throw new ValidationError({ new_password2: [MESSAGES.setPasswordMismatch] })
      await renamed({ currentPassword: 'old_password', newPassword: 'new_password2' }, () =>
        oldPassword === undefined
          ? tessera.setPassword(principal.user.id, password2, { keepSessionId: principal.sessionId, field: 'new_password2' })
          : tessera.changePassword(principal.user.id, oldPassword, password2, principal.sessionId),
      )
      return { detail: MESSAGES.passwordSaved }
    },
  }, { 200: detailReply })

  view('/password/reset/', 'Mail a reset link with uid and token; the same answer whether or not the e-mail has an account', undefined, {
    POST: async (request) => {
      const form = new Form(request.body)
      const email = form.email('email')
      form.check()
      await tessera.requestPasswordReset(email!, request.ip, { link: 'django' })
      return { detail: MESSAGES.resetSent }
    },
  }, { 200: detailReply })

  view('/password/reset/confirm/', "Set a new password with the mail's uid and token; every session ends", undefined, {
    POST: async (request) => {
      const form = new Form(request.body)
      const [password1, password2] = form.newPasswords()
      const uid = form.char('uid')
      const token = form.char('token')
      form.check()
      const userId = decodeUid(uid!)
      if (userId === null || (await tessera.findUserById(userId)) === null) throw new ValidationError({ uid: [MESSAGES.invalidValue] })
      // dj-rest-auth checks the token before the two passwords; a mismatch must not spend it.
      if (password1 !== password2) {
        if (!(await tessera.checkOneTimeToken(token!, 'password_reset'))) throw invalidToken()
        throw new ValidationError({ new_password2: [MESSAGES.setPasswordMismatch] })
      }
      try {
        await renamed({ newPassword: 'new_password2' }, () => tessera.confirmPasswordReset(token!, password2, request.ip, { userId }))
      } catch (error) {
        if (error instanceof TesseraError && error.code === 'invalid_one_time_token') throw invalidToken()
        throw error
      }
      return { detail: MESSAGES.resetDone }
    },
  }, { 200: detailReply })

  view('/registration/', 'Create an account; a token for its first session, and a verification mail', undefined, {
    POST: async (request, reply) => {
      const form = new Form(request.body)
      const username = form.char('username', { maxLength: 150 })
      const email = form.email('email')
      const password1 = form.char('password1', { trim: false })
      const password2 = form.char('password2', { trim: false })
      form.check()
      if (password1 !== password2) throw new ValidationError({ body: [MESSAGES.registerMismatch] })
      // allauth's verification: "optional" mails the link and the account works at once; "mandatory"
      // (REQUIRE_VERIFIED_EMAIL) mails it, and no session is started until the address is confirmed.
      const mandatory = tessera.settings.requireVerifiedEmail
      const account = { username: username!, email: email!, password: password1! }
      const { user, token } = await renamed({ password: 'password1' }, async () =>
        mandatory
          ? { user: await tessera.createUser(account), token: null }
          : tessera.register(account, requestDevice(request), request.ip),
        { email: { 'A user with that email already exists.': MESSAGES.emailTaken } },
      )
      await tessera.requestEmailVerification(user.id, { link: 'django' }).catch((error: unknown) => {
        if (!(error instanceof ThrottledError)) throw error
      })
      reply.code(201)
      return token === null ? { detail: MESSAGES.verificationSent } : { key: token }
    },
  }, { 201: registerReply })

  view('/registration/verify-email/', "Confirm an e-mail address with the key from the verification mail's link", undefined, {
    POST: async (request) => {
      const form = new Form(request.body)
      const key = form.char('key')
      form.check()
      try {
        await tessera.confirmEmailVerification(key!)
      } catch (error) {
        // allauth's ConfirmEmailView answers an unknown key with Http404.
        if (error instanceof TesseraError && error.code === 'invalid_one_time_token') throw new TesseraError('not_found', MESSAGES.notFound)
        throw error
      }
      return { detail: MESSAGES.ok }
    },
  }, { 200: detailReply })

  view('/registration/resend-email/', 'Mail a new verification link; the same answer whether or not the e-mail has an account', undefined, {
    POST: async (request) => {
      const form = new Form(request.body)
      const email = form.email('email')
      form.check()
      await tessera.resendEmailVerification(email!, { link: 'django' })
      return { detail: MESSAGES.ok }
    },
  }, { 200: detailReply })

}

/** DRF's 405, for the methods a view does not answer (`Allow` is set by the view's onSend hook). */
async function methodNotAllowed(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  return reply.code(405).type(JSON_TYPE).send({ detail: `Method "${request.method}" not allowed.` })
}

function invalidToken(): ValidationError {
  return new ValidationError({ token: [MESSAGES.invalidValue] })
}

/** The user as dj-rest-auth's UserDetailsSerializer shows it; Tessera has no first or last name. */
function djUser(user: UserRecord): DjUser {
  return { pk: user.id, username: user.username, email: user.email, first_name: '', last_name: '' }
}

/**
 * Runs `action`, renaming the fields of a `ValidationError` it throws to this face's names (and
 * replacing the messages `messages` names), so the core's errors read as dj-rest-auth's.
 */
async function renamed<T>(
  names: Record<string, string>,
  action: () => Promise<T>,
  messages: Record<string, Record<string, string>> = {},
): Promise<T> {
  try {
    return await action()
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error
    const fields: FieldErrors = {}
    for (const [field, list] of Object.entries(error.fields)) {
      const replace = messages[field] ?? {}
      for (const message of list) addFieldError(fields, names[field] ?? field, replace[message] ?? message)
    }
    throw new ValidationError(fields, error.message)
  }
}

interface CharOptions {
  /** @default true */
  required?: boolean
  /** @default false */
  allowBlank?: boolean
  /** DRF trims by default; passwords are taken as sent here (see the report). @default true */
  trim?: boolean
  maxLength?: number
}

/**
 * A DRF serializer's field checks over a request body: a dictionary is required, each field is
 * checked in turn and its errors collected with DRF's messages, `check()` throws them together.
 */
class Form {
  readonly #fields: Record<string, unknown>
  readonly #errors: FieldErrors = {}

  constructor(body: unknown) {
    // No body at all is an empty form, as DRF's `request.data` is.
    if (body === undefined) body = {}
    if (body === null) throw new ValidationError({ body: ['This field may not be null.'] })
    if (typeof body !== 'object' || Array.isArray(body)) {
      throw new ValidationError({ body: [`Invalid data. Expected a dictionary, but got ${pythonType(body)}.`] })
    }
    this.#fields = body as Record<string, unknown>
  }

  /** DRF's CharField: strings and numbers are taken, other types refused; blank, length and NUL checked. */
  char(name: string, options: CharOptions = {}): string | undefined {
    const { required = true, allowBlank = false, trim = true, maxLength } = options
    const value = Object.hasOwn(this.#fields, name) ? this.#fields[name] : undefined
    if (value === undefined) {
      if (required) addFieldError(this.#errors, name, 'This field is required.')
      return undefined
    }
    if (value === null) return this.#fail(name, 'This field may not be null.')
    if (typeof value !== 'string' && typeof value !== 'number') return this.#fail(name, 'Not a valid string.')
    const text = trim ? String(value).trim() : String(value)
    if (text === '') return allowBlank ? '' : this.#fail(name, 'This field may not be blank.')
    if (maxLength !== undefined && text.length > maxLength) return this.#fail(name, `Ensure this field has no more than ${maxLength} characters.`)
    if (text.includes('\u0000')) return this.#fail(name, 'Null characters are not allowed.')
    return text
  }

  /** DRF's EmailField: a CharField whose value must be an e-mail address. */
  email(name: string, options: CharOptions = {}): string | undefined {
    const text = this.char(name, options)
    if (!text) return text
    const errors: FieldErrors = {}
    checkEmail(text, errors)
    for (const message of errors.email ?? []) addFieldError(this.#errors, name, message)
    return errors.email ? undefined : text
  }

  /** SetPasswordForm's two fields, as dj-rest-auth declares them (`CharField(max_length=128)`). */
  newPasswords(): [string, string] {
    const password1 = this.char('new_password1', { trim: false, maxLength: 128 })
    const password2 = this.char('new_password2', { trim: false, maxLength: 128 })
    return [password1 ?? '', password2 ?? '']
  }

  /** Throws the collected field errors, if any. */
  check(): void {
    if (Object.keys(this.#errors).length > 0) throw new ValidationError(this.#errors)
  }

  #fail(name: string, message: string): undefined {
    addFieldError(this.#errors, name, message)
    return undefined
  }
}

/** The Python type name DRF reports for a JSON value that is not a dictionary. */
function pythonType(value: unknown): string {
  if (typeof value === 'string') return 'str'
  if (typeof value === 'boolean') return 'bool'
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float'
  if (Array.isArray(value)) return 'list'
  return typeof value
}
