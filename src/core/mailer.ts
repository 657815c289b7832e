/** A message as the core composes it; transports (SMTP, the log) only deliver it. */
export interface MailMessage {
  to: string
  subject: string
  text: string
  html: string
}

/** Delivers mail. Implementations live in src/mail/; the core only knows this shape. */
export interface Mailer {
  send(message: MailMessage): Promise<void>
}

/** A mailer that keeps every message in memory, for tests. */
export function createMemoryMailer(): Mailer & { sent: MailMessage[] } {
  const sent: MailMessage[] = []
  return {
    sent,
    async send(message) {
      sent.push(message)
    },
  }
}

/** The mailer of a core built without one: every send fails with a message naming the option. */
export const unconfiguredMailer: Mailer = {
  async send(message) {
    throw new TypeError(`tessera: options.mailer is not set, so the mail to ${message.to} ("${message.subject}") was not sent`)
  },
}
