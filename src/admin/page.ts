import type { FastifyReply, FastifyRequest } from 'fastify'
import { cookieOptions } from './cookies.js'
import { setFlash, takeFlashes } from './flash.js'
import type { SafeHtml } from './views/html.js'
import { renderAdminPage, type Flash, type PageFrame } from './views/layout.js'

/** Where the admin page lives as the browser sees it: the public URL's path, then /admin. */
export interface AdminPaths {
  /** '' or the public URL's path prefix. */
  base: string
  /** `${base}/admin`: every link and every cookie path starts here. */
  root: string
}

/** A fresh CSRF token for the page's forms (the per-browser secret cookie is set on first use). */
export function csrfToken(request: FastifyRequest, reply: FastifyReply, paths: AdminPaths): string {
  const { secure } = cookieOptions(request, paths.root)
  return reply.generateCsrf({ path: paths.root, secure })
}

/**
 * Sends an admin page: never cached (it shows accounts and, once, tokens), never framed, no
 * script, nothing loaded from elsewhere, forms posting only here; flash messages are shown once.
 */
export function sendAdminPage(
  request: FastifyRequest,
  reply: FastifyReply,
  paths: AdminPaths,
  page: { status?: number; title: string; body: (csrf: string) => SafeHtml; section?: PageFrame['section'] },
): FastifyReply {
  const csrf = csrfToken(request, reply, paths)
  const frame: PageFrame = {
    staff: request.adminPrincipal?.user ?? null,
    csrf,
    flashes: takeFlashes(request, reply, paths.root),
    base: paths.base,
    ...(page.section ? { section: page.section } : {}),
  }
  return reply
    .code(page.status ?? 200)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'same-origin')
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
    .send(renderAdminPage(page.title, page.body(csrf), frame))
}

/** Post, redirect, get: the action's outcome travels as a flash message to the page it leads to. */
export function redirectWithFlash(reply: FastifyReply, paths: AdminPaths, location: string, flash: Flash): FastifyReply {
  setFlash(reply, paths.root, flash)
  return reply.code(303).header('cache-control', 'no-store').redirect(location, 303)
}
