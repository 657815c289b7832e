import type { Store } from './store.js'

/** The part of `Store` over the audit log, which each engine builds in a file of its own. */
export type AuditStore = Pick<Store, 'appendAuditEvents' | 'listAuditEvents' | 'deleteAuditEventsBefore'>
