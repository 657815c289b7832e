import type { Store } from '../store/store.js'
import type { Clock } from './clock.js'
import type { TesseraEventBus } from './events.js'
import type { Mailer } from './mailer.js'
import type { PrincipalCache } from './principal.js'
import type { TesseraSettings } from './settings.js'
import type { CounterStore } from './throttle.js'
import type { TouchWriter } from './touch-writer.js'

/** What every core operation works with, passed in so tests and engines can swap any part. */
export interface CoreContext {
  store: Store
  cache: PrincipalCache
  counters: CounterStore
  clock: Clock
  events: TesseraEventBus
  settings: Readonly<TesseraSettings>
  /** How often the principal cache answered a credential check (plain counters: read by /metrics). */
  cacheLookups: { hits: number; misses: number }
  mailer: Mailer
  /** Where sessions' `lastUsedAt` goes: queued, and written in batches (touch-writer.ts). */
  touches: Pick<TouchWriter, 'add' | 'queued'>
  /** Reports a failure that must not fail the request (a background write, a subscriber). */
  reportError: (error: unknown, what: string) => void
}
