import type { AuditEntry } from '../../core/audit.js'
import { html, type SafeHtml } from './html.js'
import { formatTime } from './layout.js'

/** The filters as the page's query string carries them; `user` is an id, an e-mail or a username. */
export interface AuditFilters {
  user: string
  kind: string
}

const detailText = (detail: Record<string, unknown>): string =>
  Object.entries(detail)
    .map(([key, value]) => `${key}: ${Array.isArray(value) ? value.join(', ') : typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
    .join(' · ')

/** Newest events first, filtered by user and kind, with a link to older ones (keyset: before the last id). */
export function auditView(input: {
  root: string
  filters: AuditFilters
  kinds: readonly string[]
  events: AuditEntry[]
  /** E-mail (or username) of the users the rows name, by id; a deleted user shows as its id. */
  names: ReadonlyMap<number, string>
  nextBeforeId: number | null
  before: number | null
  error?: string
}): SafeHtml {
  const { root, filters } = input
  const query = (before: number | null) => {
    const params = new URLSearchParams()
    if (filters.user) params.set('user', filters.user)
    if (filters.kind) params.set('kind', filters.kind)
    if (before !== null) params.set('before', String(before))
    const text = params.toString()
    return `${root}/audit${text ? `?${text}` : ''}`
  }
  const who = (id: number | null) =>
    id === null ? html`<span class="muted">—</span>` : html`<a href="${root}/users/${id}">${input.names.get(id) ?? `#${id}`}</a>`
  const rows = input.events.map(
    (e) => html`<tr>
<td>${formatTime(e.at)}</td>
<td><code>${e.kind}</code></td>
<td>${who(e.userId)}</td>
<td>${who(e.actorId)}</td>
<td>${e.address ?? html`<span class="muted">—</span>`}</td>
<td>${detailText(e.detail)}</td>
</tr>`,
  )
  const table =
    input.events.length === 0
      ? html`<p class="card">No events match.</p>`
      : html`<table>
<caption class="skip">Audit events</caption>
<thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">User</th><th scope="col">By</th><th scope="col">From</th><th scope="col">Details</th></tr></thead>
<tbody>${rows}</tbody>
</table>`
  return html`<h1>Audit log</h1>
<form class="filters" method="get" action="${root}/audit" role="search">
<div><label for="user">User (ID, e-mail or username)</label><input type="search" id="user" name="user" value="${filters.user}" maxlength="254"${input.error ? html` aria-invalid="true" aria-describedby="user-error"` : ''}></div>
<div><label for="kind">Event</label><select id="kind" name="kind"><option value="">Any</option>${input.kinds.map((k) => html`<option value="${k}"${k === filters.kind ? html` selected` : ''}>${k}</option>`)}</select></div>
<div><button type="submit" class="primary">Filter</button></div>
</form>
${input.error ? html`<p class="errors" id="user-error" role="alert">${input.error}</p>` : ''}
${table}
<nav class="pager" aria-label="Pages">
${input.before !== null ? html`<a href="${query(null)}">« Newest</a>` : ''}
${input.nextBeforeId !== null ? html`<a href="${query(input.nextBeforeId)}" rel="next">Older »</a>` : ''}
</nav>`
}
