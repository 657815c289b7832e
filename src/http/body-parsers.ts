import formBody from '@fastify/formbody'
import multipart from '@fastify/multipart'
import type { FastifyInstance, FastifyRequest } from 'fastify'
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

const readingMultipart = new WeakSet<FastifyRequest>()

/** True when `request` failed while its multipart body was being read: a malformed body, the client's fault. */
export function failedReadingMultipart(request: FastifyRequest): boolean {
  return readingMultipart.has(request)
}

/**
 * DRF's default parsers beside JSON: forms and multipart, which DRF clients post as often as JSON.
 * Only the Django faces read them, each in its own encapsulated context; uploaded files are drained,
 * never kept. A context that has them already (a face inside another) is left as it is.
 */
export async function registerDrfBodyParsers(app: FastifyInstance): Promise<void> {
  if (!app.hasContentTypeParser('application/x-www-form-urlencoded')) await app.register(formBody, { bodyLimit: 64 * 1024 })
  if (!app.hasContentTypeParser('multipart/form-data')) {
    // The multipart plugin reads parts in a preValidation hook of its own, added after this one:
    // from here until preHandler, whatever goes wrong went wrong in the client's body.
    app.addHook('preValidation', async (request) => {
      if (request.isMultipart()) readingMultipart.add(request)
    })
    app.addHook('preHandler', async (request) => {
      readingMultipart.delete(request)
    })
    await app.register(multipart, {
      attachFieldsToBody: 'keyValues',
      onFile: async (part) => {
        part.file.resume()
      },
      limits: { fields: 20, fieldSize: 64 * 1024, files: 5, fileSize: 64 * 1024, parts: 25 },
    })
  }
}
