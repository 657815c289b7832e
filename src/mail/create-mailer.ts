import type { Mailer } from '../core/mailer.js'
import { createLogMailer, type MailLog } from './log-mailer.js'
import { createSmtpMailer } from './smtp-mailer.js'

/** The mail settings of the server's configuration. */
export interface MailConfig {
  /** `smtp://host:port`; null writes mails to the log. */
  smtpUrl: string | null
  mailFrom: string
}

/** The server's mailer: SMTP when `smtpUrl` is set, the log otherwise. `close` lets its connections go. */
export function createMailer(config: MailConfig, log: MailLog): Mailer & { close(): void } {
  if (config.smtpUrl) return createSmtpMailer({ url: config.smtpUrl, from: config.mailFrom })
  return { ...createLogMailer(log, config.mailFrom), close: () => {} }
}
