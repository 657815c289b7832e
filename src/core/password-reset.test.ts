import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryCounters } from '../cache/memory-counters.js'
import { createMemoryStore } from '../store/memory/memory-store.js'
import type { UserRecord } from '../store/store.js'
import { createFakeClock } from './clock.js'
import { TesseraError, ThrottledError, ValidationError } from './errors.js'
import type { TesseraEvents } from './events.js'
import { createMemoryMailer, type MailMessage } from './mailer.js'
import { makeUnusablePassword } from './passwords.js'
import { Tessera, type TesseraOptions } from './tessera.js'

const PASSWORD = 'Correct-Horse-Battery-9'
const NEW_PASSWORD = 'Another-Staple-Tower-77'
const TOKEN_IN_LINK = /[?&]token=(tsro_[A-Za-z0-9_-]{43})(?:&|$)/

let clock: ReturnType<typeof createFakeClock>
let mailer: ReturnType<typeof createMemoryMailer>
let tessera: Tessera
let ann: UserRecord
let bob: UserRecord

function build(overrides: Partial<TesseraOptions> = {}): Tessera {
  return new Tessera({ store: createMemoryStore(), counters: createMemoryCounters(), clock, mailer, ...overrides })
}

beforeEach(async () => {
  clock = createFakeClock()
  mailer = createMemoryMailer()
  tessera = build()
  ann = await tessera.createUser({ email: 'Ann@Example.com', username: 'ann', password: PASSWORD })
  bob = await tessera.createUser({ email: 'bob@example.com', username: 'bob', password: PASSWORD })
  // Reset links issued in the same millisecond as a password is set are dead by design.
  clock.advance(1)
})

/** Resolves once `count` mails have been sent in all (mails go out after the request is answered). */
async function mailsSent(count: number): Promise<MailMessage[]> {
  await vi.waitFor(() => expect(mailer.sent.length).toBeGreaterThanOrEqual(count))
  return mailer.sent
}

/** Lets every background task that is due run, so that a mail not sent by now never will be. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20))

/** The token of the last mail's link. */
function lastToken(): string {
  const mail = mailer.sent.at(-1)
  if (!mail) throw new Error('no mail was sent')
  const match = TOKEN_IN_LINK.exec(mail.text.split('\n').find((line) => line.includes('token=')) ?? '')
  if (!match) throw new Error(`no token in ${mail.text}`)
  return match[1]!
}

/** Resolves to the error code `promise` rejects with, or 'ok'. */
async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
    return 'ok'
  } catch (error) {
    if (error instanceof TesseraError) return error.code
    throw error
  }
}

async function resetToken(email = 'ann@example.com'): Promise<string> {
  const before = mailer.sent.length
  await tessera.requestPasswordReset(email)
  await mailsSent(before + 1)
  return lastToken()
}

