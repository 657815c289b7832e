import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { TesseraError, ValidationError } from '../../core/errors.js'
import { UNUSABLE_PASSWORD_PREFIX } from '../../core/passwords.js'
import type { StaffActor, StaffUserChanges, StaffUserQuery } from '../../core/staff.js'
import { isSessionId } from '../../core/tokens.js'
import { formField } from '../../http/pages/layout.js'
import { requestDevice } from '../../http/request-info.js'
import type { UserRecord } from '../../store/store.js'
import { idParam, userByIdText } from '../lookups.js'
import { redirectWithFlash, sendAdminPage, type AdminPaths } from '../page.js'
import { actorOf } from '../staff-session.js'
import { confirmView } from '../views/confirm.js'
import { errorView } from '../views/error.js'
import { tokenCreatedView } from '../views/token.js'
import { userView, type UserPageInput } from '../views/user.js'
import { usersView, type UserFilters } from '../views/users.js'

const PAGE_SIZE = 50

const flag = (value: string): '' | 'true' | 'false' => (value === 'true' || value === 'false' ? value : '')
const nameOf = (user: UserRecord): string => user.email || user.username
/** Every message of a validation failure, field by field, as one line for a flash. */
const messagesOf = (error: ValidationError): string => Object.values(error.fields).flat().join(' ') || error.message

/** A destructive action: what the confirmation page says, and where its button posts. */
interface Confirmation {
  title: string
  consequence: string
  button: string
  path: string
}

/**
 * The users list and a user's page, with every staff action on it. Each action is one core call
 * (src/core/staff.ts holds the rules); the page only turns forms into calls and outcomes into
 * flash messages.
 */
