import type { SessionRecord, SocialIdentityRecord, UserRecord } from '../store/store.js'

/** A user as every face may show it: no hash, times as ISO strings. */
export interface PublicUser {
  id: number
  email: string
  username: string
  isActive: boolean
  isStaff: boolean
  isSuperuser: boolean
  emailVerified: boolean
  dateJoined: string
  lastLogin: string | null
}

/** A session (device) as its owner may see it; never its secret. */
export interface PublicSession {
  id: string
  device: string
  createdAt: string
  lastUsedAt: string
  expiresAt: string
  current: boolean
}

/** The public view of a user; `passwordHash` cannot reach JSON through it. */
export function toPublicUser(user: UserRecord): PublicUser {
  return {
    id: user.id,
    email: user.email,
    username: user.username,
    isActive: user.isActive,
    isStaff: user.isStaff,
    isSuperuser: user.isSuperuser,
    emailVerified: user.emailVerified,
    dateJoined: user.dateJoined.toISOString(),
    lastLogin: user.lastLogin?.toISOString() ?? null,
  }
}

/** The public view of a session; `current` marks the one the caller is using. */
export function toPublicSession(session: SessionRecord, currentSessionId?: string): PublicSession {
  return {
    id: session.id,
    device: session.device,
    createdAt: session.createdAt.toISOString(),
    lastUsedAt: session.lastUsedAt.toISOString(),
    expiresAt: session.expiresAt.toISOString(),
    current: session.id === currentSessionId,
  }
}

/** A linked social identity as its owner may see it. */
export interface PublicSocialIdentity {
  id: number
  provider: string
  email: string | null
  emailVerified: boolean
  createdAt: string
  lastUsedAt: string
}

/** The public view of a social identity: which provider and address, not the provider's account id. */
export function toPublicSocialIdentity(identity: SocialIdentityRecord): PublicSocialIdentity {
  return {
    id: identity.id,
    provider: identity.provider,
    email: identity.email,
    emailVerified: identity.emailVerified,
    createdAt: identity.createdAt.toISOString(),
    lastUsedAt: identity.lastUsedAt.toISOString(),
  }
}
