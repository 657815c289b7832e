import { createLruPrincipalCache } from './cache/lru-cache.js'
import { createMemoryCounters } from './cache/memory-counters.js'
import type { ServerConfig } from './config/env.js'
import type { Mailer } from './core/mailer.js'
import { noCache } from './core/principal.js'
import { Tessera } from './core/tessera.js'
import { openStore } from './store/kysely/index.js'
import type { Store } from './store/store.js'

const DEFAULT_CACHE_SIZE = 100_000

/** A core wired to its store, cache and counters, with the means to let them go. */
export interface OpenTessera {
  tessera: Tessera
  store: Store
  close(): Promise<void>
}

/**
 * The composition root: opens (and migrates) the database named by the configuration and builds
 * the core over it. The CLI and the HTTP server both start here.
 */
export async function openTessera(
  config: Pick<ServerConfig, 'databaseUrl'> & Partial<Pick<ServerConfig, 'cacheSize' | 'settings'>>,
  reportError: (error: unknown, what: string) => void = () => {},
  services: { mailer?: Mailer } = {},
): Promise<OpenTessera> {
  const store = await openStore(config.databaseUrl)
  const tessera = new Tessera({
    store,
    counters: createMemoryCounters(),
    cache: (config.cacheSize ?? DEFAULT_CACHE_SIZE) > 0 ? createLruPrincipalCache(config.cacheSize ?? DEFAULT_CACHE_SIZE) : noCache,
    settings: config.settings ?? {},
    reportError,
    // The server passes its SMTP or log mailer; the CLI sends no mail and keeps the default.
    ...(services.mailer ? { mailer: services.mailer } : {}),
  })
  return { tessera, store, close: () => store.close() }
}
