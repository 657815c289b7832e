import { Writable } from 'node:stream'
import { describe, expect, test, vi } from 'vitest'
import { loadConfig } from '../../src/config/env.js'
import { buildServer, listeningLine } from '../../src/http/server.js'
import { newAccount } from '../support/server.js'

describe('a server without SMTP_URL (development)', () => {
  test('says so in the start line, and writes each mail to its log at info, with a link that works', async () => {
    const lines: Array<Record<string, unknown>> = []
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line))
        done()
      },
    })
    const config = loadConfig({ DATABASE_URL: 'sqlite::memory:', LOGIN_THROTTLE: 'off', ANON_THROTTLE: 'off', PUBLIC_URL: 'https://auth.example.com' })
    const server = await buildServer(config, { logger: { level: 'info', stream } })
    try {
      expect(listeningLine(config, 'http://127.0.0.1:8000')).toContain('mail: written to this log, not sent (set SMTP_URL)')
      expect(listeningLine({ ...config, smtpUrl: 'smtp://127.0.0.1:25' }, 'http://127.0.0.1:8000')).not.toContain('mail:')
      expect(listeningLine(config, 'http://127.0.0.1:8000')).toContain('faces canonical, drf, conduit ·')
      const django = loadConfig({ PROFILES: 'djoser,drf,simplejwt', DJOSER_PREFIX: '/api/auth' })
      expect(listeningLine(django, 'http://127.0.0.1:8000')).toContain('faces djoser http://127.0.0.1:8000/api/auth/, drf, simplejwt http://127.0.0.1:8000/api/token/ ·')
      const account = newAccount()
      await server.app.inject({ method: 'POST', url: '/auth/register', payload: account })
      const response = await server.app.inject({ method: 'POST', url: '/auth/password/reset', payload: { email: account.email } })
      expect(response.statusCode).toBe(202)

      const mailLine = await vi.waitFor(() => {
        const line = lines.find((l) => typeof l.mail === 'object')
        if (!line) throw new Error('no mail logged yet')
        return line
      })
      expect(mailLine.level).toBe(30)
      expect(mailLine.mail).toMatchObject({ to: account.email })
      const token = /token=(tsro_[A-Za-z0-9_-]{43})/.exec(String(mailLine.msg))?.[1]
      expect(token).toBeDefined()
      expect(String(mailLine.msg)).toContain(`https://auth.example.com/auth/password/reset/confirm?token=${token}`)

      // The link from the terminal opens the reset form.
      const page = await server.app.inject({ method: 'GET', url: `/auth/password/reset/confirm?token=${token}` })
      expect(page.statusCode).toBe(200)
    } finally {
      await server.close()
    }
  })
})
