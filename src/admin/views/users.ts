import type { UserRecord } from '../../store/store.js'
import { html, type SafeHtml } from './html.js'
import { badge, formatTime } from './layout.js'

/** The users list's filters as the page's query string carries them. */
export interface UserFilters {
  q: string
  active: '' | 'true' | 'false'
  staff: '' | 'true' | 'false'
}

const select = (name: string, label: string, value: string, options: [string, string][]): SafeHtml => html`<div>
<label for="${name}">${label}</label>
<select id="${name}" name="${name}">${options.map(([v, text]) => html`<option value="${v}"${v === value ? html` selected` : ''}>${text}</option>`)}</select>
</div>`

/** Search, filters, one page of users, and links to the next page (keyset: after the last id). */
export function usersView(input: { root: string; filters: UserFilters; users: UserRecord[]; nextAfterId: number | null; after: number | null }): SafeHtml {
  const { root, filters } = input
  const query = (after: number | null) => {
    const params = new URLSearchParams()
    if (filters.q) params.set('q', filters.q)
    if (filters.active) params.set('active', filters.active)
    if (filters.staff) params.set('staff', filters.staff)
    if (after !== null) params.set('after', String(after))
    const text = params.toString()
    return `${root}/users${text ? `?${text}` : ''}`
  }
  const rows = input.users.map(
    (u) => html`<tr>
<td>${u.id}</td>
<td><a href="${root}/users/${u.id}">${u.email || '(no e-mail)'}</a></td>
<td>${u.username}</td>
<td>${badge(u.isActive, 'active', 'inactive')}</td>
<td>${u.isSuperuser ? html`<span class="badge yes">superuser</span>` : u.isStaff ? html`<span class="badge yes">staff</span>` : html`<span class="muted">—</span>`}</td>
<td>${formatTime(u.dateJoined)}</td>
<td>${formatTime(u.lastLogin)}</td>
</tr>`,
  )
  const table =
    input.users.length === 0
      ? html`<p class="card">No users match.</p>`
      : html`<table>
<caption class="skip">Users</caption>
<thead><tr><th scope="col">ID</th><th scope="col">E-mail</th><th scope="col">Username</th><th scope="col">Status</th><th scope="col">Role</th><th scope="col">Joined</th><th scope="col">Last login</th></tr></thead>
<tbody>${rows}</tbody>
</table>`
  return html`<h1>Users</h1>
<form class="filters" method="get" action="${root}/users" role="search">
<div><label for="q">Search e-mail or username</label><input type="search" id="q" name="q" value="${filters.q}" maxlength="254"></div>
${select('active', 'Status', filters.active, [['', 'Any'], ['true', 'Active'], ['false', 'Inactive']])}
${select('staff', 'Role', filters.staff, [['', 'Any'], ['true', 'Staff'], ['false', 'Not staff']])}
<div><button type="submit" class="primary">Search</button></div>
</form>
${table}
<nav class="pager" aria-label="Pages">
${input.after !== null ? html`<a href="${query(null)}">« First page</a>` : ''}
${input.nextAfterId !== null ? html`<a href="${query(input.nextAfterId)}" rel="next">Next page »</a>` : ''}
</nav>`
}
