import type { FastifyReply, FastifyRequest } from 'fastify'
import { cookieOptions, FLASH_COOKIE } from './cookies.js'
import type { Flash } from './views/layout.js'

const MAX_TEXT = 500

/**
 * Flash messages survive one redirect (post, redirect, get) in a signed cookie: nothing is kept
 * on the server, and the next page that renders shows them and clears the cookie.
 */
export function setFlash(reply: FastifyReply, path: string, flash: Flash): void {
  const value = Buffer.from(JSON.stringify([{ kind: flash.kind, text: flash.text.slice(0, MAX_TEXT) }])).toString('base64url')
  reply.setCookie(FLASH_COOKIE, value, { ...cookieOptions(reply.request, path), signed: true })
}

/** The flash messages the previous response left, cleared as they are read; a tampered cookie gives none. */
export function takeFlashes(request: FastifyRequest, reply: FastifyReply, path: string): Flash[] {
  const raw = request.cookies[FLASH_COOKIE]
  if (raw === undefined) return []
  reply.clearCookie(FLASH_COOKIE, cookieOptions(request, path))
  const unsigned = request.unsignCookie(raw)
  if (!unsigned.valid || unsigned.value === null) return []
  try {
    const parsed: unknown = JSON.parse(Buffer.from(unsigned.value, 'base64url').toString('utf8'))
    if (!Array.isArray(parsed)) return []
    return parsed.filter(
      (f): f is Flash => typeof f?.text === 'string' && (f.kind === 'success' || f.kind === 'error' || f.kind === 'info'),
    )
  } catch {
    return []
  }
}
