import type { NewUser, OneTimeTokenRecord, RefreshTokenRecord, SessionCredential, SessionRecord, UserRecord } from './store.js'

/*
 * The records the store contract writes: valid, unique within a run, and easy to override. Times
 * carry milliseconds, so a store that drops them fails the round trips.
 */

/** The contract's "now"; every other time is `at(seconds)` after it. */
export const T0 = new Date('2026-01-01T00:00:00.123Z')
export const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000)
export const DAY = 86_400

let serial = 0

/** A valid new user, unique within the run, with `overrides` applied. */
export function newUser(overrides: Partial<NewUser> = {}): NewUser {
  const n = ++serial
  return {
    email: `User${n}@Example.com`,
    emailKey: `user${n}@example.com`,
    username: `User${n}`,
    usernameKey: `user${n}`,
    passwordHash: `$argon2id$v=19$m=19456,t=2,p=1$salt${n}$hash`,
    isActive: true,
    isStaff: false,
    isSuperuser: false,
    emailVerified: false,
    bio: null,
    image: null,
    dateJoined: T0,
    lastLogin: null,
    passwordChangedAt: T0,
    ...overrides,
  }
}

/** A live session of `userId`, unique within the run, with `overrides` applied. */
export function newSession(userId: number, overrides: Partial<SessionRecord> = {}): SessionRecord {
  const n = ++serial
  return {
    id: `sess${String(n).padStart(8, '0')}`,
    userId,
    secretHash: n.toString(16).padStart(64, '0'),
    device: 'laptop',
    createdAt: T0,
    lastUsedAt: T0,
    expiresAt: at(30 * DAY),
    revokedAt: null,
    ...overrides,
  }
}

/** What the hot-path reads must answer for `session` of `user`. */
export function credentialOf(session: SessionRecord, user: UserRecord): SessionCredential {
  return {
    sessionId: session.id,
    secretHash: session.secretHash,
    createdAt: session.createdAt.getTime(),
    importedAt: session.importedAt?.getTime() ?? null,
    lastUsedAt: session.lastUsedAt.getTime(),
    expiresAt: session.expiresAt.getTime(),
    revokedAt: session.revokedAt?.getTime() ?? null,
    user: { id: user.id, email: user.email, username: user.username, isActive: user.isActive, isStaff: user.isStaff, isSuperuser: user.isSuperuser },
  }
}

/** An unused refresh token of `sessionId`, unique within the run, with `overrides` applied. */
export function newRefreshToken(sessionId: string, overrides: Partial<RefreshTokenRecord> = {}): RefreshTokenRecord {
  const n = ++serial
  return {
    id: `rt${String(n).padStart(8, '0')}`,
    sessionId,
    tokenHash: n.toString(16).padStart(64, '0'),
    createdAt: T0,
    expiresAt: at(30 * DAY),
    usedAt: null,
    ...overrides,
  }
}

/** An unused password-reset token of `userId`, unique within the run, with `overrides` applied. */
export function newOneTimeToken(userId: number, overrides: Partial<OneTimeTokenRecord> = {}): OneTimeTokenRecord {
  const n = ++serial
  return {
    tokenHash: n.toString(16).padStart(64, '0'),
    userId,
    purpose: 'password_reset',
    email: `user${n}@example.com`,
    createdAt: T0,
    expiresAt: at(3600),
    usedAt: null,
    ...overrides,
  }
}
