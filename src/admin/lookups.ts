import { TesseraError } from '../core/errors.js'
import type { Tessera } from '../core/tessera.js'
import type { UserRecord } from '../store/store.js'

const ID = /^[0-9]{1,15}$/

/** The user whose id is `text`, or null when there is none (or `text` is no id); other failures throw. */
export async function userByIdText(tessera: Tessera, text: string): Promise<UserRecord | null> {
  if (!ID.test(text)) return null
  try {
    return await tessera.getUser(Number(text))
  } catch (error) {
    if (error instanceof TesseraError && error.code === 'not_found') return null
    throw error
  }
}

/** A keyset cursor from the query string: a positive id, or null. */
export function idParam(text: string): number | null {
  return ID.test(text) ? Number(text) : null
}
