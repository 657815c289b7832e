import { describe, expect, it } from 'vitest'
import { allowedRedirect, parseRedirectAllowlist } from './redirect-allowlist.js'

const allowlist = parseRedirectAllowlist('https://app.example.com, https://admin.example.com/auth/done, com.example.app:/oauth, http://127.0.0.1:5173/')

describe('allowedRedirect()', () => {
  it.each([
    ['https://app.example.com', 'https://app.example.com/'],
    ['https://app.example.com/any/path?state=xyz', 'https://app.example.com/any/path?state=xyz'],
    ['https://admin.example.com/auth/done', 'https://admin.example.com/auth/done'],
    ['https://admin.example.com/auth/done?state=1', 'https://admin.example.com/auth/done?state=1'],
    ['com.example.app:/oauth?x=1', 'com.example.app:/oauth?x=1'],
    ['http://127.0.0.1:5173/callback', 'http://127.0.0.1:5173/callback'],
    // The browser reads a backslash as a slash; what is compared is what the browser would open.
    ['https://app.example.com\\evil.example', 'https://app.example.com/evil.example'],
  ])('allows %j (as %j)', (next, href) => {
    expect(allowedRedirect(next, allowlist)?.href).toBe(href)
  })

  it.each([
    'https://evil.example',
    'https://app.example.com.evil.example/',
    'https://evil.example/?https://app.example.com',
    'https://evil.example#https://app.example.com',
    'http://app.example.com/',
    'https://app.example.com:8443/',
    'https://user@app.example.com/',
    'https://app.example.com@evil.example/',
    'https://admin.example.com/',
    'https://admin.example.com/auth/done/more',
    'https://admin.example.com/auth/Done',
    'com.example.app:/other',
    'com.evil.app:/oauth',
    '//app.example.com/',
    '/relative',
    'javascript:alert(1)//https://app.example.com',
    '',
  ])('refuses %j', (next) => {
    expect(allowedRedirect(next, allowlist)).toBeNull()
  })

  it('refuses everything with an empty allowlist', () => {
    expect(allowedRedirect('https://app.example.com/', parseRedirectAllowlist(''))).toBeNull()
  })
})
