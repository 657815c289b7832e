import type { FastifyReply } from 'fastify'
import { escapeHtml } from '../../mail/escape-html.js'

/** A page's parts; `body` is HTML already escaped by the caller, everything else is text. */
export interface PageContent {
  title: string
  body: string
}

// No external assets: the pages work offline from the server and load nothing a link could leak to.
const STYLE = `
  body { font-family: system-ui, sans-serif; line-height: 1.5; color: #1a1a1a; background: #f6f6f4; margin: 0 }
  main { max-width: 26rem; margin: 4rem auto; padding: 2rem; background: #fff; border-radius: 8px; box-shadow: 0 1px 3px #0002 }
  h1 { font-size: 1.4rem; margin-top: 0 }
  label { display: block; font-weight: 600; margin-top: 1rem }
  input[type=password] { width: 100%; box-sizing: border-box; padding: .5rem; font-size: 1rem; margin-top: .25rem }
  button { margin-top: 1.5rem; padding: .6rem 1.2rem; font-size: 1rem; cursor: pointer }
  .errors { color: #a4001d; padding-left: 1.2rem }
  :focus-visible { outline: 3px solid #1d4ed8; outline-offset: 2px }
`

/** A whole HTML page around `content`. */
export function renderPage(content: PageContent): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${escapeHtml(content.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(content.title)}</h1>
${content.body}
</main>
</body>
</html>
`
}

/** A list of messages for screen readers and eyes alike, announced as it appears. */
export function renderErrors(id: string, messages: string[]): string {
  if (messages.length === 0) return ''
  return `<ul class="errors" id="${escapeHtml(id)}" role="alert">${messages.map((m) => `<li>${escapeHtml(m)}</li>`).join('')}</ul>`
}

/**
 * Sends a page with the headers every one-time-link page needs: the token is in its URL, so
 * nothing may cache it (`no-store`) or pass the URL on (`no-referrer`); the page runs no script,
 * loads nothing, may post only to this server, and may not be framed.
 */
export function sendPage(reply: FastifyReply, status: number, content: PageContent): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
    .send(renderPage(content))
}

/** A string field of a parsed form, or '' when it is missing or repeated. */
export function formField(body: unknown, name: string): string {
  if (typeof body !== 'object' || body === null) return ''
  const value = (body as Record<string, unknown>)[name]
  return typeof value === 'string' ? value : ''
}
