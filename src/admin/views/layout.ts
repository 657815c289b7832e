import type { PrincipalUser } from '../../core/principal.js'
import { html, SafeHtml } from './html.js'

/** A one-line message shown on the page after an action (Django's "messages"). */
export interface Flash {
  kind: 'success' | 'error' | 'info'
  text: string
}

/** Everything a page needs besides its own body. */
export interface PageFrame {
  /** The signed-in staff user; null on the sign-in page. */
  staff: PrincipalUser | null
  /** The CSRF token every form on the page carries. */
  csrf: string
  flashes?: Flash[]
  /** Which navigation entry is the current page. */
  section?: 'users' | 'audit'
  /** The public URL's path ('' or '/prefix'), put before every link so the page works behind a prefix. */
  base: string
}

// No script and no external asset: the page works without JavaScript and loads nothing from elsewhere.
const STYLE = `
:root { --ink: #1b1f24; --muted: #59636e; --line: #d8dee4; --bg: #f6f8fa; --accent: #1f4fd1; --danger: #b3261e; --ok: #1a7f37 }
* { box-sizing: border-box }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: var(--bg) }
a { color: var(--accent) }
.skip { position: absolute; left: -999px } .skip:focus { left: 1rem; top: .5rem; background: #fff; padding: .25rem .5rem; z-index: 1 }
header { display: flex; align-items: center; gap: 1.5rem; padding: .75rem 1.5rem; background: #24292f; color: #fff }
header a { color: #fff; text-decoration: none } header a[aria-current=page] { text-decoration: underline; text-underline-offset: 6px }
header .brand { font-weight: 700; letter-spacing: .02em }
header nav { display: flex; gap: 1rem; flex: 1 }
header form { margin: 0 } header .who { color: #c9d1d9 }
main { max-width: 72rem; margin: 1.5rem auto; padding: 0 1.5rem }
h1 { font-size: 1.5rem; margin: 0 0 1rem } h2 { font-size: 1.15rem; margin: 2rem 0 .75rem }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 1.25rem; margin-bottom: 1rem }
table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid var(--line); border-radius: 8px }
th, td { text-align: left; padding: .5rem .75rem; border-bottom: 1px solid var(--line); vertical-align: top }
th { font-size: .8rem; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); background: #fafbfc }
tr:last-child td { border-bottom: 0 }
label { display: block; font-weight: 600; margin: .75rem 0 .25rem }
input[type=text], input[type=email], input[type=password], input[type=search], select {
  font: inherit; padding: .45rem .6rem; border: 1px solid #afb8c1; border-radius: 6px; min-width: 16rem; background: #fff }
button, .button { font: inherit; padding: .45rem 1rem; border-radius: 6px; border: 1px solid #afb8c1; background: #fff; color: var(--ink); cursor: pointer; text-decoration: none; display: inline-block }
button.primary, .button.primary { background: var(--accent); border-color: var(--accent); color: #fff }
button.danger, .button.danger { background: var(--danger); border-color: var(--danger); color: #fff }
header button { background: transparent; color: #fff; border-color: #57606a; padding: .25rem .75rem }
.filters { display: flex; flex-wrap: wrap; gap: 1rem; align-items: end; margin-bottom: 1rem }
.filters label { margin: 0 0 .25rem } .filters input, .filters select { min-width: 10rem }
.actions { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center } .actions form { margin: 0 }
.flash { padding: .6rem 1rem; border-radius: 6px; margin-bottom: 1rem; border: 1px solid }
.flash.success { background: #dafbe1; border-color: #4ac26b } .flash.error { background: #ffebe9; border-color: #ff8182 } .flash.info { background: #ddf4ff; border-color: #54aeff }
.errors { color: var(--danger); margin: .25rem 0 } .muted { color: var(--muted) }
.badge { display: inline-block; font-size: .75rem; padding: 0 .5rem; border-radius: 999px; border: 1px solid var(--line); background: #f6f8fa }
.badge.yes { background: #dafbe1; border-color: #4ac26b } .badge.no { background: #ffebe9; border-color: #ff8182 }
.secret { font: 1rem ui-monospace, monospace; padding: .75rem; background: #fff8c5; border: 1px solid #d4a72c; border-radius: 6px; word-break: break-all; user-select: all }
.pager { display: flex; gap: 1rem; margin-top: 1rem }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1.5rem; margin: 0 } dt { color: var(--muted) } dd { margin: 0 }
.signin { max-width: 24rem; margin: 4rem auto }
:focus-visible { outline: 3px solid #0969da; outline-offset: 2px }
`

// The stylesheet is a constant of this file, not input: kept verbatim.
const STYLE_HTML = new SafeHtml(STYLE)

/** The hidden field that carries the CSRF token in every form. */
export function csrfField(csrf: string): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${csrf}">`
}

/** A date as people read it (UTC), with the exact instant for machines. */
export function formatTime(date: Date | null): SafeHtml {
  if (!date) return html`<span class="muted">never</span>`
  const text = date.toISOString().replace('T', ' ').slice(0, 16) + ' UTC'
  return html`<time datetime="${date.toISOString()}">${text}</time>`
}

/** A yes/no cell that reads the same in colour and without it. */
export function badge(value: boolean, yes = 'yes', no = 'no'): SafeHtml {
  return html`<span class="badge ${value ? 'yes' : 'no'}">${value ? yes : no}</span>`
}

/** A whole admin page: header with navigation and sign-out, flash messages, then `body`. */
export function renderAdminPage(title: string, body: SafeHtml, frame: PageFrame): string {
  const current = (section: PageFrame['section']) => (frame.section === section ? html` aria-current="page"` : '')
  const admin = `${frame.base}/admin`
  const header = frame.staff
    ? html`<header>
<a class="brand" href="${admin}/users">Tessera admin</a>
<nav aria-label="Admin sections"><a href="${admin}/users"${current('users')}>Users</a><a href="${admin}/audit"${current('audit')}>Audit log</a></nav>
<span class="who">${frame.staff.email || frame.staff.username}</span>
<form method="post" action="${admin}/sign-out">${csrfField(frame.csrf)}<button type="submit">Sign out</button></form>
</header>`
    : html`<header><span class="brand">Tessera admin</span></header>`
  const flashes = (frame.flashes ?? []).map(
    (f) => html`<p class="flash ${f.kind}" role="${f.kind === 'error' ? 'alert' : 'status'}">${f.text}</p>`,
  )
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${title} · Tessera admin</title>
<style>${STYLE_HTML}</style>
</head>
<body>
<a class="skip" href="#content">Skip to content</a>
${header}
<main id="content">
${flashes}
${body}
</main>
</body>
</html>
`.text
}
