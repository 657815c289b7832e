import type { SessionRecord } from '../store/store.js'
import type { CoreContext } from './context.js'
import { TesseraError, ValidationError } from './errors.js'
import { createSession, deviceName, listSessions, revokeSession, revokeUserSessions, type IssuedToken } from './sessions.js'
import { announceAdminAction, staffTarget, type StaffActor } from './staff.js'
import { isSessionId } from './tokens.js'

/*
 * Staff acting on another user's sessions (devices) and tokens, under the rules of staff.ts:
 * anyone on the staff may see them; ending or minting a superuser's takes a superuser.
 */

const INACTIVE = 'This account is inactive; activate it first.'

/** The user's live sessions, newest first; throws `permission_denied` or `not_found`. */
export async function listSessionsAsStaff(ctx: CoreContext, actor: StaffActor, userId: number): Promise<SessionRecord[]> {
  const user = await staffTarget(ctx, actor, userId, 'read')
  return listSessions(ctx, user.id)
}

/**
 * Revokes one live session of the user and announces `session_revoked`; throws `not_found` unless
 * `sessionId` names a live session of that user (so staff cannot end sessions through the wrong
 * account's rules), or `permission_denied`.
 */
export async function revokeSessionAsStaff(ctx: CoreContext, actor: StaffActor, userId: number, sessionId: string): Promise<void> {
  const user = await staffTarget(ctx, actor, userId, 'revoke')
  const session = isSessionId(sessionId) ? await ctx.store.findSessionById(sessionId) : null
  if (
    session === null ||
    session.userId !== user.id ||
    session.revokedAt !== null ||
    session.expiresAt <= ctx.clock.now() ||
    !(await revokeSession(ctx, session, 'admin'))
  ) {
    throw new TesseraError('not_found', 'No such session.')
  }
  announceAdminAction(ctx, actor, 'session_revoked', user.id, { sessionId: session.id, device: session.device })
}

/** Revokes every session of the user, announces `sessions_revoked`, and returns how many; throws `permission_denied` or `not_found`. */
export async function revokeUserSessionsAsStaff(ctx: CoreContext, actor: StaffActor, userId: number): Promise<number> {
  const user = await staffTarget(ctx, actor, userId, 'revoke')
  const count = await revokeUserSessions(ctx, user.id, 'admin')
  announceAdminAction(ctx, actor, 'sessions_revoked', user.id, { count })
  return count
}

/**
 * Starts a session for the user on `device` (a support laptop, a script) and returns its token,
 * shown once; announces `token_created` with the device, never the token. Throws
 * `permission_denied`, `not_found`, or `ValidationError` when the account is inactive.
 */
export async function createTokenAsStaff(ctx: CoreContext, actor: StaffActor, userId: number, device: string): Promise<IssuedToken> {
  const user = await staffTarget(ctx, actor, userId, 'mint')
  if (!user.isActive) throw new ValidationError({ user: [INACTIVE] })
  const issued = await createSession(ctx, user, deviceName(device, undefined), actor.address)
  announceAdminAction(ctx, actor, 'token_created', user.id, { sessionId: issued.session.id, device: issued.session.device })
  return issued
}
