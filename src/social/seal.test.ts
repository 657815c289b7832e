import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createMemoryStore } from '../store/memory/memory-store.js'
import { openFlow, sealFlow, type FlowState } from './flow-cookie.js'
import { openLinkResult, sealLinkResult } from './link-result.js'
import { loadSealingKey } from './seal.js'

const NOW = new Date('2026-01-01T00:00:00Z')
const flow: FlowState = {
  provider: 'google',
  state: 'state-1',
  nonce: 'nonce-1',
  verifier: 'verifier-1',
  next: 'https://app.example.com/done?x=1',
  linkUserId: null,
  challenge: null,
  expiresAt: NOW.getTime() + 600_000,
}

describe('sealed flows and link results', () => {
  const key = randomBytes(32)

  it('round-trips a flow for its provider, and hides what it holds', () => {
    const sealed = sealFlow(key, flow)
    expect(openFlow(key, sealed, 'google', NOW)).toEqual(flow)
    expect(Buffer.from(sealed, 'base64url').toString('latin1')).not.toContain('state-1')
    expect(sealFlow(key, flow)).not.toBe(sealed)
  })

  it('opens nothing tampered with, sealed with another key, for another provider, expired, or garbage', () => {
    const sealed = sealFlow(key, flow)
    const bytes = Buffer.from(sealed, 'base64url')
    bytes[20]! ^= 1
    expect(openFlow(key, bytes.toString('base64url'), 'google', NOW)).toBeNull()
    expect(openFlow(randomBytes(32), sealed, 'google', NOW)).toBeNull()
    expect(openFlow(key, sealed, 'github', NOW)).toBeNull()
    expect(openFlow(key, sealed, 'google', new Date(flow.expiresAt))).toBeNull()
    for (const junk of ['', 'abc', '!!!', 'A'.repeat(200)]) expect(openFlow(key, junk, 'google', NOW)).toBeNull()
  })

  it('opens a flow as nothing else: a link result sealed with the same key is not a flow, nor the reverse', () => {
    const result = { userId: 7, profile: { provider: 'google', subject: 's', email: null, emailVerified: false }, expiresAt: flow.expiresAt }
    const sealedResult = sealLinkResult(key, result)
    expect(openLinkResult(key, sealedResult, 'google', NOW)).toEqual(result)
    expect(openFlow(key, sealedResult, 'google', NOW)).toBeNull()
    expect(openLinkResult(key, sealFlow(key, flow), 'google', NOW)).toBeNull()
    expect(openLinkResult(key, sealedResult, 'github', NOW)).toBeNull()
    expect(openLinkResult(key, sealedResult, 'google', new Date(result.expiresAt))).toBeNull()
  })

  it('keeps one key in the settings, made on first use', async () => {
    const store = createMemoryStore()
    const first = await loadSealingKey(store)
    expect(first).toHaveLength(32)
    expect(await loadSealingKey(store)).toEqual(first)
  })
})
