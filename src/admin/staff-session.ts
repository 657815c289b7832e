import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Principal, PrincipalUser } from '../core/principal.js'
import type { StaffActor } from '../core/staff.js'
import { cookieOptions, SESSION_COOKIE } from './cookies.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in staff member on admin routes; null elsewhere or before sign-in. */
    adminPrincipal: Principal | null
  }
}

/** Staff and superusers may use the admin page; anyone else is refused at sign-in and after. */
export function mayUseAdmin(user: PrincipalUser): boolean {
  return user.isActive && (user.isStaff || user.isSuperuser)
}

/**
 * The staff member the session cookie names, or null. The cookie holds an ordinary session token,
 * so the core's rules apply unchanged: a revoked or expired session, a deactivated or demoted
 * user, is signed out on the next request.
 */
export async function readStaffSession(request: FastifyRequest): Promise<Principal | null> {
  const token = request.cookies[SESSION_COOKIE]
  if (!token) return null
  const check = await request.server.tessera.checkCredential(token)
  return check.ok && mayUseAdmin(check.principal.user) ? check.principal : null
}

export function setStaffSession(reply: FastifyReply, path: string, token: string): void {
  reply.setCookie(SESSION_COOKIE, token, cookieOptions(reply.request, path))
}

export function clearStaffSession(reply: FastifyReply, path: string): void {
  reply.clearCookie(SESSION_COOKIE, cookieOptions(reply.request, path))
}

/** Who acts, for the core's staff rules and the audit log. */
export function actorOf(request: FastifyRequest): StaffActor {
  const principal = request.adminPrincipal
  if (!principal) throw new Error('admin route without a signed-in staff member')
  return { user: principal.user, address: request.ip }
}
