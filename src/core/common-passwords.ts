import { createRequire } from 'node:module'

/**
 * The common-password list is zxcvbn-ts's `passwords-common` dictionary (about 49,000 entries,
 * all lower-case, drawn from leaked-password corpora), shipped prefix-compressed inside
 * `@zxcvbn-ts/language-common` and expanded by that package when it is loaded.
 *
 * It is loaded on the first check, not at import: expanding it costs about 25 ms and a few MB,
 * which an application that only authenticates tokens should never pay. `createRequire` is the
 * one way to load it synchronously from ESM, so that `isCommonPassword` can stay synchronous.
 */
let commonPasswords: ReadonlySet<string> | undefined

function loadCommonPasswords(): ReadonlySet<string> {
  const require = createRequire(import.meta.url)
  const pkg: unknown = require('@zxcvbn-ts/language-common')
  const list = (pkg as { dictionary?: Record<string, unknown> } | null)?.dictionary?.['passwords-common']
  // A changed package layout must fail loudly: silently accepting every password would be worse.
  if (!Array.isArray(list) || list.length < 10_000 || !list.every((entry) => typeof entry === 'string')) {
    throw new Error('tessera: @zxcvbn-ts/language-common no longer ships a usable passwords-common list')
  }
  return new Set(list as string[])
}

/**
 * True when `password`, trimmed and lower-cased as Django does, is on the common-password list;
 * throws an `Error` if the installed list is unusable.
 */
export function isCommonPassword(password: string): boolean {
  commonPasswords ??= loadCommonPasswords()
  return commonPasswords.has(password.trim().toLowerCase())
}
