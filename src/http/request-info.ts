import type { FastifyRequest } from 'fastify'
import type { Principal } from '../core/principal.js'
import { deviceName } from '../core/sessions.js'
import { ValidationError } from '../core/errors.js'
import type { LoginAttempt } from '../core/login.js'
import { credentialError } from './errors.js'

/** The device a new session is named after: the body's `device`, else the User-Agent. */
export function requestDevice(request: FastifyRequest, device?: string): string {
  return deviceName(device, request.headers['user-agent'])
}

/** The principal of a route guarded by `isAuthenticated`; throws 401 if a route forgot its guard. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw credentialError('not_authenticated')
  return request.principal
}

/** The login attempt and device of a canonical login body (`email` or `username`, `password`, `device?`). */
export function loginOf(
  request: FastifyRequest,
  body: { email?: string; username?: string; password: string; device?: string },
): { attempt: LoginAttempt; device: string } {
  const identifier = body.email ?? body.username
  if (identifier === undefined) throw new ValidationError({ email: ['This field is required.'] }, 'Send email or username.')
  return { attempt: { identifier, password: body.password, address: request.ip }, device: requestDevice(request, body.device) }
}
