import type { Mailer } from '../core/mailer.js'

/** The part of a pino logger the log mailer uses. */
export interface MailLog {
  info(object: object, message: string): void
  warn(message: string): void
}

/**
 * A mailer for development: each mail is written to the log at `info`, links included (that is
 * its purpose: follow the link from the terminal). The start line says that nothing is sent.
 */
export function createLogMailer(log: MailLog, from: string): Mailer {
  return {
    async send(message) {
      log.info({ mail: { from, to: message.to, subject: message.subject } }, `mail not sent (no SMTP_URL):\n${message.text}`)
    },
  }
}
