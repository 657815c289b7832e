import { addFieldError, ValidationError, type FieldErrors } from '../../core/errors.js'

/**
 * Request bodies read as DRF serializers read them, with DRF's messages: the body must be a
 * dictionary, each field a string (numbers are turned into strings), unknown fields are ignored.
 * The rules on the values (e-mail shape, username, password validators) stay in the core.
 */

/** The body as a field map; DRF's errors for a list, a string, `null` and the like. */
export function dictionaryOf(body: unknown): Record<string, unknown> {
  // No body (or an empty one) is an empty QueryDict for DRF: every required field is missing.
  if (body === undefined) return {}
  if (body === null) throw new ValidationError({ body: ['No data provided'] })
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new ValidationError({ body: [`Invalid data. Expected a dictionary, but got ${pythonType(body)}.`] })
  }
  return body as Record<string, unknown>
}

/** Python's name for a JSON value's type, as DRF's "Expected a dictionary" message gives it. */
export function pythonType(value: unknown): string {
  if (Array.isArray(value)) return 'list'
  if (typeof value === 'string') return 'str'
  if (typeof value === 'boolean') return 'bool'
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float'
  return typeof value
}

/** How one CharField is declared. */
export interface CharFieldOptions {
  /** @default true */
  required?: boolean
  /** DRF trims whitespace by default; passwords are read as sent here. @default true */
  trim?: boolean
  /** @default false */
  allowBlank?: boolean
}

/** DRF's CharField: the string, or undefined when missing (or refused, with the error added). */
export function charField(fields: Record<string, unknown>, name: string, errors: FieldErrors, options: CharFieldOptions = {}): string | undefined {
  const { required = true, trim = true, allowBlank = false } = options
  const value = fields[name]
  if (value === undefined) {
    if (required) addFieldError(errors, name, 'This field is required.')
    return undefined
  }
  if (value === null) {
    addFieldError(errors, name, 'This field may not be null.')
    return undefined
  }
  if (typeof value !== 'string' && !(typeof value === 'number' && Number.isFinite(value))) {
    addFieldError(errors, name, 'Not a valid string.')
    return undefined
  }
  const text = trim ? String(value).trim() : String(value)
  if (!allowBlank && text.trim() === '') {
    addFieldError(errors, name, 'This field may not be blank.')
    return undefined
  }
  return text
}

/** Throws the collected field errors, if any. */
export function throwIfAny(errors: FieldErrors): void {
  if (Object.keys(errors).length > 0) throw new ValidationError(errors)
}

/** The core's field names in djoser's words (`newPassword` → `new_password`, …). */
export function renameFields(error: unknown, names: Record<string, string>): unknown {
  if (!(error instanceof ValidationError)) return error
  const fields: FieldErrors = {}
  for (const [field, messages] of Object.entries(error.fields)) fields[names[field] ?? field] = messages
  return new ValidationError(fields, error.message)
}

/** A one-field 400 in DRF's shape (`{"uid": ["…"]}`). */
export function fieldError(field: string, message: string): ValidationError {
  return new ValidationError({ [field]: [message] })
}

/**
 * An answer sent exactly as given (status, body, headers): DRF's 405 and Simple JWT's 401s, which
 * no error code of the core describes.
 */
export class WireReply extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`)
    this.name = 'WireReply'
  }
}

/** DRF's 405 for `method`, with the path's `Allow`. */
export function methodNotAllowed(method: string, allow: string): WireReply {
  return new WireReply(405, { detail: `Method "${method}" not allowed.` }, { allow })
}
