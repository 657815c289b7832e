import { escapeHtml } from '../../mail/escape-html.js'
import type { PageContent } from './layout.js'

/**
 * The page a verification link opens: a button, not an automatic confirmation, because mail
 * scanners fetch every link in a mail and must not verify an address on the owner's behalf.
 */
export function verifyFormPage(token: string, action: string): PageContent {
  return {
    title: 'Confirm your e-mail address',
    body: `<p>Press the button to confirm that this e-mail address is yours.</p>
<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="token" value="${escapeHtml(token)}">
<button type="submit">Confirm my e-mail address</button>
</form>`,
  }
}

/** The page after a successful verification. */
export function verifyDonePage(): PageContent {
  return { title: 'E-mail address confirmed', body: '<p>Thank you: your e-mail address is confirmed.</p>' }
}

/** The page for a link that is unknown, used, expired or outdated. */
export function verifyLinkInvalidPage(): PageContent {
  return {
    title: 'This link no longer works',
    body: '<p>This verification link is invalid, has been used already, or has expired. Please ask for a new one.</p>',
  }
}
