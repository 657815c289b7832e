import type { DjangoImport } from '../../core/django-import.js'
import type { DjangoSource } from './django-source.js'

/** What the loop tells its caller as it goes. */
export interface ImportLoopHooks {
  /** A phase begins with `total` rows to read. */
  phase?(name: 'users' | 'tokens', total: number): void
  /** `done` rows of the current phase were read and handled. */
  progress?(done: number): void
}

/**
 * Reads every user of `source`, then every DRF token, page by page in key order, and feeds them
 * to `importer`; what happened is in `importer.report`. Throws what the importer throws
 * (`ImportStoppedError` when strict) and what the source throws.
 */
export async function runDjangoImport(source: DjangoSource, importer: DjangoImport, batchSize: number, hooks: ImportLoopHooks = {}): Promise<void> {
  hooks.phase?.('users', source.shape.userCount)
  for (let afterId = Number.MIN_SAFE_INTEGER; ; ) {
    const rows = await source.readUsers(afterId, batchSize)
    if (rows.length === 0) break
    await importer.importUsers(rows)
    afterId = rows.at(-1)!.id
    hooks.progress?.(importer.report.users.read)
  }
  // Users whose Django id Tessera already gives someone else go in last, under new ids.
  await importer.finishUsers()
  hooks.phase?.('tokens', source.shape.tokenCount)
  for (let afterKey = ''; ; ) {
    const rows = await source.readTokens(afterKey, batchSize)
    if (rows.length === 0) break
    await importer.importTokens(rows)
    afterKey = rows.at(-1)!.key
    hooks.progress?.(importer.report.tokens.read)
  }
}
