import type { CookieSerializeOptions } from '@fastify/cookie'
import type { FastifyRequest } from 'fastify'

/** The staff member's session token (an ordinary Tessera session, so revocation ends it). */
export const SESSION_COOKIE = 'tessera_admin'
/** The per-browser secret CSRF tokens are made from (@fastify/csrf-protection). */
export const CSRF_COOKIE = 'tessera_admin_csrf'
/** Messages carried across one redirect. */
export const FLASH_COOKIE = 'tessera_admin_flash'

/**
 * How every admin cookie is set: never readable by script, not sent on cross-site posts, only
 * under the admin path, and Secure whenever the browser reaches the page over HTTPS (directly, or
 * through a proxy: the public URL says so).
 */
export function cookieOptions(request: FastifyRequest, path: string): CookieSerializeOptions {
  const secure = request.protocol === 'https' || request.server.tessera.settings.publicUrl.startsWith('https:')
  return { path, httpOnly: true, sameSite: 'lax', secure }
}