describe('requestPasswordReset()', () => {
  it('mails the account\'s address a link to Tessera\'s own page, with a tsro_ token, in text and HTML', async () => {
    const requested: Array<TesseraEvents['password.reset_requested']> = []
    tessera.on('password.reset_requested', (payload) => requested.push(payload))
    await tessera.requestPasswordReset('  ANN@example.COM ')

    await mailsSent(1)
    await settle()
    expect(mailer.sent).toHaveLength(1)
    const mail = mailer.sent[0]!
    expect(mail.to).toBe('Ann@Example.com')
    expect(mail.subject).toMatch(/reset your password/i)
    const token = lastToken()
    const link = `http://127.0.0.1:8000/auth/password/reset/confirm?token=${token}`
    expect(mail.text).toContain(link)
    expect(mail.html).toContain(`href="${link}"`)
    expect(mail.text).toContain('1 hour')
    expect(requested).toEqual([{ userId: ann.id }])
  })

  it('stores only the token\'s hash', async () => {
    const token = await resetToken()
    const { hashSecret } = await import('./tokens.js')
    const record = await tessera.store.findOneTimeToken(hashSecret(token))
    expect(record).toMatchObject({ userId: ann.id, purpose: 'password_reset', email: 'Ann@Example.com', usedAt: null })
    expect(JSON.stringify(record)).not.toContain(token)
  })

  it('resolves the same, and sends nothing, for an unknown e-mail, an inactive user, or an unusable password', async () => {
    const carl = await tessera.createUser({ email: 'carl@example.com', username: 'carl', password: PASSWORD })
    await tessera.setUserActive(carl.id, false)
    const dora = await tessera.createUser({ email: 'dora@example.com', username: 'dora', password: PASSWORD })
    await tessera.store.updateUser(dora.id, { passwordHash: makeUnusablePassword() })

    for (const email of ['nobody@example.com', 'carl@example.com', 'dora@example.com']) {
      await expect(tessera.requestPasswordReset(email), email).resolves.toBeUndefined()
    }
    await settle()
    expect(mailer.sent).toEqual([])
  })

  it('does not wait for the mail to be delivered', async () => {
    const stuck = { send: () => new Promise<void>(() => {}) }
    tessera = build({ mailer: stuck })
    await tessera.createUser({ email: 'eve@example.com', username: 'eve', password: PASSWORD })
    clock.advance(1)
    const send = vi.spyOn(stuck, 'send')
    await expect(tessera.requestPasswordReset('eve@example.com')).resolves.toBeUndefined()
    await vi.waitFor(() => expect(send).toHaveBeenCalledOnce())
  })

  it('answers before it stores a token or composes a mail, known address or not', async () => {
    const store = createMemoryStore()
    tessera = build({ store })
    await tessera.createUser({ email: 'eve@example.com', username: 'eve', password: PASSWORD })
    clock.advance(1)
    const insert = vi.spyOn(store, 'insertOneTimeToken')
    await tessera.requestPasswordReset('eve@example.com')
    expect(insert).not.toHaveBeenCalled()
    expect(mailer.sent).toEqual([])
    await mailsSent(1)
    expect(insert).toHaveBeenCalledOnce()
  })

  it('reports a failed delivery instead of failing the request', async () => {
    const reportError = vi.fn()
    tessera = build({ mailer: { send: async () => Promise.reject(new Error('connection refused')) }, reportError })
    await tessera.createUser({ email: 'eve@example.com', username: 'eve', password: PASSWORD })
    clock.advance(1)
    await expect(tessera.requestPasswordReset('eve@example.com')).resolves.toBeUndefined()
    await vi.waitFor(() => expect(reportError).toHaveBeenCalledWith(expect.any(Error), 'mail: password reset'))
  })

  it('refuses a malformed e-mail with errors.email', async () => {
    const error = await tessera.requestPasswordReset('not an address').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ValidationError)
    expect((error as ValidationError).fields.email).toBeDefined()
  })

  it('throttles the sixth request per e-mail within an hour, known or unknown alike', async () => {
    for (const email of ['ann@example.com', 'ghost@example.com']) {
      for (let i = 0; i < 5; i++) await tessera.requestPasswordReset(email)
      const error = await tessera.requestPasswordReset(email.toUpperCase()).catch((e: unknown) => e)
      expect(error, email).toBeInstanceOf(ThrottledError)
    }
    await mailsSent(5)
    await settle()
    expect(mailer.sent).toHaveLength(5)
    clock.advance(3600)
    await tessera.requestPasswordReset('ann@example.com')
    await mailsSent(6)
  })

  it('throttles per client address with the address limit', async () => {
    tessera = build({ settings: { addressThrottle: { limit: 2, windowSeconds: 60 } } })
    await tessera.requestPasswordReset('a@example.com', '203.0.113.5')
    await tessera.requestPasswordReset('b@example.com', '203.0.113.5')
    await expect(tessera.requestPasswordReset('c@example.com', '203.0.113.5')).rejects.toBeInstanceOf(ThrottledError)
    await expect(tessera.requestPasswordReset('c@example.com', '198.51.100.7')).resolves.toBeUndefined()
  })

  it('links to RESET_URL when one is set, filling in {token}', async () => {
    tessera = build({ settings: { resetUrl: 'https://app.example.com/reset?token={token}' } })
    await tessera.createUser({ email: 'eve@example.com', username: 'eve', password: PASSWORD })
    clock.advance(1)
    await tessera.requestPasswordReset('eve@example.com')
    expect((await mailsSent(1)).at(-1)!.text).toMatch(/^https:\/\/app\.example\.com\/reset\?token=tsro_[A-Za-z0-9_-]{43}$/m)
  })
})

