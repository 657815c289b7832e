import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type * as PrincipalCacheModule from '../src/cache/lru-cache.js'
import type * as EnvModule from '../src/config/env.js'
import type * as IdentityModule from '../src/core/identity.js'
import type * as PasswordsModule from '../src/core/passwords.js'
import type * as TokensModule from '../src/core/tokens.js'
import type * as GuardsModule from '../src/http/guards.js'
import type * as ServerModule from '../src/http/server.js'
import type * as StoreModule from '../src/store/kysely/index.js'
import type ThreadpoolModule from '../src/config/threadpool.cjs'

/**
 * The bench measures the server users run: the production build in `dist/` (`npm run build`),
 * not a second compilation of `src/`. Types come from `src/`, so the bench type-checks with the
 * rest of the tree; the modules themselves are loaded from `dist/` at run time.
 */

/** The repository's root (this file runs as dist-bench/bench/dist.js). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
/** Where the compiled bench lives. */
export const BENCH_OUT = fileURLToPath(new URL('./', import.meta.url))
/** Seeded databases, token lists and scratch files (gitignored). */
export const DATA_DIR = join(ROOT, 'bench', 'data')

async function load<T>(path: string): Promise<T> {
  try {
    return (await import(pathToFileURL(join(ROOT, 'dist', path)).href)) as T
  } catch (error) {
    throw new Error(`bench: cannot load dist/${path} (run \`npm run build\` first): ${(error as Error).message}`)
  }
}

export const loadServer = () => load<typeof ServerModule>('http/server.js')
export const loadEnv = () => load<typeof EnvModule>('config/env.js')
export const loadGuards = () => load<typeof GuardsModule>('http/guards.js')
export const loadStore = () => load<typeof StoreModule>('store/kysely/index.js')
export const loadTokens = () => load<typeof TokensModule>('core/tokens.js')
export const loadPasswords = () => load<typeof PasswordsModule>('core/passwords.js')
export const loadIdentity = () => load<typeof IdentityModule>('core/identity.js')
export const loadThreadpool = async () => (await load<{ default: typeof ThreadpoolModule }>('config/threadpool.cjs')).default
export const loadPrincipalCache = () => load<typeof PrincipalCacheModule>('cache/lru-cache.js')
