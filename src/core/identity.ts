import { addFieldError, type FieldErrors } from './errors.js'

/**
 * The rules for e-mails and usernames, in one place for every face. Both are unique without
 * regard to case: stored as entered (trimmed), compared by their key (Unicode NFC, lower case).
 */

const EMAIL_MAX = 254
const USERNAME_MAX = 150
// Deliberately loose: one @, no spaces, a dot in the domain. Deliverability is proven by verification mail.
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@.][^\s@]*$/u
// Django's UnicodeUsernameValidator: letters, digits and @ . + - _
const USERNAME_SHAPE = /^[\p{L}\p{N}_.@+-]+$/u

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/
// eslint-disable-next-line no-control-regex
const NUL = /\u0000/g

/** True when `value` holds a control character, which no e-mail, username or id may. */
export function hasControlCharacters(value: string): boolean {
  return CONTROL.test(value)
}

/**
 * The key an e-mail or username is compared by. NUL is dropped: no stored key holds one (the
 * validators refuse control characters) and PostgreSQL cannot even compare text containing it.
 */
export function identityKey(value: string): string {
  return value.replace(NUL, '').trim().normalize('NFC').toLowerCase()
}

/** The e-mail as entered (trimmed), with a message in `errors.email` when it is not one. */
export function checkEmail(raw: string, errors: FieldErrors): string {
  const email = raw.trim()
  if (email.length === 0) addFieldError(errors, 'email', 'This field may not be blank.')
  else if (hasControlCharacters(email)) addFieldError(errors, 'email', 'Enter a valid email address.')
  else if (email.length > EMAIL_MAX) addFieldError(errors, 'email', `Ensure this field has no more than ${EMAIL_MAX} characters.`)
  else if (!EMAIL_SHAPE.test(email.normalize('NFC'))) addFieldError(errors, 'email', 'Enter a valid email address.')
  return email
}

/**
 * The trimmed username, with a message in `errors.username` when it is not one. A username with
 * an @ must be the account's own e-mail (Django projects often use the e-mail as username), so
 * nobody can take another person's address as a name and stand in the way of their login.
 */
export function checkUsername(raw: string, email: string, errors: FieldErrors): string {
  const username = raw.trim()
  if (username.length === 0) addFieldError(errors, 'username', 'This field may not be blank.')
  else if (hasControlCharacters(username)) {
    addFieldError(errors, 'username', 'Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.')
  }
  else if (username.length > USERNAME_MAX) {
    addFieldError(errors, 'username', `Ensure this field has no more than ${USERNAME_MAX} characters.`)
  } else if (!USERNAME_SHAPE.test(username)) {
    addFieldError(errors, 'username', 'Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.')
  } else if (username.includes('@') && identityKey(username) !== identityKey(email)) {
    addFieldError(errors, 'username', 'A username may contain @ only when it is the account\'s own email.')
  }
  return username
}

/** A username made from an e-mail's local part, for accounts registered without one. */
export function usernameFromEmail(email: string, suffix = ''): string {
  const local = email.trim().split('@')[0] ?? ''
  const cleaned = [...local.normalize('NFC')].filter((c) => /[\p{L}\p{N}_.+-]/u.test(c)).join('')
  return (cleaned || 'user').slice(0, USERNAME_MAX - suffix.length) + suffix
}

/** True when a login identifier names an e-mail rather than a username. */
export function looksLikeEmail(identifier: string): boolean {
  return identifier.includes('@')
}
