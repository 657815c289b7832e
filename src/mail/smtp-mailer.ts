import { createTransport } from 'nodemailer'
import type { Mailer } from '../core/mailer.js'

/** Where and as whom SMTP mail is sent. */
export interface SmtpMailerOptions {
  /** `smtp://[user:pass@]host:port` (STARTTLS when the server offers it) or `smtps://…` (TLS from the start). */
  url: string
  /** The `From` header, e.g. `Tessera <no-reply@example.com>`. */
  from: string
}

// nodemailer waits minutes by default; a mail server that does not answer should fail fast
// and be reported, not hold a connection for ten minutes.
const TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 }

/**
 * A mailer that delivers through an SMTP server with nodemailer. Throws a `RangeError` at
 * creation when the URL is not `smtp:` or `smtps:`; `send` rejects when the server refuses.
 */
export function createSmtpMailer(options: SmtpMailerOptions): Mailer & { close(): void } {
  const protocol = safeProtocol(options.url)
  if (protocol !== 'smtp:' && protocol !== 'smtps:') {
    throw new RangeError(`tessera: SMTP_URL must start with smtp:// or smtps:// (got "${protocol ?? options.url}")`)
  }
  // Options in the URL (?pool=true, ?secure=…) win over these defaults.
  const transport = createTransport({ url: options.url, ...TIMEOUTS }, { from: options.from })
  return {
    async send(message) {
      await transport.sendMail({ to: message.to, subject: message.subject, text: message.text, html: message.html })
    },
    close() {
      transport.close()
    },
  }
}

/** The URL's scheme, or null when it does not parse. */
function safeProtocol(url: string): string | null {
  try {
    return new URL(url).protocol
  } catch {
    return null
  }
}
