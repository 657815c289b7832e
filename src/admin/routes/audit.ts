import type { FastifyInstance } from 'fastify'
import { AUDIT_KINDS, type AuditKind, type AuditQuery } from '../../core/audit.js'
import { formField } from '../../http/pages/layout.js'
import { idParam, userByIdText } from '../lookups.js'
import { sendAdminPage, type AdminPaths } from '../page.js'
import { auditView, type AuditFilters } from '../views/audit.js'

const PAGE_SIZE = 50

const isKind = (kind: string): kind is AuditKind => (AUDIT_KINDS as readonly string[]).includes(kind)

/** The audit log: newest first, by user (an id, e-mail or username) and by kind. */
export async function auditRoutes(app: FastifyInstance, { paths }: { paths: AdminPaths }): Promise<void> {
  const tessera = app.tessera

  app.get('/audit', async (request, reply) => {
    const filters: AuditFilters = {
      user: formField(request.query, 'user').trim().slice(0, 254),
      kind: formField(request.query, 'kind'),
    }
    if (!isKind(filters.kind)) filters.kind = ''
    const before = idParam(formField(request.query, 'before'))
    const query: AuditQuery = { limit: PAGE_SIZE }
    if (filters.kind) query.kind = filters.kind as AuditKind
    if (before !== null) query.beforeId = before
    let error: string | undefined
    if (filters.user) {
      const user = await tessera.findUser(filters.user)
      if (user) query.userId = user.id
      else error = `No user is named “${filters.user}”.`
    }
    const page = error ? { events: [], nextBeforeId: null } : await tessera.listAuditEvents(query)
    // Rows name people by e-mail: a page holds at most 50 events, and few distinct people.
    const ids = new Set(page.events.flatMap((e) => [e.userId, e.actorId]).filter((id): id is number => id !== null))
    const names = new Map<number, string>()
    for (const id of ids) {
      const user = await userByIdText(tessera, String(id))
      if (user) names.set(id, user.email || user.username)
    }
    return sendAdminPage(request, reply, paths, {
      status: error ? 404 : 200,
      title: 'Audit log',
      section: 'audit',
      body: () =>
        auditView({
          root: paths.root,
          filters,
          kinds: AUDIT_KINDS,
          events: page.events,
          names,
          nextBeforeId: page.nextBeforeId,
          before,
          ...(error ? { error } : {}),
        }),
    })
  })
}
