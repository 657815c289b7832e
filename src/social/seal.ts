import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import type { Store } from '../store/store.js'

/**
 * Values Tessera hands to a browser and must get back unread and unchanged (the flow cookie, a
 * link result): JSON sealed with AES-256-GCM under a key generated on first use and kept in the
 * database (DESIGN: no secret to set by hand), so every process and every restart shares it.
 * Each use names its `context` (authenticated, not encrypted), so a value sealed for one purpose
 * or provider opens for no other.
 */

const SETTING = 'social.sealing_key'
const IV_BYTES = 12
const TAG_BYTES = 16

/** The sealing key: made on first use, kept in the settings table. */
export async function loadSealingKey(store: Store): Promise<Buffer> {
  const stored = (await store.getSetting(SETTING)) ?? (await store.putSettingIfAbsent(SETTING, randomBytes(32).toString('base64url')))
  return Buffer.from(stored, 'base64url')
}

/** `value` as JSON, encrypted and authenticated for `context`; base64url. */
export function seal(key: Buffer, context: string, value: unknown): string {
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(Buffer.from(context))
  const sealed = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()])
  return Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString('base64url')
}

/** What `seal` sealed for `context`, or null when `sealed` is forged, altered, or for another context. */
export function unseal(key: Buffer, context: string, sealed: string): unknown {
  const bytes = Buffer.from(sealed, 'base64url')
  if (bytes.length <= IV_BYTES + TAG_BYTES) return null
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES))
    decipher.setAAD(Buffer.from(context))
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES))
    const plain = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()])
    return JSON.parse(plain.toString('utf8')) as unknown
  } catch {
    // A failed tag check throws: the value was not sealed by this server, with this key, for this context.
    return null
  }
}
