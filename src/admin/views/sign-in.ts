import { html, type SafeHtml } from './html.js'
import { csrfField } from './layout.js'

/** The staff sign-in form; `identifier` is kept on a failed attempt, the password never is. */
export function signInView(input: { action: string; csrf: string; next: string; identifier?: string; error?: string }): SafeHtml {
  const error = input.error ? html`<p class="errors" id="sign-in-error" role="alert">${input.error}</p>` : ''
  const described = input.error ? html` aria-describedby="sign-in-error"` : ''
  return html`<div class="signin card">
<h1>Sign in</h1>
<p class="muted">Staff accounts only.</p>
${error}
<form method="post" action="${input.action}">
${csrfField(input.csrf)}
<input type="hidden" name="next" value="${input.next}">
<label for="identifier">E-mail or username</label>
<input type="text" id="identifier" name="identifier" value="${input.identifier ?? ''}" autocomplete="username" required autofocus${described}>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required${described}>
<p><button type="submit" class="primary">Sign in</button></p>
</form>
</div>`
}
