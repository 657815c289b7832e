import { escapeHtml } from '../../mail/escape-html.js'
import type { PageContent } from './layout.js'
import { renderErrors } from './layout.js'

/** What the reset form needs to render. */
export interface ResetFormInput {
  token: string
  /** Where the form posts. */
  action: string
  minLength: number
  maxLength: number
  errors?: string[]
}

const TITLE = 'Choose a new password'

/** The form that sets a new password with a reset token. */
export function resetFormPage(input: ResetFormInput): PageContent {
  const errors = input.errors ?? []
  const describedBy = errors.length > 0 ? ' aria-describedby="form-errors" aria-invalid="true"' : ''
  const field = (id: string, label: string) => `
<label for="${id}">${label}</label>
<input id="${id}" name="${id}" type="password" autocomplete="new-password" required minlength="${input.minLength}" maxlength="${input.maxLength}"${describedBy}>`
  return {
    title: TITLE,
    body: `${renderErrors('form-errors', errors)}
<form method="post" action="${escapeHtml(input.action)}">
<input type="hidden" name="token" value="${escapeHtml(input.token)}">
${field('newPassword', 'New password')}
${field('confirmPassword', 'Confirm new password')}
<button type="submit">Set password</button>
</form>`,
  }
}

/** The page after a successful reset. */
export function resetDonePage(): PageContent {
  return {
    title: 'Password changed',
    body: '<p>Your password has been set. You have been signed out everywhere; sign in again with your new password.</p>',
  }
}

/** The page for a link that is unknown, used, expired or outdated. */
export function resetLinkInvalidPage(): PageContent {
  return {
    title: 'This link no longer works',
    body: '<p>This password reset link is invalid, has been used already, or has expired. Please ask for a new one.</p>',
  }
}
