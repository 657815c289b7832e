import type { SessionRecord, UserRecord } from '../../store/store.js'
import { html, type SafeHtml } from './html.js'

/** The one page that ever shows a token: it is not stored, so it cannot be shown again. */
export function tokenCreatedView(input: { root: string; user: UserRecord; token: string; session: SessionRecord }): SafeHtml {
  return html`<div class="card">
<h1>Token created</h1>
<p>A new token for <strong>${input.user.email || input.user.username}</strong> on the device <strong>${input.session.device}</strong>.
Copy it now: it is shown this once and only its hash is kept.</p>
<p><label for="token">Token</label></p>
<output id="token" class="secret" aria-live="polite">${input.token}</output>
<p class="muted">Use it as <code>Authorization: Token ${input.token.slice(0, 8)}…</code> (or <code>Bearer</code>).</p>
<p><a class="button primary" href="${input.root}/users/${input.user.id}">Back to the user</a></p>
</div>`
}
