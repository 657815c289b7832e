import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryCounters } from '../cache/memory-counters.js'
import { createMemoryStore } from '../store/memory/memory-store.js'
import type { UserRecord } from '../store/store.js'
import { createFakeClock } from './clock.js'
import { TesseraError, ThrottledError } from './errors.js'
import type { TesseraEvents } from './events.js'
import { createMemoryMailer } from './mailer.js'
import { Tessera } from './tessera.js'

const PASSWORD = 'Correct-Horse-Battery-9'
const TOKEN_IN_LINK = /[?&]token=(tsro_[A-Za-z0-9_-]{43})/

let clock: ReturnType<typeof createFakeClock>
let mailer: ReturnType<typeof createMemoryMailer>
let tessera: Tessera
let ann: UserRecord

beforeEach(async () => {
  clock = createFakeClock()
  mailer = createMemoryMailer()
  read = 0
  tessera = new Tessera({ store: createMemoryStore(), counters: createMemoryCounters(), clock, mailer })
  ann = await tessera.createUser({ email: 'ann@example.com', username: 'ann', password: PASSWORD })
})

let read = 0

/** The token of the next mail not read yet, once it is sent (mails go out after the answer). */
async function nextToken(): Promise<string> {
  await vi.waitFor(() => expect(mailer.sent.length).toBeGreaterThan(read))
  const match = TOKEN_IN_LINK.exec(mailer.sent[read++]!.text)
  if (!match) throw new Error('no token in the mail')
  return match[1]!
}

async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
    return 'ok'
  } catch (error) {
    if (error instanceof TesseraError) return error.code
    throw error
  }
}

describe('requestEmailVerification()', () => {
  it('mails the current address a link to Tessera\'s verification page', async () => {
    expect(await tessera.requestEmailVerification(ann.id)).toBe('sent')
    const token = await nextToken()
    expect(mailer.sent).toHaveLength(1)
    const mail = mailer.sent[0]!
    expect(mail.to).toBe('ann@example.com')
    expect(mail.subject).toMatch(/confirm your e-mail/i)
    expect(mail.text).toContain(`http://127.0.0.1:8000/auth/email/verify?token=${token}`)
    expect(mail.text).toContain('3 days')
  })

  it('links to VERIFY_URL when one is set, adding token= to its query', async () => {
    tessera = new Tessera({
      store: createMemoryStore(),
      counters: createMemoryCounters(),
      clock,
      mailer,
      settings: { verifyUrl: 'https://app.example.com/verify?lang=en' },
    })
    const eve = await tessera.createUser({ email: 'eve@example.com', username: 'eve', password: PASSWORD })
    await tessera.requestEmailVerification(eve.id)
    await nextToken()
    expect(mailer.sent.at(-1)!.text).toMatch(/^https:\/\/app\.example\.com\/verify\?lang=en&token=tsro_[A-Za-z0-9_-]{43}$/m)
  })

  it('sends nothing when the address is verified already', async () => {
    await tessera.requestEmailVerification(ann.id)
    await tessera.confirmEmailVerification(await nextToken())
    expect(await tessera.requestEmailVerification(ann.id)).toBe('already_verified')
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(mailer.sent).toHaveLength(1)
  })

  it('throttles the sixth request per user within an hour', async () => {
    for (let i = 0; i < 5; i++) await tessera.requestEmailVerification(ann.id)
    await expect(tessera.requestEmailVerification(ann.id)).rejects.toBeInstanceOf(ThrottledError)
  })
})

describe('confirmEmailVerification()', () => {
  it('sets emailVerified, emits email.verified and user.updated', async () => {
    const verified: Array<TesseraEvents['email.verified']> = []
    const updated: Array<TesseraEvents['user.updated']> = []
    tessera.on('email.verified', (p) => verified.push(p))
    tessera.on('user.updated', (p) => updated.push(p))
    await tessera.requestEmailVerification(ann.id)
    const user = await tessera.confirmEmailVerification(await nextToken())
    expect(user.emailVerified).toBe(true)
    expect((await tessera.getUser(ann.id)).emailVerified).toBe(true)
    expect(verified).toEqual([{ userId: ann.id, email: 'ann@example.com' }])
    expect(updated.map((u) => u.changed)).toEqual([['emailVerified']])
  })

  it('refuses a token used once already', async () => {
    await tessera.requestEmailVerification(ann.id)
    const token = await nextToken()
    await tessera.confirmEmailVerification(token)
    expect(await outcome(tessera.confirmEmailVerification(token))).toBe('invalid_one_time_token')
  })

  it('refuses a token after VERIFY_TTL (3 days by default)', async () => {
    await tessera.requestEmailVerification(ann.id)
    const token = await nextToken()
    clock.advance(3 * 86_400)
    expect(await outcome(tessera.confirmEmailVerification(token))).toBe('invalid_one_time_token')
  })

  it('refuses a token sent before the e-mail changed, and the change clears emailVerified', async () => {
    await tessera.requestEmailVerification(ann.id)
    await tessera.confirmEmailVerification(await nextToken())
    clock.advance(1)
    await tessera.updateProfile(ann.id, { email: 'ann@new.example' })
    expect((await tessera.getUser(ann.id)).emailVerified).toBe(false)

    await tessera.requestEmailVerification(ann.id)
    const forNewAddress = await nextToken()
    await tessera.updateProfile(ann.id, { email: 'ann@third.example' })
    expect(await outcome(tessera.confirmEmailVerification(forNewAddress))).toBe('invalid_one_time_token')
    expect((await tessera.getUser(ann.id)).emailVerified).toBe(false)
  })

  it('keeps a token valid when only the case of the address changed', async () => {
    await tessera.requestEmailVerification(ann.id)
    const token = await nextToken()
    await tessera.updateProfile(ann.id, { email: 'Ann@Example.com' })
    expect(await outcome(tessera.confirmEmailVerification(token))).toBe('ok')
  })

  it('dies on a password change, like a reset token', async () => {
    await tessera.requestEmailVerification(ann.id)
    const token = await nextToken()
    clock.advance(1)
    await tessera.setPassword(ann.id, 'Another-Staple-Tower-77')
    expect(await outcome(tessera.confirmEmailVerification(token))).toBe('invalid_one_time_token')
  })

  it('is refused for another user than the one a Django face names by uid', async () => {
    await tessera.requestEmailVerification(ann.id)
    const token = await nextToken()
    expect(await outcome(tessera.confirmEmailVerification(token, { userId: ann.id + 1 }))).toBe('invalid_one_time_token')
    expect(await outcome(tessera.confirmEmailVerification(token, { userId: ann.id }))).toBe('ok')
  })

  it('refuses a reset token', async () => {
    clock.advance(1)
    await tessera.requestPasswordReset('ann@example.com')
    expect(await outcome(tessera.confirmEmailVerification(await nextToken()))).toBe('invalid_one_time_token')
  })
})
