import { describe, expect, it, vi } from 'vitest'
import { createMemoryCounters } from '../cache/memory-counters.js'
import { createMemoryStore } from '../store/memory/memory-store.js'
import { createFakeClock } from './clock.js'
import { Tessera } from './tessera.js'

describe('a core built without a mailer', () => {
  it('reports each mail it cannot send, naming the missing option, instead of dropping it silently', async () => {
    const reportError = vi.fn()
    const clock = createFakeClock()
    const tessera = new Tessera({ store: createMemoryStore(), counters: createMemoryCounters(), clock, reportError })
    await tessera.createUser({ email: 'nomail@example.com', password: 'correct horse battery staple 42' })
    clock.advance(1)
    await tessera.requestPasswordReset('nomail@example.com')
    await vi.waitFor(() => expect(reportError).toHaveBeenCalled())
    const [error] = reportError.mock.calls[0]!
    expect(error).toBeInstanceOf(TypeError)
    expect(String((error as Error).message)).toContain('options.mailer is not set')
  })
})