describe('confirmPasswordReset()', () => {
  it('sets the password, revokes every session, and marks the e-mail verified', async () => {
    const first = await tessera.createSession(ann, 'phone')
    const second = await tessera.createSession(ann, 'laptop')
    const bobs = await tessera.createSession(bob, 'phone')
    const changed: Array<TesseraEvents['password.changed']> = []
    tessera.on('password.changed', (payload) => changed.push(payload))
    const token = await resetToken()
    clock.advance(60)

    const user = await tessera.confirmPasswordReset(token, NEW_PASSWORD)
    expect(user.id).toBe(ann.id)
    expect(user.emailVerified).toBe(true)
    expect(user.passwordChangedAt).toEqual(clock.now())
    expect(changed).toEqual([{ userId: ann.id }])
    expect((await tessera.validateToken(first.token)).ok).toBe(false)
    expect((await tessera.validateToken(second.token)).ok).toBe(false)
    expect((await tessera.validateToken(bobs.token)).ok).toBe(true)
    expect(await outcome(tessera.verifyLogin({ identifier: 'ann', password: PASSWORD }))).toBe('invalid_credentials')
    expect(await outcome(tessera.verifyLogin({ identifier: 'ann', password: NEW_PASSWORD }))).toBe('ok')
  })

  it('refuses a token used once already', async () => {
    const token = await resetToken()
    await tessera.confirmPasswordReset(token, NEW_PASSWORD)
    expect(await outcome(tessera.confirmPasswordReset(token, 'Yet-Another-Phrase-31'))).toBe('invalid_one_time_token')
  })

  it('lets exactly one of two concurrent uses of a token win', async () => {
    const token = await resetToken()
    const results = await Promise.all([
      outcome(tessera.confirmPasswordReset(token, NEW_PASSWORD)),
      outcome(tessera.confirmPasswordReset(token, 'Yet-Another-Phrase-31')),
    ])
    expect(results.sort()).toEqual(['invalid_one_time_token', 'ok'])
  })

  it('accepts a token until RESET_TTL has passed, and refuses it from then on', async () => {
    tessera = build({ settings: { resetTtlSeconds: 600 } })
    await tessera.createUser({ email: 'eve@example.com', username: 'eve', password: PASSWORD })
    clock.advance(1)
    const token = await resetToken('eve@example.com')
    clock.advance(599)
    expect(await tessera.checkOneTimeToken(token, 'password_reset')).toBe(true)
    clock.advance(1)
    expect(await outcome(tessera.confirmPasswordReset(token, NEW_PASSWORD))).toBe('invalid_one_time_token')
  })

  it('acts only for the user it was issued to', async () => {
    const annToken = await resetToken('ann@example.com')
    const user = await tessera.confirmPasswordReset(annToken, NEW_PASSWORD)
    expect(user.id).toBe(ann.id)
    expect(await outcome(tessera.verifyLogin({ identifier: 'bob', password: PASSWORD }))).toBe('ok')
    expect(await outcome(tessera.verifyLogin({ identifier: 'bob', password: NEW_PASSWORD }))).toBe('invalid_credentials')
  })

  it('refuses a token issued before the password changed by any path', async () => {
    const viaChange = await resetToken()
    clock.advance(1)
    await tessera.changePassword(ann.id, PASSWORD, NEW_PASSWORD)
    expect(await outcome(tessera.confirmPasswordReset(viaChange, 'Yet-Another-Phrase-31'))).toBe('invalid_one_time_token')

    clock.advance(1)
    const viaSet = await resetToken()
    clock.advance(1)
    await tessera.setPassword(ann.id, 'Fourth-Quiet-Harbour-12')
    expect(await outcome(tessera.confirmPasswordReset(viaSet, 'Yet-Another-Phrase-31'))).toBe('invalid_one_time_token')

    clock.advance(1)
    const [one, two] = [await resetToken(), await resetToken()]
    clock.advance(1)
    await tessera.confirmPasswordReset(one, 'Fifth-Green-Lantern-88')
    expect(await outcome(tessera.confirmPasswordReset(two, 'Yet-Another-Phrase-31'))).toBe('invalid_one_time_token')
  })

  it('refuses a token issued in the very millisecond the password changed', async () => {
    const token = await resetToken()
    await tessera.setPassword(ann.id, 'Fourth-Quiet-Harbour-12')
    expect(await outcome(tessera.confirmPasswordReset(token, NEW_PASSWORD))).toBe('invalid_one_time_token')
  })

  it('refuses a token mailed to an address the account no longer has', async () => {
    const token = await resetToken()
    await tessera.updateProfile(ann.id, { email: 'ann@elsewhere.example' })
    expect(await outcome(tessera.confirmPasswordReset(token, NEW_PASSWORD))).toBe('invalid_one_time_token')
  })

  it('refuses a token once its user is deactivated', async () => {
    const token = await resetToken()
    await tessera.setUserActive(ann.id, false)
    expect(await outcome(tessera.confirmPasswordReset(token, NEW_PASSWORD))).toBe('invalid_one_time_token')
  })

  it('refuses unknown, malformed and verification tokens alike', async () => {
    await tessera.requestEmailVerification(ann.id)
    await mailsSent(1)
    const verifyToken = lastToken()
    for (const token of ['', 'tsro_short', `tsro_${'A'.repeat(43)}`, 'tsr_' + 'A'.repeat(43), 'a'.repeat(40), verifyToken]) {
      expect(await outcome(tessera.confirmPasswordReset(token, NEW_PASSWORD)), token).toBe('invalid_one_time_token')
    }
  })

  it('keeps the token alive when the new password fails the validators', async () => {
    const token = await resetToken()
    const error = await tessera.confirmPasswordReset(token, 'password').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ValidationError)
    expect((error as ValidationError).fields.newPassword).toContain('This password is too common.')
    expect(await outcome(tessera.confirmPasswordReset(token, NEW_PASSWORD))).toBe('ok')
  })
})

describe('mail bodies', () => {
  it('escape what they show in HTML', async () => {
    const sent: MailMessage[] = []
    tessera = build({ mailer: { send: async (m) => void sent.push(m) }, settings: { publicUrl: 'https://a.example/<b>' } })
    await tessera.createUser({ email: 'eve@example.com', username: 'eve', password: PASSWORD })
    clock.advance(1)
    await tessera.requestPasswordReset('eve@example.com')
    await vi.waitFor(() => expect(sent).toHaveLength(1))
    expect(sent[0]!.html).not.toContain('<b>')
    expect(sent[0]!.html).toContain('&lt;b&gt;')
  })
})
