import type { NewAuditEvent } from '../store/store.js'
import type { CoreContext } from './context.js'
import { addFieldError, ValidationError, type FieldErrors } from './errors.js'
import type { TesseraEventBus, TesseraEventName, TesseraEvents } from './events.js'

/**
 * The audit log: which core events become rows, and how a page of them is read. Rows are written
 * by `AuditWriter` (audit-writer.ts), in batches, after the requests that caused them.
 */

/** The events the audit log records, in the order a kind filter offers them. */
export const AUDIT_KINDS = Object.freeze([
  'login.succeeded',
  'login.failed',
  'session.created',
  'session.revoked',
  'token.rotated',
  'user.created',
  'user.updated',
  'password.changed',
  'password.reset_requested',
  'password.reset',
  'email.verified',
  'admin.action',
  'social.linked',
  'social.unlinked',
] as const satisfies readonly TesseraEventName[])

/** An event the audit log records. */
export type AuditKind = (typeof AUDIT_KINDS)[number]

/** Filters of an audit listing, newest first; `beforeId` is the previous page's `nextBeforeId`. */
export interface AuditQuery {
  userId?: number
  kind?: AuditKind
  beforeId?: number
  /** 1–200. @default 50 */
  limit?: number
}

/** One recorded event: who it was about, who acted (staff), from where, and its other facts. */
export interface AuditEntry {
  id: number
  at: Date
  kind: AuditKind
  userId: number | null
  actorId: number | null
  address: string | null
  detail: Record<string, unknown>
}

/** One page of events, and the id to continue before, or null on the last page. */
export interface AuditPage {
  events: AuditEntry[]
  nextBeforeId: number | null
}

export const AUDIT_PAGE_DEFAULT = 50
export const AUDIT_PAGE_MAX = 200

/** Addresses come from the HTTP layer or an embedder; anything longer than any IP is cut. */
const ADDRESS_MAX = 100

/** What a row says beyond its kind and time. */
type Facts = Pick<NewAuditEvent, 'userId' | 'detail'> & { actorId?: number; address?: string | undefined }

/**
 * Each kind's row. Payloads never carry a secret (events.ts), and these pick fields one by one,
 * so a field added to an event later reaches the log only when it is added here.
 */
const ROWS: { [K in AuditKind]: (payload: TesseraEvents[K]) => Facts } = {
  'login.succeeded': (p) => ({ userId: p.userId, address: p.address, detail: {} }),
  'login.failed': (p) => ({ userId: p.userId ?? null, address: p.address, detail: { identifier: p.identifier, reason: p.reason } }),
  'session.created': (p) => ({ userId: p.userId, address: p.address, detail: { sessionId: p.sessionId, device: p.device } }),
  'session.revoked': (p) => ({ userId: p.userId, detail: { reason: p.reason, count: p.sessionIds.length, sessionIds: p.sessionIds } }),
  'token.rotated': (p) => ({ userId: p.userId, detail: { sessionId: p.sessionId } }),
  'user.created': (p) => ({
    userId: p.user.id,
    address: p.address,
    detail: { email: p.user.email, username: p.user.username, isStaff: p.user.isStaff, isSuperuser: p.user.isSuperuser },
  }),
  'user.updated': (p) => ({ userId: p.user.id, detail: { changed: p.changed } }),
  'password.changed': (p) => ({ userId: p.userId, detail: {} }),
  'password.reset_requested': (p) => ({ userId: p.userId, address: p.address, detail: {} }),
  'password.reset': (p) => ({ userId: p.userId, address: p.address, detail: {} }),
  'email.verified': (p) => ({ userId: p.userId, detail: { email: p.email } }),
  'admin.action': (p) => ({ userId: p.userId, actorId: p.actorId, address: p.address, detail: { action: p.action, ...p.detail } }),
  'social.linked': (p) => ({ userId: p.userId, detail: { provider: p.provider, identityId: p.identityId, via: p.via } }),
  'social.unlinked': (p) => ({ userId: p.userId, detail: { provider: p.provider, identityId: p.identityId } }),
}

/**
 * Subscribes `write` to every kind in `AUDIT_KINDS`: each event becomes a row stamped with the
 * clock's time. Building a row is a few property reads, so subscribers stay cheap on the request
 * path; `write` must not block. Returns a function that unsubscribes.
 */
export function subscribeAuditLog(events: TesseraEventBus, clock: CoreContext['clock'], write: (row: NewAuditEvent) => void): () => void {
  const off = AUDIT_KINDS.map(<K extends AuditKind>(kind: K) =>
    events.on(kind, (payload) => {
      const facts = ROWS[kind](payload)
      write({
        at: clock.now(),
        kind,
        userId: facts.userId,
        actorId: facts.actorId ?? null,
        address: facts.address === undefined ? null : facts.address.slice(0, ADDRESS_MAX),
        detail: facts.detail,
      })
    }),
  )
  return () => {
    for (const unsubscribe of off) unsubscribe()
  }
}

/**
 * One page of the audit log, newest first. Throws `ValidationError` for a limit outside 1–200, an
 * id that is not a whole number ≥ 0, or a kind not in `AUDIT_KINDS`.
 */
export async function listAuditPage(ctx: CoreContext, query: AuditQuery): Promise<AuditPage> {
  const limit = query.limit ?? AUDIT_PAGE_DEFAULT
  const errors: FieldErrors = {}
  if (!Number.isInteger(limit) || limit < 1 || limit > AUDIT_PAGE_MAX) {
    addFieldError(errors, 'limit', `Ensure this value is between 1 and ${AUDIT_PAGE_MAX}.`)
  }
  for (const field of ['userId', 'beforeId'] as const) {
    const value = query[field]
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) addFieldError(errors, field, 'Enter a whole number ≥ 0.')
  }
  if (query.kind !== undefined && !(AUDIT_KINDS as readonly string[]).includes(query.kind)) {
    addFieldError(errors, 'kind', `Select one of: ${AUDIT_KINDS.join(', ')}.`)
  }
  if (Object.keys(errors).length > 0) throw new ValidationError(errors)
  // One row more than asked tells whether another page follows, so the last page says so itself.
  const rows = await ctx.store.listAuditEvents({
    ...(query.userId !== undefined ? { userId: query.userId } : {}),
    ...(query.kind !== undefined ? { kind: query.kind } : {}),
    ...(query.beforeId !== undefined ? { beforeId: query.beforeId } : {}),
    limit: limit + 1,
  })
  // Only the core writes kinds, all of them from AUDIT_KINDS (a later version's may be read too).
  const events = rows.slice(0, limit).map((row) => ({ ...row, kind: row.kind as AuditKind }))
  return { events, nextBeforeId: rows.length > limit ? events[events.length - 1]!.id : null }
}
