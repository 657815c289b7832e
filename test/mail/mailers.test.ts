import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createMailer } from '../../src/mail/create-mailer.js'
import { createSmtpMailer } from '../../src/mail/smtp-mailer.js'
import { startSmtpPeer, type SmtpPeer } from './smtp-peer.js'

const message = {
  to: 'ann@example.com',
  subject: 'Reset your password on example.com',
  text: `Hello,\n\nChoose a new password:\nhttps://example.com/auth/password/reset/confirm?token=tsro_${'A'.repeat(43)}\n`,
  html: `<p><a href="https://example.com/auth/password/reset/confirm?token=tsro_${'A'.repeat(43)}">Choose</a></p>`,
}

let peer: SmtpPeer
beforeAll(async () => {
  peer = await startSmtpPeer()
})
afterAll(async () => {
  await peer?.close()
})

describe('createSmtpMailer()', () => {
  it('delivers a multipart mail (text and HTML) from MAIL_FROM to a real SMTP server', async () => {
    const mailer = createSmtpMailer({ url: peer.url, from: 'Tessera <no-reply@example.com>' })
    await mailer.send(message)
    mailer.close()
    const [mail] = await peer.waitFor(1)
    expect(mail!.to).toEqual(['ann@example.com'])
    expect(mail!.raw).toMatch(/^From: Tessera <no-reply@example\.com>\r?$/m)
    expect(mail!.raw).toMatch(/^Subject: Reset your password on example\.com\r?$/m)
    expect(mail!.raw).toMatch(/Content-Type: multipart\/alternative/)
    expect(mail!.raw).toMatch(/Content-Type: text\/plain/)
    expect(mail!.raw).toMatch(/Content-Type: text\/html/)
    expect(mail!.decoded).toContain(`https://example.com/auth/password/reset/confirm?token=tsro_${'A'.repeat(43)}`)
  })

  it('rejects when the server cannot be reached', async () => {
    const mailer = createSmtpMailer({ url: 'smtp://127.0.0.1:1', from: 'x@example.com' })
    await expect(mailer.send(message)).rejects.toThrow()
  })

  it('refuses a URL that is not smtp: or smtps: when it is made', () => {
    expect(() => createSmtpMailer({ url: 'http://127.0.0.1:25', from: 'x@example.com' })).toThrow(/SMTP_URL/)
  })
})

describe('createMailer()', () => {
  it('writes mails to the log, link included, when SMTP_URL is unset', async () => {
    const log = { info: vi.fn(), warn: vi.fn() }
    const mailer = createMailer({ smtpUrl: null, mailFrom: 'x@example.com' }, log)
    expect(log.warn).not.toHaveBeenCalled()
    await mailer.send(message)
    expect(log.info).toHaveBeenCalledWith(
      { mail: { from: 'x@example.com', to: 'ann@example.com', subject: message.subject } },
      expect.stringContaining(`token=tsro_${'A'.repeat(43)}`),
    )
  })
})
