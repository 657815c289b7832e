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

/** What staff did to another account; carried by `admin.action`. */
export type AdminAction =
  | 'user_updated'
  | 'sessions_revoked'
  | 'session_revoked'
  | 'token_created'
  | 'password_reset_sent'
  | 'password_unusable'

/** Login identifiers longer than this are cut in `login.failed` (an e-mail is at most 254). */
export const IDENTIFIER_MAX = 254

/**
 * Every event the core emits, with its payload (the tutorials' post_save signals, and more).
 * `address` is the client's address where the core was told it (logins, registration, resets,
 * staff actions); no payload ever carries a token, a token's hash or a password.
 */
export interface TesseraEvents {
  'user.created': { user: PublicUser; address?: string | undefined }
  /** `changed` names the fields, never their values. */
  'user.updated': { user: PublicUser; changed: string[] }
  'session.created': { userId: number; sessionId: string; device: string; address?: string | undefined }
  'session.revoked': { userId: number; sessionIds: string[]; reason: RevokeReason }
  'token.rotated': { userId: number; sessionId: string }
  'login.succeeded': { userId: number; address: string | undefined }
  /**
   * `identifier` is what was typed (case-folded, at most `IDENTIFIER_MAX` characters), as Django
   * logs it; `userId` is the account it names, when it names one.
   */
  'login.failed': {
    identifier: string
    userId?: number | null
    address: string | undefined
    reason: 'invalid_credentials' | 'throttled' | 'email_unverified'
  }
  'password.changed': { userId: number }
  'password.reset_requested': { userId: number; address?: string | undefined }
  /** A reset link was used: the password is new and every session has ended. */
  'password.reset': { userId: number; address: string | undefined }
  'email.verification_requested': { userId: number }
  'email.verified': { userId: number; email: string }
  /** Staff (`actorId`) acted on another account (`userId`); `detail` never holds a secret. */
  'admin.action': {
    actorId: number
    address: string | undefined
    action: AdminAction
    userId: number
    detail?: Record<string, string | number | boolean>
  }
  /** A social identity was linked: at a first sign-in (`sign_up`), to the account with its verified e-mail (`email_match`), or by the signed-in user (`link`). */
  'social.linked': { userId: number; provider: string; identityId: number; via: 'sign_up' | 'email_match' | 'link' }
  'social.unlinked': { userId: number; provider: string; identityId: number }
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
