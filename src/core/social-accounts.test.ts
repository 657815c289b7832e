import { beforeEach, describe, expect, it } from 'vitest'
import { createMemoryCounters } from '../cache/memory-counters.js'
import { createMemoryStore } from '../store/memory/memory-store.js'
import type { Store } from '../store/store.js'
import { createFakeClock } from './clock.js'
import { TesseraError } from './errors.js'
import type { TesseraEventName, TesseraEvents } from './events.js'
import type { SocialProfile } from './social-accounts.js'
import { Tessera } from './tessera.js'
import { s256Challenge } from './tokens.js'

const PASSWORD = 'Correct-Horse-Battery-9'

let clock: ReturnType<typeof createFakeClock>
let store: Store
let tessera: Tessera

beforeEach(() => {
  clock = createFakeClock()
  store = createMemoryStore()
  tessera = new Tessera({ store, counters: createMemoryCounters(), clock })
})

/** A profile from provider `google` for subject `sub`, with `overrides` applied. */
function profile(overrides: Partial<SocialProfile> = {}): SocialProfile {
  return { provider: 'google', subject: 'sub-1', email: 'Ada@Example.com', emailVerified: true, ...overrides }
}

/** Every payload of `event` from now on. */
function record<K extends TesseraEventName>(event: K): Array<TesseraEvents[K]> {
  const seen: Array<TesseraEvents[K]> = []
  tessera.on(event, (payload) => seen.push(payload))
  return seen
}

/** The error code `promise` rejects with, or 'ok'. */
async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
    return 'ok'
  } catch (error) {
    if (error instanceof TesseraError) return error.code
    throw error
  }
}

/** A user with a password, its e-mail verified or not. */
async function passwordUser(email: string, username: string, emailVerified: boolean) {
  const user = await tessera.createUser({ email, username, password: PASSWORD })
  if (emailVerified) await store.updateUser(user.id, { emailVerified: true })
  return (await store.findUserById(user.id))!
}

describe('signInWithSocial(): the first sign-in', () => {
  it('creates a user with an unusable password, a username from the e-mail, and the provider\'s verification', async () => {
    const created = record('user.created')
    const linked = record('social.linked')
    const sessions = record('session.created')
    const logins = record('login.succeeded')
    const signedIn = await tessera.signInWithSocial(profile(), 'Google sign-in · Firefox', '203.0.113.9')
    expect(signedIn.created).toBe(true)
    expect(signedIn.user).toMatchObject({ email: 'Ada@Example.com', username: 'Ada', emailVerified: true, isStaff: false, isActive: true })
    expect(signedIn.user.passwordHash).toMatch(/^!.{40}$/)
    expect(signedIn.user.lastLogin).toEqual(clock.now())
    expect(signedIn.session.device).toBe('Google sign-in · Firefox')
    // The client's address reaches the events, for the audit log.
    expect(created).toEqual([{ user: expect.objectContaining({ id: signedIn.user.id }), address: '203.0.113.9' }])
    expect(linked).toEqual([{ userId: signedIn.user.id, provider: 'google', identityId: expect.any(Number), via: 'sign_up' }])
    expect(sessions).toEqual([{ userId: signedIn.user.id, sessionId: signedIn.session.id, device: 'Google sign-in · Firefox', address: '203.0.113.9' }])
    expect(logins).toEqual([{ userId: signedIn.user.id, address: '203.0.113.9' }])
    expect((await tessera.validateToken(signedIn.token)).ok).toBe(true)
    // No password can sign in to it: "!" marks a hash nothing matches.
    expect(await codeOf(tessera.verifyLogin({ identifier: 'ada@example.com', password: '' }))).toBe('invalid_credentials')
    expect(await codeOf(tessera.verifyLogin({ identifier: 'ada@example.com', password: signedIn.user.passwordHash }))).toBe('invalid_credentials')
  })

  it('keeps an unverified e-mail unverified, and finds a free username when the local part is taken', async () => {
    await passwordUser('someone@else.org', 'ada', false)
    const { user } = await tessera.signInWithSocial(profile({ emailVerified: false }), 'phone')
    expect(user.emailVerified).toBe(false)
    expect(user.username).toMatch(/^Ada-\d+$/)
  })

  it('refuses without an e-mail, and creates nothing', async () => {
    expect(await codeOf(tessera.signInWithSocial(profile({ email: null }), 'phone'))).toBe('social_login_failed')
    expect(await store.findSocialIdentity('google', 'sub-1')).toBeNull()
  })

  it('refuses an account id or e-mail with control characters before they reach the store', async () => {
    expect(await codeOf(tessera.signInWithSocial(profile({ subject: 'a\u0000b' }), 'phone'))).toBe('social_login_failed')
    expect(await codeOf(tessera.signInWithSocial(profile({ subject: '' }), 'phone'))).toBe('social_login_failed')
    expect(await codeOf(tessera.signInWithSocial(profile({ email: 'ada@example.com\u0000' }), 'phone'))).toBe('social_login_failed')
    expect(await codeOf(tessera.signInWithSocial(profile({ email: 'not an e-mail' }), 'phone'))).toBe('validation_failed')
  })
})

