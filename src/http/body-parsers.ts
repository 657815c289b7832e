import type { FastifyInstance } from 'fastify'
import secureJson from 'secure-json-parse'
import { TesseraError } from '../core/errors.js'

/**
 * JSON is the only body the canonical face reads. An empty body counts as no body (many clients
 * send `Content-Type: application/json` on a bodiless POST such as logout), and a `__proto__` key
 * is refused rather than trusted.
 */
export function registerJsonParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body)
    if (text.trim() === '') return done(null, undefined)
    try {
      done(null, secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }))
    } catch (error) {
      done(new TesseraError('validation_failed', `JSON parse error - ${(error as Error).message}`), undefined)
    }
  })
}
