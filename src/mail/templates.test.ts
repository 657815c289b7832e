import { describe, expect, it } from 'vitest'
import { escapeHtml } from './escape-html.js'
import { describeDuration, emailVerificationMail, passwordResetMail } from './templates.js'

const input = {
  to: 'ann@example.com',
  username: '<script>alert("x")</script>',
  link: 'https://app.example.com/reset?lang=en&token=tsro_abc',
  ttlSeconds: 3600,
  site: 'app.example.com',
}

describe('mail templates', () => {
  it('put the link on a line of its own in the text body', () => {
    const mail = passwordResetMail(input)
    expect(mail.text.split('\n')).toContain(input.link)
    expect(mail.text).toContain('The link works once, for 1 hour.')
    expect(mail.to).toBe('ann@example.com')
  })

  it('escape every value in the HTML body, the link in its href included', () => {
    const mail = emailVerificationMail(input)
    expect(mail.html).not.toContain('<script>')
    expect(mail.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;')
    expect(mail.html).toContain('href="https://app.example.com/reset?lang=en&amp;token=tsro_abc"')
  })

  it('name the site in the subject', () => {
    expect(passwordResetMail(input).subject).toBe('Reset your password on app.example.com')
    expect(emailVerificationMail(input).subject).toBe('Confirm your e-mail address on app.example.com')
  })
})

describe('describeDuration()', () => {
  it('uses the largest unit that divides the duration', () => {
    expect(describeDuration(3600)).toBe('1 hour')
    expect(describeDuration(259_200)).toBe('3 days')
    expect(describeDuration(5400)).toBe('90 minutes')
    expect(describeDuration(61)).toBe('61 seconds')
  })
})

describe('escapeHtml()', () => {
  it('escapes the five characters that matter in text and quoted attributes', () => {
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;')
  })
})
