import type { Tessera } from '../core/tessera.js'
import type { UserRecord } from '../store/store.js'

const ID = /^[0-9]{1,15}$/

/** The user whose id is `text`, or null when there is none (or `text` is no id); other failures throw. */
export async function userByIdText(tessera: Tessera, text: string): Promise<UserRecord | null> {
  return ID.test(text) ? tessera.findUserById(Number(text)) : null
}

/** A keyset cursor from the query string: a positive id, or null. */
export function idParam(text: string): number | null {
  return ID.test(text) ? Number(text) : null
}
