import type { FastifyInstance } from 'fastify'
import { TesseraError, ThrottledError } from '../../core/errors.js'
import { formField } from '../../http/pages/layout.js'
import { requestDevice } from '../../http/request-info.js'
import { redirectWithFlash, sendAdminPage, type AdminPaths } from '../page.js'
import { clearStaffSession, mayUseAdmin, readStaffSession, setStaffSession } from '../staff-session.js'
import { signInView } from '../views/sign-in.js'

// Django admin's wording: it does not say which of the two was wrong, nor whether the account is staff.
const REFUSED = 'Please enter the correct e-mail or username and password for a staff account. Note that both fields may be case-sensitive.'

/** Where to go after signing in: only a path inside the admin page, so the form cannot redirect off-site. */
export function safeNext(paths: AdminPaths, next: string): string {
  const inside = next.startsWith(`${paths.root}/`) && !next.startsWith('//') && !/[\\\s]/.test(next)
  return inside ? next : `${paths.root}/users`
}

/** Staff sign-in and sign-out. Sign-in is the core's password login, so it is throttled alike. */
export async function signInRoutes(app: FastifyInstance, { paths }: { paths: AdminPaths }): Promise<void> {
  const tessera = app.tessera
  const action = `${paths.root}/sign-in`

  app.get('/sign-in', async (request, reply) => {
    const next = safeNext(paths, formField(request.query, 'next'))
    if (await readStaffSession(request)) return reply.redirect(next, 303)
    return sendAdminPage(request, reply, paths, { title: 'Sign in', body: (csrf) => signInView({ action, csrf, next }) })
  })

  app.post('/sign-in', { preHandler: app.csrfProtection }, async (request, reply) => {
    const identifier = formField(request.body, 'identifier').trim()
    const password = formField(request.body, 'password')
    const next = safeNext(paths, formField(request.body, 'next'))
    const refuse = (status: number, error: string) =>
      sendAdminPage(request, reply, paths, { status, title: 'Sign in', body: (csrf) => signInView({ action, csrf, next, identifier, error }) })
    if (!identifier || !password) return refuse(400, 'Enter your e-mail or username and your password.')
    try {
      const user = await tessera.verifyLogin({ identifier, password, address: request.ip })
      if (!mayUseAdmin(user)) return refuse(401, REFUSED)
      const ua = request.headers['user-agent']
      const { token } = await tessera.createSession(user, requestDevice(request, `Admin page · ${ua ?? 'browser'}`), request.ip)
      setStaffSession(reply, paths.root, token)
      return redirectWithFlash(reply, paths, next, { kind: 'success', text: `Signed in as ${user.email || user.username}.` })
    } catch (error) {
      if (error instanceof ThrottledError) return refuse(429, `Too many failed sign-ins. Try again in ${error.retryAfterSeconds} seconds.`)
      if (error instanceof TesseraError && (error.code === 'invalid_credentials' || error.code === 'permission_denied')) return refuse(401, REFUSED)
      throw error
    }
  })

  app.post('/sign-out', { preHandler: app.csrfProtection }, async (request, reply) => {
    const principal = await readStaffSession(request)
    if (principal) await tessera.logout(principal)
    clearStaffSession(reply, paths.root)
    return redirectWithFlash(reply, paths, `${paths.root}/sign-in`, { kind: 'info', text: 'Signed out.' })
  })
}