describe('signInWithSocial(): a known identity', () => {
  it('signs in its user again and records what the provider says now', async () => {
    const first = await tessera.signInWithSocial(profile(), 'laptop')
    clock.advance(3600)
    const again = await tessera.signInWithSocial(profile({ email: 'ada@new.example', emailVerified: false }), 'phone')
    expect(again.created).toBe(false)
    expect(again.user.id).toBe(first.user.id)
    // The account's own e-mail is the user's to change; the identity remembers what the provider said.
    expect(again.user.email).toBe('Ada@Example.com')
    expect(await store.findSocialIdentity('google', 'sub-1')).toMatchObject({
      email: 'ada@new.example',
      emailVerified: false,
      lastUsedAt: clock.now(),
    })
  })

  it('refuses a deactivated user', async () => {
    const { user } = await tessera.signInWithSocial(profile(), 'laptop')
    await tessera.setUserActive(user.id, false)
    expect(await codeOf(tessera.signInWithSocial(profile(), 'laptop'))).toBe('permission_denied')
  })

  it('refuses an unverified user under requireVerifiedEmail, after creating the account', async () => {
    tessera = new Tessera({ store, counters: createMemoryCounters(), clock, settings: { requireVerifiedEmail: true } })
    expect(await codeOf(tessera.signInWithSocial(profile({ emailVerified: false }), 'laptop'))).toBe('permission_denied')
    expect((await tessera.signInWithSocial(profile({ subject: 'sub-2', email: 'bo@example.com' }), 'laptop')).created).toBe(true)
  })
})

describe('signInWithSocial(): an account with the same e-mail', () => {
  it('is joined when the provider and the account have both verified the address, in any case', async () => {
    const ada = await passwordUser('ada@example.com', 'ada', true)
    const linked = record('social.linked')
    const signedIn = await tessera.signInWithSocial(profile({ email: 'ADA@example.COM' }), 'laptop')
    expect(signedIn.created).toBe(false)
    expect(signedIn.user.id).toBe(ada.id)
    expect(linked).toEqual([{ userId: ada.id, provider: 'google', identityId: expect.any(Number), via: 'email_match' }])
    // The password keeps working: the account gained a way in, it lost none.
    expect((await tessera.verifyLogin({ identifier: 'ada', password: PASSWORD })).id).toBe(ada.id)
  })

  it('is refused when the provider does not vouch for the address (the takeover hole), saying what to do', async () => {
    await passwordUser('ada@example.com', 'ada', true)
    const error = await tessera.signInWithSocial(profile({ emailVerified: false }), 'laptop').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TesseraError)
    expect((error as TesseraError).code).toBe('social_account_conflict')
    expect((error as TesseraError).message).toMatch(/already exists.*does not confirm.*verified.*link google/s)
    expect(await store.findSocialIdentity('google', 'sub-1')).toBeNull()
  })

  it('is refused when the account never verified its address (pre-hijacking), though the provider did', async () => {
    const squatter = await passwordUser('ada@example.com', 'ada', false)
    const error = await tessera.signInWithSocial(profile(), 'laptop').catch((e: unknown) => e)
    expect((error as TesseraError).code).toBe('social_account_conflict')
    expect((error as TesseraError).message).toMatch(/has not been verified/)
    expect(await store.listSocialIdentities(squatter.id)).toEqual([])
  })

  it('is refused when the account is inactive', async () => {
    const ada = await passwordUser('ada@example.com', 'ada', true)
    await tessera.setUserActive(ada.id, false)
    expect(await codeOf(tessera.signInWithSocial(profile(), 'laptop'))).toBe('permission_denied')
  })
})

