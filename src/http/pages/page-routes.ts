import formBody from '@fastify/formbody'
import type { FastifyInstance } from 'fastify'
import { TesseraError, ValidationError } from '../../core/errors.js'
import { VERIFY_PAGE_PATH } from '../../core/email-verification.js'
import { RESET_PAGE_PATH } from '../../core/password-reset.js'
import { formField, sendPage } from './layout.js'
import { verifyDonePage, verifyFormPage, verifyLinkInvalidPage } from './email-verify-page.js'
import { resetDonePage, resetFormPage, resetLinkInvalidPage } from './password-reset-page.js'

const PASSWORD_MISMATCH = "The two password fields didn't match."

/**
 * Tessera's own pages for the links in its mails, for deployments without an app of their own:
 * a reset form, and a verification button. Each GET only shows a form (mail scanners fetch
 * links); the form posts to a page route that calls the same core function as the JSON API and
 * answers in HTML. Only these routes read `application/x-www-form-urlencoded`.
 */
export async function pageRoutes(app: FastifyInstance): Promise<void> {
  const tessera = app.tessera
  const config = { face: 'canonical' as const }
  const schema = { hide: true }
  await app.register(formBody, { bodyLimit: 16 * 1024 })
  // The forms post back through the public URL, so the pages work behind a path prefix too.
  const basePath = new URL(tessera.settings.publicUrl).pathname.replace(/\/+$/, '')
  const resetAction = `${basePath}${RESET_PAGE_PATH}/form`
  const verifyAction = `${basePath}${VERIFY_PAGE_PATH}/form`
  const { passwordMinLength: minLength, passwordMaxLength: maxLength } = tessera.settings

  app.get(RESET_PAGE_PATH, { schema, config }, async (request, reply) => {
    const token = formField(request.query, 'token')
    if (!(await tessera.checkOneTimeToken(token, 'password_reset'))) return sendPage(reply, 400, resetLinkInvalidPage())
    return sendPage(reply, 200, resetFormPage({ token, action: resetAction, minLength, maxLength }))
  })

  app.post(`${RESET_PAGE_PATH}/form`, { schema, config }, async (request, reply) => {
    const token = formField(request.body, 'token')
    const newPassword = formField(request.body, 'newPassword')
    const form = (errors: string[]) => resetFormPage({ token, action: resetAction, minLength, maxLength, errors })
    if (newPassword !== formField(request.body, 'confirmPassword')) {
      if (!(await tessera.checkOneTimeToken(token, 'password_reset'))) return sendPage(reply, 400, resetLinkInvalidPage())
      return sendPage(reply, 400, form([PASSWORD_MISMATCH]))
    }
    try {
      await tessera.confirmPasswordReset(token, newPassword, request.ip)
    } catch (error) {
      if (error instanceof ValidationError) return sendPage(reply, 400, form(Object.values(error.fields).flat()))
      if (error instanceof TesseraError && error.code === 'invalid_one_time_token') return sendPage(reply, 400, resetLinkInvalidPage())
      throw error
    }
    return sendPage(reply, 200, resetDonePage())
  })

  app.get(VERIFY_PAGE_PATH, { schema, config }, async (request, reply) => {
    const token = formField(request.query, 'token')
    if (!(await tessera.checkOneTimeToken(token, 'email_verify'))) return sendPage(reply, 400, verifyLinkInvalidPage())
    return sendPage(reply, 200, verifyFormPage(token, verifyAction))
  })

  app.post(`${VERIFY_PAGE_PATH}/form`, { schema, config }, async (request, reply) => {
    try {
      await tessera.confirmEmailVerification(formField(request.body, 'token'))
    } catch (error) {
      if (error instanceof TesseraError && error.code === 'invalid_one_time_token') return sendPage(reply, 400, verifyLinkInvalidPage())
      throw error
    }
    return sendPage(reply, 200, verifyDonePage())
  })
}
