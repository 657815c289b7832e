import { randomBytes } from 'node:crypto'
import type { Store } from '../store/store.js'

const SETTING = 'admin.cookie_secret'

/**
 * The key the admin page signs its cookies with: made on first start and kept in the database
 * (DESIGN: no secret to set by hand), so every process and every restart shares it.
 */
export async function loadCookieSecret(store: Store): Promise<string> {
  return (await store.getSetting(SETTING)) ?? store.putSettingIfAbsent(SETTING, randomBytes(32).toString('base64url'))
}
