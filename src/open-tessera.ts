import { createLruPrincipalCache } from './cache/lru-cache.js'
import { createMemoryCounters } from './cache/memory-counters.js'
import { openRedisBackend } from './cache/redis-backend.js'
import type { RedisLog } from './cache/redis-like.js'
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
  /** Whether Redis is connected and subscribed; null without REDIS_URL (for a readiness report). */
  redisHealthy(): boolean | null
  close(): Promise<void>
}

/**
 * The composition root: opens (and migrates) the database named by the configuration and builds
 * the core over it. The CLI and the HTTP server both start here.
 */
export async function openTessera(
  config: Pick<ServerConfig, 'databaseUrl'> & Partial<Pick<ServerConfig, 'cacheSize' | 'settings' | 'redisUrl'>>,
  reportError: (error: unknown, what: string) => void = () => {},
  services: { mailer?: Mailer; log?: RedisLog } = {},
): Promise<OpenTessera> {
  const store = await openStore(config.databaseUrl)
  const local = (config.cacheSize ?? DEFAULT_CACHE_SIZE) > 0 ? createLruPrincipalCache(config.cacheSize ?? DEFAULT_CACHE_SIZE) : noCache
  // With Redis, revocations reach every process and rate limits hold across them and restarts.
  const redis = config.redisUrl ? await openRedisBackend(config.redisUrl, local, services.log).catch(closing(store)) : null
  const tessera = new Tessera({
    store,
    counters: redis?.counters ?? createMemoryCounters(),
    cache: redis?.cache ?? local,
    settings: config.settings ?? {},
    reportError,
    // The server passes its SMTP or log mailer; the CLI sends no mail and keeps the default.
    ...(services.mailer ? { mailer: services.mailer } : {}),
  })
  const close = async (): Promise<void> => {
    // A CLI command's events (a deactivation, say) reach the audit log before the store closes.
    await tessera.flush()
    // Redis first: invalidations still unpublished go out before the process lets go.
    await redis?.close()
    await store.close()
  }
  return { tessera, store, redisHealthy: () => redis?.isHealthy() ?? null, close }
}

/** Closes `store`, then rethrows: a failure after the store opened must not leave it open. */
function closing(store: Store): (error: unknown) => Promise<never> {
  return async (error) => {
    await store.close()
    throw error
  }
}
