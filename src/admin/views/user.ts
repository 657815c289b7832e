import type { PrincipalUser } from '../../core/principal.js'
import type { SessionRecord, UserRecord } from '../../store/store.js'
import { html, type SafeHtml } from './html.js'
import { badge, csrfField, formatTime } from './layout.js'

/** What the user page shows, and what the profile form was sent with when it failed. */
export interface UserPageInput {
  root: string
  csrf: string
  actor: PrincipalUser
  user: UserRecord
  hasUsablePassword: boolean
  sessions: SessionRecord[]
  /** The admin's own session, marked in the list. */
  currentSessionId: string
  profile?: { email: string; username: string; errors: Record<string, string[]> }
}

const fieldErrors = (id: string, errors: string[] | undefined): SafeHtml | '' =>
  errors?.length ? html`<ul class="errors" id="${id}" role="alert">${errors.map((e) => html`<li>${e}</li>`)}</ul>` : ''

/** A user's details, edit form, status, privileges, password actions and sessions. */
export function userView(input: UserPageInput): SafeHtml {
  const { root, csrf, user } = input
  const at = `${root}/users/${user.id}`
  const profile = input.profile ?? { email: user.email, username: user.username, errors: {} }
  const invalid = (field: string) => (profile.errors[field]?.length ? html` aria-invalid="true" aria-describedby="${field}-errors"` : '')
  const confirm = (action: string, label: string, extra = '') =>
    html`<a class="button danger" href="${at}/confirm?action=${action}${extra}">${label}</a>`

  const status = user.isActive
    ? confirm('deactivate', 'Deactivate…')
    : html`<form method="post" action="${at}/activate">${csrfField(csrf)}<button type="submit" class="primary">Activate</button></form>`

  // Every staff member may change the staff flag; the superuser box only shows to superusers.
  // The core enforces both rules either way (src/core/staff.ts).
  const privileges = html`<form method="post" action="${at}/privileges">
${csrfField(csrf)}
<fieldset class="actions" style="border:0;padding:0;margin:0">
<legend class="skip">Privileges</legend>
<label style="margin:0;font-weight:400"><input type="checkbox" name="isStaff" value="on"${user.isStaff ? html` checked` : ''}> Staff (may use this admin page)</label>
${input.actor.isSuperuser ? html`<label style="margin:0;font-weight:400"><input type="checkbox" name="isSuperuser" value="on"${user.isSuperuser ? html` checked` : ''}> Superuser (all permissions)</label>` : ''}
<button type="submit">Save privileges</button>
</fieldset>
</form>`

  const sessionRows = input.sessions.map(
    (s) => html`<tr>
<td>${s.device}${s.id === input.currentSessionId ? html` <span class="badge">this browser</span>` : ''}</td>
<td>${formatTime(s.createdAt)}</td>
<td>${formatTime(s.lastUsedAt)}</td>
<td>${formatTime(s.expiresAt)}</td>
<td>${confirm('revoke-session', 'Revoke…', `&session=${s.id}`)}</td>
</tr>`,
  )
  const sessions =
    input.sessions.length === 0
      ? html`<p class="card muted">No live sessions.</p>`
      : html`<table>
<caption class="skip">Live sessions</caption>
<thead><tr><th scope="col">Device</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Expires</th><th scope="col"><span class="skip">Actions</span></th></tr></thead>
<tbody>${sessionRows}</tbody>
</table>
<p class="actions">${confirm('revoke-all', 'Revoke all sessions…')}</p>`

  return html`<p><a href="${root}/users">« Users</a></p>
<h1>${user.email || user.username}</h1>
<div class="card">
<dl>
<dt>ID</dt><dd>${user.id}</dd>
<dt>E-mail</dt><dd>${user.email || '(none)'} ${badge(user.emailVerified, 'verified', 'unverified')}</dd>
<dt>Username</dt><dd>${user.username}</dd>
<dt>Status</dt><dd>${badge(user.isActive, 'active', 'inactive')}</dd>
<dt>Role</dt><dd>${user.isSuperuser ? 'superuser' : user.isStaff ? 'staff' : 'user'}</dd>
<dt>Password</dt><dd>${input.hasUsablePassword ? 'set' : html`<span class="muted">unusable (cannot log in with a password)</span>`}</dd>
<dt>Joined</dt><dd>${formatTime(user.dateJoined)}</dd>
<dt>Last login</dt><dd>${formatTime(user.lastLogin)}</dd>
</dl>
<p><a href="${root}/audit?user=${user.id}">Audit log for this user</a></p>
</div>

<h2 id="profile">Profile</h2>
<form class="card" method="post" action="${at}/profile" aria-labelledby="profile">
${csrfField(csrf)}
<label for="email">E-mail</label>
<input type="email" id="email" name="email" value="${profile.email}" maxlength="254"${invalid('email')}>
${fieldErrors('email-errors', profile.errors.email)}
<label for="username">Username</label>
<input type="text" id="username" name="username" value="${profile.username}" maxlength="150" required${invalid('username')}>
${fieldErrors('username-errors', profile.errors.username)}
<p><button type="submit" class="primary">Save profile</button></p>
</form>

<h2>Status and privileges</h2>
<div class="card">
<p class="actions">${status}</p>
${privileges}
</div>

<h2>Password</h2>
<div class="card actions">
<form method="post" action="${at}/password-reset">${csrfField(csrf)}<button type="submit">Send password-reset mail</button></form>
${input.hasUsablePassword ? confirm('unusable-password', 'Set unusable password…') : ''}
</div>

<h2>Sessions and tokens</h2>
${sessions}
<form class="card" method="post" action="${at}/tokens">
${csrfField(csrf)}
<label for="device">Create a token for a device</label>
<input type="text" id="device" name="device" maxlength="200" required placeholder="e.g. Build server">
<button type="submit" class="primary">Create token</button>
<p class="muted">The token is shown once; only its hash is kept.</p>
</form>`
}
