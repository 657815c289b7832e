import { describe, expect, it } from 'vitest'
import { checkLinkTemplate, defaultLinkPage, oneTimeLink, siteName } from './one-time-links.js'

const TOKEN = 'tsro_abc-DEF_123'

describe('oneTimeLink()', () => {
  it('adds token= to a page without a query', () => {
    expect(oneTimeLink('http://127.0.0.1:8000/auth/password/reset/confirm', TOKEN)).toBe(
      `http://127.0.0.1:8000/auth/password/reset/confirm?token=${TOKEN}`,
    )
  })

  it('replaces {token} where the query has it, and keeps the rest of the query as written', () => {
    expect(oneTimeLink('https://app.example.com/reset?token={token}', TOKEN)).toBe(`https://app.example.com/reset?token=${TOKEN}`)
    expect(oneTimeLink('https://app.example.com/reset?lang=en&token={token}&x=a%20b', TOKEN)).toBe(
      `https://app.example.com/reset?lang=en&token=${TOKEN}&x=a%20b`,
    )
  })

  it('adds token= to an existing query, before any fragment', () => {
    expect(oneTimeLink('https://app.example.com/reset?lang=en', TOKEN)).toBe(`https://app.example.com/reset?lang=en&token=${TOKEN}`)
    expect(oneTimeLink('https://app.example.com/reset?lang=en&', TOKEN)).toBe(`https://app.example.com/reset?lang=en&token=${TOKEN}`)
    expect(oneTimeLink('https://app.example.com/reset?', TOKEN)).toBe(`https://app.example.com/reset?token=${TOKEN}`)
    expect(oneTimeLink('https://app.example.com/#/reset', TOKEN)).toBe(`https://app.example.com/?token=${TOKEN}#/reset`)
  })

  it('percent-encodes the token', () => {
    const link = oneTimeLink('https://app.example.com/reset?token={token}', 'a b&c=d/é')
    expect(link).toBe('https://app.example.com/reset?token=a%20b%26c%3Dd%2F%C3%A9')
    expect(new URL(link).searchParams.get('token')).toBe('a b&c=d/é')
  })
})

describe('checkLinkTemplate()', () => {
  it('accepts a page with token={token} in its query, or with no placeholder at all', () => {
    for (const template of [
      'https://app.example.com/reset?token={token}',
      'https://app.example.com/reset?lang=en&token={token}',
      'https://app.example.com/reset',
      'http://localhost:3000/verify?from=mail#top',
    ]) {
      expect(() => checkLinkTemplate(template, 'RESET_URL'), template).not.toThrow()
    }
  })

  it('refuses {token} in the path or fragment, twice, or under another name, naming the setting', () => {
    for (const template of [
      'https://app.example.com/reset/{token}',
      'https://app.example.com/reset#token={token}',
      'https://app.example.com/reset?token={token}&again={token}',
      'https://app.example.com/reset?t={token}',
      'https://app.example.com/reset?token=x{token}',
    ]) {
      expect(() => checkLinkTemplate(template, 'RESET_URL'), template).toThrow(/RESET_URL/)
    }
  })

  it('refuses a relative or non-http URL, and a query that already has a token', () => {
    expect(() => checkLinkTemplate('/reset?token={token}', 'VERIFY_URL')).toThrow(RangeError)
    expect(() => checkLinkTemplate('javascript:alert(1)//?token={token}', 'VERIFY_URL')).toThrow(/http or https/)
    expect(() => checkLinkTemplate('https://app.example.com/reset?token=fixed', 'VERIFY_URL')).toThrow(/already has a token/)
  })
})

describe('defaultLinkPage() and siteName()', () => {
  it('joins the public URL and the path without doubling the slash', () => {
    expect(defaultLinkPage('https://auth.example.com/', '/auth/email/verify')).toBe('https://auth.example.com/auth/email/verify')
    expect(defaultLinkPage('https://example.com/tessera', '/auth/email/verify')).toBe('https://example.com/tessera/auth/email/verify')
  })

  it('names the site by the public URL\'s host', () => {
    expect(siteName('https://auth.example.com:8443/x')).toBe('auth.example.com:8443')
  })
})
