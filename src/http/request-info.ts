import type { FastifyRequest } from 'fastify'
import type { Principal } from '../core/principal.js'
import { deviceName } from '../core/sessions.js'
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
