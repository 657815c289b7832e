import type { MailMessage } from '../core/mailer.js'
import { escapeHtml } from './escape-html.js'

/**
 * Every mail Tessera sends, in one place: a plain-text and an HTML body from the same words.
 * Templates are pure functions (no I/O), so the core can compose a message and any transport
 * (SMTP, the log, a test's memory) can deliver it.
 */

/** What a mail carrying a one-time link is made of. */
export interface LinkMailInput {
  /** The recipient's address. */
  to: string
  /** How the mail greets the recipient. */
  username: string
  /** The link to follow; it holds the one-time token. */
  link: string
  /** How long the link works. */
  ttlSeconds: number
  /** The site the account belongs to, as people know it (the public URL's host). */
  site: string
}

/** The password-reset mail: a link to a page where a new password is chosen. */
export function passwordResetMail(input: LinkMailInput): MailMessage {
  return linkMail(input, {
    subject: `Reset your password on ${input.site}`,
    intro: `Someone (hopefully you) asked to reset the password of your account on ${input.site}.`,
    action: 'Choose a new password',
    outro: 'If you did not ask for this, ignore this mail: your password stays as it is.',
  })
}

/** The verification mail: a link that confirms the recipient owns the address. */
export function emailVerificationMail(input: LinkMailInput): MailMessage {
  return linkMail(input, {
    subject: `Confirm your e-mail address on ${input.site}`,
    intro: `Please confirm that ${input.to} is the e-mail address of your account on ${input.site}.`,
    action: 'Confirm my e-mail address',
    outro: 'If you did not create an account or change its e-mail address, ignore this mail.',
  })
}

interface LinkMailWords {
  subject: string
  intro: string
  action: string
  outro: string
}

/** One layout for every link mail, in text and HTML. */
function linkMail(input: LinkMailInput, words: LinkMailWords): MailMessage {
  const expiry = `The link works once, for ${describeDuration(input.ttlSeconds)}.`
  const text = [
    `Hello ${input.username},`,
    '',
    words.intro,
    '',
    `${words.action}:`,
    input.link,
    '',
    expiry,
    words.outro,
    '',
  ].join('\n')
  const html = [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><title>' + escapeHtml(words.subject) + '</title></head>',
    '<body style="font-family: sans-serif; line-height: 1.5; color: #1a1a1a">',
    `<p>Hello ${escapeHtml(input.username)},</p>`,
    `<p>${escapeHtml(words.intro)}</p>`,
    `<p><a href="${escapeHtml(input.link)}">${escapeHtml(words.action)}</a></p>`,
    `<p>If the link does not open, copy this address into your browser:<br>${escapeHtml(input.link)}</p>`,
    `<p>${escapeHtml(expiry)} ${escapeHtml(words.outro)}</p>`,
    '</body></html>',
    '',
  ].join('\n')
  return { to: input.to, subject: words.subject, text, html }
}

/** "1 hour", "3 days", "90 minutes": the largest unit that divides the duration evenly. */
export function describeDuration(seconds: number): string {
  const units: Array<[number, string]> = [[86_400, 'day'], [3600, 'hour'], [60, 'minute'], [1, 'second']]
  for (const [size, name] of units) {
    if (seconds >= size && seconds % size === 0) {
      const count = seconds / size
      return `${count} ${name}${count === 1 ? '' : 's'}`
    }
  }
  return `${Math.max(1, Math.round(seconds))} seconds`
}
