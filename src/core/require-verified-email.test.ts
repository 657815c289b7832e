import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryCounters } from '../cache/memory-counters.js'
import { createMemoryStore } from '../store/memory/memory-store.js'
import { createFakeClock } from './clock.js'
import { TesseraError } from './errors.js'
import type { TesseraEvents } from './events.js'
import { createMemoryMailer } from './mailer.js'
import { Tessera } from './tessera.js'

const PASSWORD = 'Correct-Horse-Battery-9'

let clock: ReturnType<typeof createFakeClock>
let mailer: ReturnType<typeof createMemoryMailer>
let tessera: Tessera

beforeEach(async () => {
  clock = createFakeClock()
  mailer = createMemoryMailer()
  tessera = new Tessera({
    store: createMemoryStore(),
    counters: createMemoryCounters(),
    clock,
    mailer,
    settings: { requireVerifiedEmail: true, loginThrottle: { limit: 2, windowSeconds: 60 } },
  })
  await tessera.createUser({ email: 'ann@example.com', username: 'ann', password: PASSWORD })
  clock.advance(1)
})

async function loginOutcome(password: string): Promise<string> {
  try {
    await tessera.verifyLogin({ identifier: 'ann', password })
    return 'ok'
  } catch (error) {
    if (error instanceof TesseraError) return `${error.code}: ${error.message}`
    throw error
  }
}

/** The token of the first mail, once it is sent (mails go out after the answer). */
async function nextToken(): Promise<string> {
  await vi.waitFor(() => expect(mailer.sent).toHaveLength(1))
  return /token=(tsro_[A-Za-z0-9_-]{43})/.exec(mailer.sent[0]!.text)![1]!
}

describe('settings.requireVerifiedEmail', () => {
  it('refuses an unverified user with permission_denied, only once the password proved right', async () => {
    const failures: Array<TesseraEvents['login.failed']> = []
    tessera.on('login.failed', (p) => failures.push(p))
    expect(await loginOutcome('wrong')).toBe('invalid_credentials: Unable to log in with provided credentials.')
    expect(await loginOutcome(PASSWORD)).toBe('permission_denied: E-mail address is not verified.')
    expect(failures.map((f) => f.reason)).toEqual(['invalid_credentials', 'email_unverified'])
  })

  it('does not count a right password for an unverified user as a failure', async () => {
    for (let i = 0; i < 5; i++) expect(await loginOutcome(PASSWORD)).toMatch(/^permission_denied/)
  })

  it('lets the user in once the e-mail is verified by a verification link', async () => {
    const ann = (await tessera.findUser('ann'))!
    await tessera.requestEmailVerification(ann.id)
    await tessera.confirmEmailVerification(await nextToken())
    expect(await loginOutcome(PASSWORD)).toBe('ok')
  })

  it('lets the user in after a password reset, which proves the mailbox too', async () => {
    await tessera.requestPasswordReset('ann@example.com')
    await tessera.confirmPasswordReset(await nextToken(), 'Another-Staple-Tower-77')
    expect(await loginOutcome('Another-Staple-Tower-77')).toBe('ok')
  })
})
