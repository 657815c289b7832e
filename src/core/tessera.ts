import type { SessionRecord, Store, UserRecord } from '../store/store.js'
import { systemClock, type Clock } from './clock.js'
import type { CoreContext } from './context.js'
import { TesseraError } from './errors.js'
import { TesseraEventBus, type TesseraEventName, type TesseraEvents } from './events.js'
import { verifyLogin, type LoginAttempt } from './login.js'
import { noCache, type CredentialCheck, type Principal, type PrincipalCache } from './principal.js'
import {
  clearDeadSessions,
  createSession,
  listSessions,
  revokeDeviceSessions,
  revokeSession,
  revokeUserSessions,
  rotateSessionToken,
  validateToken,
  type IssuedToken,
} from './sessions.js'
import { resolveSettings, type TesseraSettings } from './settings.js'
import type { CounterStore } from './throttle.js'
import {
  createUser,
  findUserByIdentifier,
  getUser,
  setUserActive,
  updateProfile,
  type AccountPrivileges,
  type NewAccount,
  type ProfileChanges,
} from './users.js'

/** What `createTessera` needs; everything but the store has a default. */
export interface TesseraOptions {
  store: Store
  /** Counters for login throttling; in-process when not given. */
  counters: CounterStore
  /** @default no cache: every credential is checked against the store */
  cache?: PrincipalCache
  /** @default the wall clock */
  clock?: Clock
  settings?: Partial<TesseraSettings>
  /** Where failures that must not fail a request are reported. @default ignored */
  reportError?: (error: unknown, what: string) => void
}

/** A user, a new session and its token: what register and login hand back. */
export interface SignedIn extends IssuedToken {
  user: UserRecord
}

/**
 * The core API: every face (HTTP routes, the CLI, the admin page, an embedding app) calls these
 * methods, so each rule lives here once.
 */
export class Tessera {
  readonly #ctx: CoreContext

  constructor(options: TesseraOptions) {
    const reportError = options.reportError ?? (() => {})
    this.#ctx = {
      store: options.store,
      counters: options.counters,
      cache: options.cache ?? noCache,
      clock: options.clock ?? systemClock,
      settings: resolveSettings(options.settings),
      events: new TesseraEventBus((error, event) => reportError(error, `event ${event}`)),
      reportError,
    }
  }

  get store(): Store {
    return this.#ctx.store
  }

  get settings(): Readonly<TesseraSettings> {
    return this.#ctx.settings
  }

  /** Subscribes to a core event (`user.created`, `session.revoked`, …); returns an unsubscribe function. */
  on<K extends TesseraEventName>(event: K, handler: (payload: TesseraEvents[K]) => void): () => void {
    return this.#ctx.events.on(event, handler)
  }

  /** Creates an account and its first session; throws `ValidationError`. */
  async register(account: NewAccount, device: string): Promise<SignedIn> {
    const user = await createUser(this.#ctx, account)
    return { user, ...(await createSession(this.#ctx, user, device)) }
  }

  /** Creates a user with privileges (CLI, staff); throws `ValidationError`. */
  createUser(account: NewAccount, privileges: AccountPrivileges = {}): Promise<UserRecord> {
    return createUser(this.#ctx, account, privileges)
  }

  /** Checks a password login without starting a session; throws `invalid_credentials` or `throttled`. */
  verifyLogin(attempt: LoginAttempt): Promise<UserRecord> {
    return verifyLogin(this.#ctx, attempt)
  }

  /** Checks a password login and starts a session on `device`. */
  async login(attempt: LoginAttempt, device: string): Promise<SignedIn> {
    const user = await verifyLogin(this.#ctx, attempt)
    return { user, ...(await createSession(this.#ctx, user, device)) }
  }

  /** Checks an opaque token; never throws for a bad one. */
  validateToken(token: string): Promise<CredentialCheck> {
    return validateToken(this.#ctx, token)
  }

  /** Starts a new session for a user (staff and CLI token creation). */
  createSession(user: UserRecord, device: string): Promise<IssuedToken> {
    return createSession(this.#ctx, user, device)
  }

  /** Ends the principal's session, and only it. */
  async logout(principal: Principal): Promise<void> {
    await revokeSession(this.#ctx, { id: principal.sessionId, userId: principal.user.id }, 'logout')
  }

  /** Ends every session of the principal's user. */
  async logoutAll(principal: Principal): Promise<void> {
    await revokeUserSessions(this.#ctx, principal.user.id, 'logout_all')
  }

  /** Gives the principal's session a new token; the old one dies at once. */
  async rotateToken(principal: Principal): Promise<IssuedToken> {
    const issued = await rotateSessionToken(this.#ctx, principal.sessionId)
    if (!issued) throw new TesseraError('invalid_token', 'Invalid token.')
    return issued
  }

  /** The user's live sessions, newest first. */
  listSessions(userId: number): Promise<SessionRecord[]> {
    return listSessions(this.#ctx, userId)
  }

  /** Revokes a session of `userId`; throws `not_found` when it is not theirs or not live. */
  async revokeOwnSession(userId: number, sessionId: string): Promise<void> {
    const session = await this.#ctx.store.findSessionById(sessionId)
    if (!session || session.userId !== userId || !(await revokeSession(this.#ctx, session, 'session_deleted'))) {
      throw new TesseraError('not_found', 'No such session.')
    }
  }

  /** Revokes any session by id (CLI, staff); false when it was not live. */
  async revokeSessionById(sessionId: string): Promise<boolean> {
    const session = await this.#ctx.store.findSessionById(sessionId)
    return session ? revokeSession(this.#ctx, session, 'admin') : false
  }

  /** Revokes every session of a user (staff); returns how many. */
  revokeUserSessions(userId: number): Promise<number> {
    return revokeUserSessions(this.#ctx, userId, 'admin')
  }

  /** Revokes a user's sessions on one device; returns how many. */
  revokeDeviceSessions(userId: number, device: string): Promise<number> {
    return revokeDeviceSessions(this.#ctx, userId, device)
  }

  /** The user with `id`; throws `not_found`. */
  getUser(id: number): Promise<UserRecord> {
    return getUser(this.#ctx, id)
  }

  /** A user named by e-mail, username or id, or null. */
  findUser(identifier: string): Promise<UserRecord | null> {
    return findUserByIdentifier(this.#ctx, identifier)
  }

  /** Applies a user's own profile changes; throws `ValidationError`. */
  updateProfile(userId: number, changes: ProfileChanges): Promise<UserRecord> {
    return updateProfile(this.#ctx, userId, changes)
  }

  /** Activates or deactivates a user; deactivation revokes every session. */
  setUserActive(userId: number, isActive: boolean): Promise<UserRecord> {
    return setUserActive(this.#ctx, userId, isActive)
  }

  /** Deletes revoked and expired sessions; returns how many. */
  clearDeadSessions(): Promise<number> {
    return clearDeadSessions(this.#ctx)
  }
}
