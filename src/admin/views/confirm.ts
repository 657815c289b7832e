import { html, type SafeHtml } from './html.js'
import { csrfField } from './layout.js'

/** A destructive action's confirmation: what it does, the button that does it, and a way back. */
export function confirmView(input: {
  csrf: string
  title: string
  consequence: string
  action: string
  button: string
  cancel: string
  fields?: Record<string, string>
}): SafeHtml {
  const hidden = Object.entries(input.fields ?? {}).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)
  return html`<div class="card">
<h1>${input.title}</h1>
<p>${input.consequence}</p>
<form class="actions" method="post" action="${input.action}">
${csrfField(input.csrf)}
${hidden}
<button type="submit" class="danger" autofocus>${input.button}</button>
<a class="button" href="${input.cancel}">Cancel</a>
</form>
</div>`
}
