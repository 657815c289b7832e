import { isCommonPassword } from './common-passwords.js'

/** What a new password is compared with, so it cannot simply repeat the account's own names. */
export interface PasswordContext {
  email?: string | null
  username?: string | null
}

/** Length limits for `validatePassword`, counted in Unicode code points as Django counts them. */
export interface PasswordLengthOptions {
  /** @default 8 */
  minLength?: number
  /** @default 256 */
  maxLength?: number
}

const DEFAULT_MIN_LENGTH = 8
const DEFAULT_MAX_LENGTH = 256
// Django's UserAttributeSimilarityValidator default.
const MAX_SIMILARITY = 0.7
// Python's str.isdigit() on every character; superscript digits, which Python also counts,
// are rare enough in passwords not to matter.
const ENTIRELY_NUMERIC = /^\p{Nd}+$/u
// Python's re.split(r"\W+") on a str: \w is a letter, a number or "_".
const NON_WORD = /[^\p{L}\p{N}_]+/u

/**
 * Checks a new password as Django's default validators do (similarity to the username and
 * e-mail, length, common passwords, all digits), returning every message that applies, or an
 * empty list when the password is acceptable; throws a `RangeError` for invalid options.
 */
export function validatePassword(
  password: string,
  context: PasswordContext,
  options: PasswordLengthOptions = {},
): string[] {
  const minLength = options.minLength ?? DEFAULT_MIN_LENGTH
  const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH
  if (!Number.isInteger(minLength) || minLength < 0) {
    throw new RangeError('tessera: options.minLength must be a non-negative integer')
  }
  if (!Number.isInteger(maxLength) || maxLength < minLength) {
    throw new RangeError('tessera: options.maxLength must be an integer no smaller than options.minLength')
  }

  // Django's order: similarity, length, common, numeric.
  const messages: string[] = []
  const similarTo = findSimilarAttribute(password, context)
  if (similarTo !== null) messages.push(`The password is too similar to the ${similarTo}.`)
  const length = codePointLength(password)
  if (length < minLength) {
    messages.push(`This password is too short. It must contain at least ${minLength} ${characters(minLength)}.`)
  }
  if (length > maxLength) {
    messages.push(`This password is too long. It must contain at most ${maxLength} ${characters(maxLength)}.`)
  }
  if (isCommonPassword(password)) messages.push('This password is too common.')
  if (ENTIRELY_NUMERIC.test(password)) messages.push('This password is entirely numeric.')
  return messages
}

/**
 * Django's UserAttributeSimilarityValidator: the first attribute with a part whose
 * `SequenceMatcher.quick_ratio()` against the password reaches 0.7, or null.
 */
function findSimilarAttribute(password: string, context: PasswordContext): 'username' | 'email' | null {
  const lowered = password.toLowerCase()
  const passwordLength = codePointLength(lowered)
  const attributes = [
    ['username', context.username],
    ['email', context.email],
  ] as const
  for (const [name, value] of attributes) {
    if (typeof value !== 'string' || value === '') continue
    for (const part of attributeParts(name, value.toLowerCase())) {
      // Django also compares an empty part, which only an empty password can "resemble".
      if (part === '') continue
      if (exceedsMaximumLengthRatio(passwordLength, codePointLength(part))) continue
      if (quickRatio(lowered, part) >= MAX_SIMILARITY) return name
    }
  }
  return null
}

/** Django's parts (the words, then the whole value), plus an e-mail's local part, which Django leaves out. */
function attributeParts(name: 'username' | 'email', value: string): string[] {
  const parts = value.split(NON_WORD)
  const at = value.lastIndexOf('@')
  if (name === 'email' && at > 0) parts.push(value.slice(0, at))
  parts.push(value)
  return parts
}

/**
 * Django's shortcut: a value under a tenth of the password's length cannot reach the ratio
 * (quick_ratio ≤ 2·short/(short+long)), so the comparison is skipped.
 */
function exceedsMaximumLengthRatio(passwordLength: number, valueLength: number): boolean {
  return passwordLength >= 10 * valueLength && valueLength < (MAX_SIMILARITY / 2) * passwordLength
}

/**
 * difflib's `SequenceMatcher(a=a, b=b).quick_ratio()`: twice the size of the two strings'
 * multiset intersection over their total length, by code point, as Python iterates a str.
 */
function quickRatio(a: string, b: string): number {
  const available = new Map<string, number>()
  let bLength = 0
  for (const char of b) {
    available.set(char, (available.get(char) ?? 0) + 1)
    bLength++
  }
  let matches = 0
  let aLength = 0
  for (const char of a) {
    aLength++
    const count = available.get(char) ?? 0
    if (count > 0) {
      matches++
      available.set(char, count - 1)
    }
  }
  const total = aLength + bLength
  return total === 0 ? 1 : (2 * matches) / total
}

/** Python's len() of a str: code points, not UTF-16 units. */
function codePointLength(text: string): number {
  let length = 0
  for (const _ of text) length++
  return length
}

function characters(count: number): string {
  return count === 1 ? 'character' : 'characters'
}
