import type { PublicUser } from './public-json.js'

/** Why sessions ended; carried by `session.revoked` for audit and metrics. */
export type RevokeReason =
  | 'logout'
  | 'logout_all'
  | 'session_deleted'
  | 'device_replaced'
  | 'session_cap'
  | 'user_deactivated'
  | 'password_changed'
  | 'admin'
  | 'refresh_reused'

/** Every event the core emits, with its payload (the tutorials' post_save signals, and more). */
export interface TesseraEvents {
  'user.created': { user: PublicUser }
  'user.updated': { user: PublicUser; changed: string[] }
  'session.created': { userId: number; sessionId: string; device: string }
  'session.revoked': { userId: number; sessionIds: string[]; reason: RevokeReason }
  'token.rotated': { userId: number; sessionId: string }
  'login.succeeded': { userId: number; address: string | undefined }
  'login.failed': { identifier: string; address: string | undefined; reason: 'invalid_credentials' | 'throttled' | 'email_unverified' }
  'password.changed': { userId: number }
  'password.reset_requested': { userId: number }
  'email.verification_requested': { userId: number }
  'email.verified': { userId: number; email: string }
}

export type TesseraEventName = keyof TesseraEvents
type Handler<K extends TesseraEventName> = (payload: TesseraEvents[K]) => void

/** A small typed event bus; a throwing subscriber is reported, never allowed to fail the request. */
export class TesseraEventBus {
  readonly #handlers = new Map<TesseraEventName, Set<Handler<never>>>()

  constructor(private readonly onHandlerError: (error: unknown, event: TesseraEventName) => void = () => {}) {}

  /** Subscribes `handler` to `event`; returns a function that unsubscribes it. */
  on<K extends TesseraEventName>(event: K, handler: Handler<K>): () => void {
    let set = this.#handlers.get(event)
    if (!set) this.#handlers.set(event, (set = new Set()))
    set.add(handler as Handler<never>)
    return () => set.delete(handler as Handler<never>)
  }

  /** Calls every subscriber of `event` synchronously, in subscription order. */
  emit<K extends TesseraEventName>(event: K, payload: TesseraEvents[K]): void {
    const set = this.#handlers.get(event)
    if (!set) return
    for (const handler of set) {
      try {
        ;(handler as Handler<K>)(payload)
      } catch (error) {
        this.onHandlerError(error, event)
      }
    }
  }
}
