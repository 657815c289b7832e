import type { FastifyInstance, FastifyRequest } from 'fastify'
import { addFieldError, ValidationError, type FieldErrors } from '../../core/errors.js'
import { registerDrfBodyParsers } from '../body-parsers.js'
import { isAuthenticated } from '../guards.js'
import { principalOf, requestDevice } from '../request-info.js'

const tags = ['drf']
const tokenReply = { type: 'object', properties: { token: { type: 'string' } } } as const

/**
 * The DRF face, as `rest_framework.authtoken` speaks it: obtain a token with a username (or an
 * e-mail) and a password, in JSON, a form or multipart; regenerate the calling token.
 */
export async function drfRoutes(app: FastifyInstance): Promise<void> {
  const tessera = app.tessera
  // DRF clients post forms and multipart as often as JSON; only the Django faces accept them.
  await registerDrfBodyParsers(app)

  app.post('/api-token-auth/', {
    schema: {
      tags,
      summary: 'Obtain a token for a new device session (form, multipart or JSON)',
      consumes: ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'],
      response: { 200: tokenReply },
    },
    config: { face: 'drf' },
  }, async (request) => {
    const { username, password } = readCredentials(request.body)
    const { token } = await tessera.login({ identifier: username, password, address: request.ip }, requestDevice(request))
    return { token }
  })

  const regenerate = async (request: FastifyRequest) => ({ token: (await tessera.rotateToken(principalOf(request))).token })
  const options = {
    schema: { tags, summary: "A new key for the calling session; the old one dies, other devices' keys do not", response: { 200: tokenReply } },
    config: { face: 'drf' as const, auth: isAuthenticated },
  }
  app.get('/api-token-auth/new/', options, regenerate)
  app.post('/api-token-auth/new/', options, regenerate)
}

/** `username` and `password` checked as DRF's AuthTokenSerializer does, with its messages. */
function readCredentials(body: unknown): { username: string; password: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    const got = Array.isArray(body) ? 'list' : body === null || body === undefined ? 'null' : typeof body === 'string' ? 'str' : typeof body
    throw new ValidationError({ body: [`Invalid data. Expected a dictionary, but got ${got}.`] })
  }
  const errors: FieldErrors = {}
  const fields = body as Record<string, unknown>
  const username = charField(fields.username, 'username', errors, true)
  const password = charField(fields.password, 'password', errors, false)
  if (Object.keys(errors).length > 0) throw new ValidationError(errors)
  return { username, password }
}

/** DRF's CharField: numbers become strings, other types are refused, blank is refused. */
function charField(value: unknown, name: string, errors: FieldErrors, trim: boolean): string {
  if (value === undefined) {
    addFieldError(errors, name, 'This field is required.')
    return ''
  }
  if (value === null) {
    addFieldError(errors, name, 'This field may not be null.')
    return ''
  }
  if (typeof value !== 'string' && typeof value !== 'number') {
    addFieldError(errors, name, 'Not a valid string.')
    return ''
  }
  const text = trim ? String(value).trim() : String(value)
  if (text === '') addFieldError(errors, name, 'This field may not be blank.')
  return text
}