describe('linkSocialIdentity() and unlinkSocialIdentity()', () => {
  it("links a provider's account to a signed-in user whatever its e-mail, once; someone else's is refused", async () => {
    const ada = await passwordUser('ada@example.com', 'ada', false)
    const bo = await passwordUser('bo@example.com', 'bo', false)
    const identity = await tessera.linkSocialIdentity(ada.id, profile({ email: 'other@example.net', emailVerified: false }))
    expect(identity).toMatchObject({ userId: ada.id, provider: 'google', subject: 'sub-1' })
    expect((await tessera.linkSocialIdentity(ada.id, profile())).id).toBe(identity.id)
    expect(await codeOf(tessera.linkSocialIdentity(bo.id, profile()))).toBe('social_account_conflict')
    expect((await tessera.signInWithSocial(profile(), 'laptop')).user.id).toBe(ada.id)
  })

  it('lets a user with a password unlink their only identity', async () => {
    const ada = await passwordUser('ada@example.com', 'ada', false)
    const unlinked = record('social.unlinked')
    const identity = await tessera.linkSocialIdentity(ada.id, profile())
    await tessera.unlinkSocialIdentity(ada.id, identity.id)
    expect(await tessera.listSocialIdentities(ada.id)).toEqual([])
    expect(unlinked).toEqual([{ userId: ada.id, provider: 'google', identityId: identity.id }])
  })

  it('refuses to unlink the last way into a passwordless account, and someone else\'s identity', async () => {
    const { user } = await tessera.signInWithSocial(profile(), 'laptop')
    const github = await tessera.linkSocialIdentity(user.id, profile({ provider: 'github', subject: '42' }))
    const [google] = await tessera.listSocialIdentities(user.id)
    const other = await passwordUser('bo@example.com', 'bo', false)
    expect(await codeOf(tessera.unlinkSocialIdentity(other.id, google!.id))).toBe('not_found')
    await tessera.unlinkSocialIdentity(user.id, google!.id)
    const error = await tessera.unlinkSocialIdentity(user.id, github.id).catch((e: unknown) => e)
    expect((error as TesseraError).code).toBe('last_sign_in_method')
    expect((error as TesseraError).message).toMatch(/only way to sign in/)
    expect(await tessera.listSocialIdentities(user.id)).toEqual([github])
    expect(await codeOf(tessera.unlinkSocialIdentity(user.id, 999))).toBe('not_found')
  })
})

describe('sign-in and link codes', () => {
  it('a sign-in code becomes one session on the device named at the callback, once', async () => {
    const sessions = record('session.created')
    const { code, user, created } = await tessera.issueSocialSignInCode(profile(), 'Google sign-in · Firefox')
    expect(code).toMatch(/^tsrx_[A-Za-z0-9_-]{43}$/)
    expect(created).toBe(true)
    expect(sessions).toEqual([])
    const signedIn = await tessera.exchangeSocialSignInCode(code, undefined, '198.51.100.4')
    expect(signedIn.user.id).toBe(user.id)
    expect(signedIn.session.device).toBe('Google sign-in · Firefox')
    expect(sessions).toEqual([{ userId: user.id, sessionId: signedIn.session.id, device: 'Google sign-in · Firefox', address: '198.51.100.4' }])
    expect(await codeOf(tessera.exchangeSocialSignInCode(code))).toBe('social_login_failed')
    for (const bad of ['', 'tsrx_', 'tsr_' + 'a'.repeat(43), code.slice(0, -1) + (code.endsWith('A') ? 'B' : 'A')]) {
      expect(await codeOf(tessera.exchangeSocialSignInCode(bad))).toBe('social_login_failed')
    }
  })

  it('a sign-in code dies after a minute', async () => {
    const { code } = await tessera.issueSocialSignInCode(profile(), 'laptop')
    clock.advance(60)
    expect(await codeOf(tessera.exchangeSocialSignInCode(code))).toBe('social_login_failed')
  })

  it('a code with a challenge needs its verifier, and a wrong one spends the code', async () => {
    const verifier = 'a-verifier-the-app-keeps-to-itself-0123456789'
    const first = await tessera.issueSocialSignInCode(profile(), 'laptop', { challenge: s256Challenge(verifier) })
    expect(await codeOf(tessera.exchangeSocialSignInCode(first.code))).toBe('social_login_failed')
    const second = await tessera.issueSocialSignInCode(profile(), 'laptop', { challenge: s256Challenge(verifier) })
    expect(await codeOf(tessera.exchangeSocialSignInCode(second.code, verifier + 'x'))).toBe('social_login_failed')
    expect(await codeOf(tessera.exchangeSocialSignInCode(second.code, verifier))).toBe('social_login_failed')
    const third = await tessera.issueSocialSignInCode(profile(), 'laptop', { challenge: s256Challenge(verifier) })
    expect((await tessera.exchangeSocialSignInCode(third.code, verifier)).user.id).toBe(first.user.id)
  })

  it('a sign-in code of a user deactivated meanwhile starts nothing', async () => {
    const { code, user } = await tessera.issueSocialSignInCode(profile(), 'laptop')
    await tessera.setUserActive(user.id, false)
    expect(await codeOf(tessera.exchangeSocialSignInCode(code))).toBe('permission_denied')
  })

  it('a link code names its user once, and only for its provider', async () => {
    const ada = await passwordUser('ada@example.com', 'ada', false)
    const code = await tessera.issueSocialLinkCode(ada.id, 'google')
    expect(await tessera.exchangeSocialSignInCode(code).catch((e: TesseraError) => e.code)).toBe('social_login_failed')
    const other = await tessera.issueSocialLinkCode(ada.id, 'google')
    expect(await tessera.redeemSocialLinkCode(other, 'github')).toBeNull()
    expect(await tessera.redeemSocialLinkCode(other, 'google')).toBeNull()
    const fresh = await tessera.issueSocialLinkCode(ada.id, 'google')
    expect(await tessera.redeemSocialLinkCode(fresh, 'google')).toBe(ada.id)
    expect(await tessera.redeemSocialLinkCode(fresh, 'google')).toBeNull()
  })
})
