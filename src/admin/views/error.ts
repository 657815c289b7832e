import { html, type SafeHtml } from './html.js'

/** A page for a refused or failed request, with a way on. */
export function errorView(title: string, message: string, back: { href: string; label: string }): SafeHtml {
  return html`<div class="card">
<h1>${title}</h1>
<p>${message}</p>
<p><a href="${back.href}">${back.label}</a></p>
</div>`
}
