import cookie from '@fastify/cookie'
import csrf from '@fastify/csrf-protection'
import formBody from '@fastify/formbody'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { toTesseraError } from '../http/errors.js'
import { loadCookieSecret } from './cookie-secret.js'
import { CSRF_COOKIE } from './cookies.js'
import { redirectWithFlash, sendAdminPage, type AdminPaths } from './page.js'
import { auditRoutes } from './routes/audit.js'
import { signInRoutes } from './routes/sign-in.js'
import { userRoutes } from './routes/users.js'
import { readStaffSession } from './staff-session.js'
import { errorView } from './views/error.js'

/** How each refusal or failure reads on the page, by the core's error code. */
const PAGES: Partial<Record<string, { status: number; title: string; message: string }>> = {
  permission_denied: { status: 403, title: 'Forbidden', message: 'You do not have permission to do this.' },
  not_found: { status: 404, title: 'Not found', message: 'There is no such page.' },
  payload_too_large: { status: 413, title: 'Form too large', message: 'The form sent was too large.' },
  unsupported_media_type: { status: 415, title: 'Unsupported form', message: 'Send the form from this page.' },
  validation_failed: { status: 400, title: 'Bad request', message: 'The request was malformed.' },
  service_unavailable: { status: 503, title: 'Unavailable', message: 'The database is unavailable; try again in a moment.' },
}

/**
 * The staff web page at /admin: server-rendered HTML, no script, every form with a CSRF token,
 * the session in an HttpOnly SameSite=Lax cookie. Every page but sign-in needs an active staff
 * member; every action is a core call, so the page holds no rule of its own.
 *
 * Register with the core's `tessera` decorator present (the server's `tesseraPlugin`) and the
 * prefix `/admin`.
 */
export async function adminPlugin(app: FastifyInstance): Promise<void> {
  const tessera = app.tessera
  const base = new URL(tessera.settings.publicUrl).pathname.replace(/\/+$/, '')
  const paths: AdminPaths = { base, root: `${base}/admin` }

  await app.register(cookie, { secret: await loadCookieSecret(tessera.store) })
  await app.register(formBody, { bodyLimit: 16 * 1024 })
  await app.register(csrf, {
    cookieKey: CSRF_COOKIE,
    cookieOpts: { path: paths.root, sameSite: 'lax', httpOnly: true, signed: true },
    logLevel: 'info',
  })
  app.decorateRequest('adminPrincipal', null)

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.code === 'FST_CSRF_INVALID_TOKEN' || error.code === 'FST_CSRF_MISSING_SECRET') {
      // Django's wording; the usual cause is a page left open across a sign-out, or a forged post.
      return errorPage(request, reply, 403, 'Forbidden', 'CSRF verification failed. Request aborted. Reload the page and try again.')
    }
    const known = toTesseraError(error, request)
    const page = known ? PAGES[known.code] : undefined
    if (known && page) {
      if (known.code === 'service_unavailable') request.log.warn({ err: known.cause ?? known }, 'service unavailable')
      return errorPage(request, reply, page.status, page.title, page.message)
    }
    request.log.error({ err: error }, 'unhandled error')
    return errorPage(request, reply, 500, 'Internal error', 'Something went wrong; the log has the details.')
  })
  app.setNotFoundHandler((request, reply) => errorPage(request, reply, 404, 'Not found', 'There is no such page.'))

  const errorPage = (request: FastifyRequest, reply: FastifyReply, status: number, title: string, message: string) => {
    const back = request.adminPrincipal ? { href: `${paths.root}/users`, label: 'Back to users' } : { href: `${paths.root}/sign-in`, label: 'Sign in' }
    return sendAdminPage(request, reply, paths, { status, title, body: () => errorView(title, message, back) })
  }

  await app.register(signInRoutes, { paths })

  // Everything else: an active staff member first, then (for a post) a valid CSRF token.
  await app.register(async (staff) => {
    staff.addHook('preHandler', async (request, reply) => {
      request.adminPrincipal = await readStaffSession(request)
      if (request.adminPrincipal) return
      if (request.method === 'GET' || request.method === 'HEAD') {
        const next = encodeURIComponent(`${paths.base}${request.url}`)
        return reply.code(303).header('cache-control', 'no-store').redirect(`${paths.root}/sign-in?next=${next}`, 303)
      }
      return redirectWithFlash(reply, paths, `${paths.root}/sign-in`, { kind: 'error', text: 'Your session has ended; sign in again. Nothing was changed.' })
    })
    staff.addHook('preHandler', (request, reply, done) => {
      if (request.method === 'POST') return staff.csrfProtection(request, reply, done)
      done()
    })
    staff.get('/', (_request, reply) => reply.redirect(`${paths.root}/users`, 303))
    await staff.register(userRoutes, { paths })
    await staff.register(auditRoutes, { paths })
  })
}