export async function userRoutes(app: FastifyInstance, { paths }: { paths: AdminPaths }): Promise<void> {
  const tessera = app.tessera
  const userUrl = (id: number) => `${paths.root}/users/${id}`

  const notFound = (request: FastifyRequest, reply: FastifyReply) =>
    sendAdminPage(request, reply, paths, {
      status: 404,
      title: 'Not found',
      section: 'users',
      body: () => errorView('Not found', 'There is no such user or session.', { href: `${paths.root}/users`, label: 'Back to users' }),
    })

  /** The user the URL names, or null after answering 404. */
  const targetOf = async (request: FastifyRequest, reply: FastifyReply): Promise<UserRecord | null> => {
    const id = (request.params as { id: string }).id
    const user = await userByIdText(tessera, id)
    if (!user) await notFound(request, reply)
    return user
  }

  /** Runs one staff action and redirects to the user's page with its outcome as a flash message. */
  const act = async (
    request: FastifyRequest,
    reply: FastifyReply,
    run: (actor: StaffActor, user: UserRecord) => Promise<string>,
  ): Promise<FastifyReply> => {
    const user = await targetOf(request, reply)
    if (!user) return reply
    try {
      const done = await run(actorOf(request), user)
      return redirectWithFlash(reply, paths, userUrl(user.id), { kind: 'success', text: done })
    } catch (error) {
      if (error instanceof ValidationError) return redirectWithFlash(reply, paths, userUrl(user.id), { kind: 'error', text: messagesOf(error) })
      if (error instanceof TesseraError && (error.code === 'permission_denied' || error.code === 'throttled')) {
        return redirectWithFlash(reply, paths, userUrl(user.id), { kind: 'error', text: error.message })
      }
      if (error instanceof TesseraError && error.code === 'not_found') return notFound(request, reply)
      throw error
    }
  }

  const showUser = async (
    request: FastifyRequest,
    reply: FastifyReply,
    user: UserRecord,
    profile?: UserPageInput['profile'],
  ): Promise<FastifyReply> => {
    const principal = request.adminPrincipal!
    const sessions = await tessera.listSessionsAsStaff(actorOf(request), user.id)
    return sendAdminPage(request, reply, paths, {
      status: profile ? 400 : 200,
      title: nameOf(user),
      section: 'users',
      body: (csrf) =>
        userView({
          root: paths.root,
          csrf,
          actor: principal.user,
          user,
          hasUsablePassword: !user.passwordHash.startsWith(UNUSABLE_PASSWORD_PREFIX),
          sessions,
          currentSessionId: principal.sessionId,
          ...(profile ? { profile } : {}),
        }),
    })
  }

  app.get('/users', async (request, reply) => {
    const filters: UserFilters = {
      q: formField(request.query, 'q').slice(0, 254),
      active: flag(formField(request.query, 'active')),
      staff: flag(formField(request.query, 'staff')),
    }
    const after = idParam(formField(request.query, 'after'))
    const query: StaffUserQuery = { limit: PAGE_SIZE }
    if (filters.q.trim()) query.q = filters.q.trim()
    if (filters.active) query.isActive = filters.active === 'true'
    if (filters.staff) query.isStaff = filters.staff === 'true'
    if (after !== null) query.afterId = after
    const page = await tessera.listUsers(query)
    return sendAdminPage(request, reply, paths, {
      title: 'Users',
      section: 'users',
      body: () => usersView({ root: paths.root, filters, users: page.users, nextAfterId: page.nextAfterId, after }),
    })
  })

  app.get('/users/:id', async (request, reply) => {
    const user = await targetOf(request, reply)
    return user ? showUser(request, reply, user) : reply
  })

  app.post('/users/:id/profile', async (request, reply) => {
    const user = await targetOf(request, reply)
    if (!user) return reply
    const email = formField(request.body, 'email').trim()
    const username = formField(request.body, 'username').trim()
    // Only what changed is sent: an unchanged field is no change, whoever may or may not change it.
    const changes: StaffUserChanges = {}
    if (email !== user.email) changes.email = email
    if (username !== user.username) changes.username = username
    if (Object.keys(changes).length === 0) {
      return redirectWithFlash(reply, paths, userUrl(user.id), { kind: 'info', text: 'Nothing changed.' })
    }
    try {
      const updated = await tessera.updateUserAsStaff(actorOf(request), user.id, changes)
      return redirectWithFlash(reply, paths, userUrl(user.id), { kind: 'success', text: `Saved the profile of ${nameOf(updated)}.` })
    } catch (error) {
      // The form comes back with what was typed and each field's message, so nothing is lost.
      if (error instanceof ValidationError) return showUser(request, reply, user, { email, username, errors: error.fields })
      if (error instanceof TesseraError && error.code === 'permission_denied') {
        return showUser(request, reply, user, { email, username, errors: { email: [error.message] } })
      }
      throw error
    }
  })

  app.post('/users/:id/activate', (request, reply) =>
    act(request, reply, async (actor, user) => {
      await tessera.updateUserAsStaff(actor, user.id, { isActive: true })
      return `Activated ${nameOf(user)}.`
    }),
  )

  app.post('/users/:id/deactivate', (request, reply) =>
    act(request, reply, async (actor, user) => {
      await tessera.updateUserAsStaff(actor, user.id, { isActive: false })
      return `Deactivated ${nameOf(user)}; every session was revoked.`
    }),
  )

  app.post('/users/:id/privileges', (request, reply) =>
    act(request, reply, async (actor, user) => {
      const changes: StaffUserChanges = { isStaff: formField(request.body, 'isStaff') === 'on' }
      // The superuser box is on the form only for superusers; without it, the flag is not part of the change.
      if (actor.user.isSuperuser) changes.isSuperuser = formField(request.body, 'isSuperuser') === 'on'
      const updated = await tessera.updateUserAsStaff(actor, user.id, changes)
      const role = updated.isSuperuser ? 'superuser' : updated.isStaff ? 'staff' : 'an ordinary user'
      return `${nameOf(updated)} is now ${role}.`
    }),
  )

  app.post('/users/:id/password-reset', (request, reply) =>
    act(request, reply, async (actor, user) => {
      await tessera.sendPasswordResetAsStaff(actor, user.id)
      return `Sent a password-reset mail to ${user.email}.`
    }),
  )

  app.post('/users/:id/unusable-password', (request, reply) =>
    act(request, reply, async (actor, user) => {
      await tessera.setUnusablePasswordAsStaff(actor, user.id)
      return `${nameOf(user)} can no longer log in with a password; every session was revoked.`
    }),
  )

  app.post('/users/:id/sessions/revoke-all', (request, reply) =>
    act(request, reply, async (actor, user) => {
      const count = await tessera.revokeUserSessionsAsStaff(actor, user.id)
      return `Revoked ${count} session${count === 1 ? '' : 's'} of ${nameOf(user)}.`
    }),
  )

  app.post('/users/:id/sessions/:session/revoke', (request, reply) =>
    act(request, reply, async (actor, user) => {
      await tessera.revokeSessionAsStaff(actor, user.id, (request.params as { session: string }).session)
      return `Revoked the session.`
    }),
  )

  app.post('/users/:id/tokens', async (request, reply) => {
    const user = await targetOf(request, reply)
    if (!user) return reply
    const device = formField(request.body, 'device').trim()
    if (!device) return redirectWithFlash(reply, paths, userUrl(user.id), { kind: 'error', text: 'Name the device the token is for.' })
    try {
      const { token, session } = await tessera.createTokenAsStaff(actorOf(request), user.id, requestDevice(request, device))
      return sendAdminPage(request, reply, paths, {
        status: 201,
        title: 'Token created',
        section: 'users',
        body: () => tokenCreatedView({ root: paths.root, user, token, session }),
      })
    } catch (error) {
      if (error instanceof ValidationError) return redirectWithFlash(reply, paths, userUrl(user.id), { kind: 'error', text: messagesOf(error) })
      if (error instanceof TesseraError && error.code === 'permission_denied') {
        return redirectWithFlash(reply, paths, userUrl(user.id), { kind: 'error', text: error.message })
      }
      throw error
    }
  })

  // Destructive actions are links to this page; only its button posts the action.
  app.get('/users/:id/confirm', async (request, reply) => {
    const user = await targetOf(request, reply)
    if (!user) return reply
    const at = userUrl(user.id)
    const name = nameOf(user)
    let confirmation: Confirmation | null = null
    switch (formField(request.query, 'action')) {
      case 'deactivate':
        confirmation = {
          title: `Deactivate ${name}?`,
          consequence: 'They are signed out everywhere at once: every session and token is revoked, and they cannot sign in until an admin activates them again.',
          button: 'Deactivate',
          path: `${at}/deactivate`,
        }
        break
      case 'revoke-all':
        confirmation = {
          title: `Revoke every session of ${name}?`,
          consequence: 'Every device signed in as this user is signed out, and its token stops working at once.',
          button: 'Revoke all sessions',
          path: `${at}/sessions/revoke-all`,
        }
        break
      case 'unusable-password':
        confirmation = {
          title: `Set an unusable password for ${name}?`,
          consequence: 'They can no longer log in with a password until they set a new one through a reset link; every session is revoked.',
          button: 'Set unusable password',
          path: `${at}/unusable-password`,
        }
        break
      case 'revoke-session': {
        const id = formField(request.query, 'session')
        const session = isSessionId(id) ? (await tessera.listSessionsAsStaff(actorOf(request), user.id)).find((s) => s.id === id) : undefined
        if (!session) return notFound(request, reply)
        confirmation = {
          title: `Revoke this session of ${name}?`,
          consequence: `The device “${session.device}” is signed out, and its token stops working at once.`,
          button: 'Revoke session',
          path: `${at}/sessions/${session.id}/revoke`,
        }
        break
      }
    }
    if (!confirmation) return notFound(request, reply)
    const { title, consequence, button, path } = confirmation
    return sendAdminPage(request, reply, paths, {
      title,
      section: 'users',
      body: (csrf) => confirmView({ csrf, title, consequence, action: path, button, cancel: at }),
    })
  })
}
