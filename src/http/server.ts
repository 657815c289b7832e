import cors from '@fastify/cors'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { createRequire } from 'node:module'
import { isPrefixedProfile, type ServerConfig } from '../config/env.js'
import type { Tessera } from '../core/tessera.js'
import { openTessera } from '../open-tessera.js'
import { faceOf, sendError, toTesseraError } from './errors.js'
import { batchResponseWrites } from './batched-writes.js'
import { registerJsonParser } from './body-parsers.js'
import { registerOpenApi } from './openapi.js'
import { tesseraPlugin } from './plugin.js'
import { authRoutes } from './routes/auth.js'
import { conduitRoutes } from './routes/conduit.js'
import { drfRoutes } from './routes/drf.js'
import { healthRoutes } from './routes/health.js'
import { sessionRoutes } from './routes/sessions.js'
import { staffRoutes } from './routes/staff.js'
import { emailRoutes } from './routes/email.js'
import { passwordRoutes } from './routes/password.js'
import { pageRoutes } from './pages/page-routes.js'
import { createMailer } from '../mail/create-mailer.js'
import type { Mailer } from '../core/mailer.js'
import { jwtRoutes } from './routes/jwt.js'
import { introspectRoutes } from './routes/introspect.js'
import { metricsPlugin } from './routes/metrics.js'
import { socialRoutes } from './routes/social.js'
import { createSocialClients } from '../social/social-clients.js'
import { TesseraError } from '../core/errors.js'
import { adminPlugin } from '../admin/admin-plugin.js'
import { djoserRoutes } from './routes/djoser.js'
import { simplejwtRoutes } from './routes/simplejwt.js'
import { djRestAuthRoutes } from './routes/dj-rest-auth.js'

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string }

/** A built server: the Fastify app, the core behind it, and the means to shut both down. */
export interface TesseraServer {
  app: FastifyInstance
  tessera: Tessera
  close(): Promise<void>
}

/** Options a test or an embedding program may set beyond the environment. */
export interface BuildOptions {
  /** Fastify's logger option. @default pino at the configured level */
  logger?: FastifyServerOptions['logger']
  /** Where mails go. @default SMTP when `SMTP_URL` is set, else the log (development) */
  mailer?: Mailer
}

// Request logs keep the path but never a token (or a social sign-in's single-use code) put in a query string.
const redactUrl = (url: string): string => url.replace(/([?&](?:token|key|access|refresh|code|link_result)=)[^&#]*/gi, '$1[redacted]')

/** Builds the whole server from its configuration: database, core, faces, docs, health. */
export async function buildServer(config: ServerConfig, options: BuildOptions = {}): Promise<TesseraServer> {
  const app = Fastify({
    logger: options.logger ?? {
      level: config.logLevel,
      redact: ['req.headers.authorization', 'req.headers.cookie'],
      serializers: {
        req: (req: { method: string; url: string; ip?: string }) => ({ method: req.method, url: redactUrl(req.url), remoteAddress: req.ip }),
      },
    },
    bodyLimit: 100 * 1024,
    routerOptions: { ignoreTrailingSlash: true },
    // Wrong types are errors, not coercions, and unknown fields are refused, not silently dropped.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true } },
  })
  // SMTP when SMTP_URL is set, else the log; a mailer passed in is its owner's to close.
  const ownMailer = options.mailer ? null : createMailer(config, app.log)
  const mailer = options.mailer ?? ownMailer ?? undefined
  const opened = await openTessera(config, (error, what) => app.log.error({ err: error }, `background failure: ${what}`), { mailer, log: app.log })
  const { tessera } = opened

  registerJsonParser(app)
  batchResponseWrites(app)
  const drfPrefixes = config.profiles.filter(isPrefixedProfile).map((profile) => config.prefixes[profile])
  app.setErrorHandler((error, request, reply) => {
    const face = faceOf(request, 'canonical', drfPrefixes)
    const known = toTesseraError(error, request)
    if (known) {
      // A dependency that is down is the operator's business: logged, though the client gets a plain 503.
      if (known.code === 'service_unavailable') request.log.warn({ err: known.cause ?? known }, 'service unavailable')
      return sendError(reply, face, known)
    }
    request.log.error({ err: error }, 'unhandled error')
    // The log has the details; the client gets no stack trace.
    return sendError(reply, face, new TesseraError('internal_error', 'Internal error.'))
  })
  app.setNotFoundHandler((request, reply) => sendError(reply, faceOf(request, 'canonical', drfPrefixes), new TesseraError('not_found', 'Not found.')))

  if (config.corsOrigins.length > 0) {
    await app.register(cors, { origin: config.corsOrigins, credentials: false, allowedHeaders: ['Authorization', 'Content-Type'] })
  }
  await registerOpenApi(app, version)
  await app.register(tesseraPlugin, { tessera, face: 'canonical' })
  // Redis (when configured) is reported beside the database: in /metrics as a dependency, in /readyz as degraded.
  const redisConfigured = opened.redisHealthy() !== null
  const dependencies = {
    database: () => tessera.store.ping(),
    ...(redisConfigured ? { redis: () => (opened.redisHealthy() ? Promise.resolve() : Promise.reject(new Error('Redis is unreachable'))) } : {}),
  }
  await app.register(metricsPlugin, { token: config.metricsToken ?? null, dependencies })
  await app.register(healthRoutes, { redisHealthy: opened.redisHealthy })
  if (config.profiles.includes('canonical')) {
    await app.register(authRoutes)
    await app.register(sessionRoutes)
    await app.register(passwordRoutes)
    await app.register(emailRoutes)
    await app.register(pageRoutes)
    await app.register(jwtRoutes)
    await app.register(introspectRoutes, { secret: config.introspectionSecret })
    await app.register(staffRoutes)
    // Social login only when providers are configured; each is discovered on first use, not here.
    if (config.social) {
      await app.register(socialRoutes, { clients: createSocialClients(config.social.providers), redirectAllowlist: config.social.redirectAllowlist })
    }
  }
  // The staff page serves every profile: DRF deployments need their admin as much as any.
  await app.register(adminPlugin, { prefix: '/admin' })
  if (config.profiles.includes('drf')) await app.register(drfRoutes)
  if (config.profiles.includes('conduit')) await app.register(conduitRoutes)
  // The Django packages' faces, each under the prefix its clients already call.
  if (config.profiles.includes('djoser')) await app.register(djoserRoutes, { prefix: config.prefixes.djoser })
  if (config.profiles.includes('simplejwt')) await app.register(simplejwtRoutes, { prefix: config.prefixes.simplejwt })
  if (config.profiles.includes('dj-rest-auth')) await app.register(djRestAuthRoutes, { prefix: config.prefixes['dj-rest-auth'] })

  app.addHook('onClose', async () => {
    // In-flight requests have finished: what they queued for the audit log is written before the store closes.
    await tessera.flush()
    ownMailer?.close()
    await opened.close()
  })
  return { app, tessera, close: () => app.close() }
}

/** The start line for one address the server listens on; a cluster's primary names its workers. */
export function listeningLine(config: ServerConfig, address: string, workers = 1): string {
  const processes = workers > 1 ? ` with ${workers} workers` : ''
  return (
    `Tessera ${version} listening on ${address}${processes} · faces ${facesOf(config, address)} · admin ${address}/admin · API docs ${address}/docs · health ${address}/healthz · ` +
    `metrics ${address}/metrics · database ${config.databaseUrl.replace(/\/\/[^@/]*@/, '//***@').replace(/(password=)[^&]*/i, '$1***')}` +
    // Said here rather than in a second line: without SMTP_URL, mails (and their links) go to this log.
    (config.smtpUrl ? '' : ' · mail: written to this log, not sent (set SMTP_URL)')
  )
}

/** The mounted faces for the start line: the Django packages' with the URL their clients call. */
function facesOf(config: ServerConfig, address: string): string {
  return config.profiles
    .map((profile) => (isPrefixedProfile(profile) ? `${profile} ${address}${config.prefixes[profile]}/` : profile))
    .join(', ')
}

/**
 * Builds the server, listens, and logs one line with its URLs. With `quiet` (a cluster worker) it
 * logs no line and returns the addresses, for the primary to announce once for all workers.
 */
export async function startServer(
  config: ServerConfig,
  options: { quiet?: boolean } = {},
): Promise<{ url: string; addresses: string[]; close(): Promise<void> }> {
  const server = await buildServer(config)
  const addresses: string[] = []
  const level = server.app.log.level
  // Fastify logs the resolver's text for each address; silenced for that moment only.
  if (options.quiet) server.app.log.level = 'silent'
  try {
    const url = await server.app.listen({
      host: config.host,
      port: config.port,
      listenTextResolver: (address) => {
        addresses.push(address)
        return listeningLine(config, address)
      },
    })
    return { url, addresses, close: server.close }
  } catch (error) {
    await server.close()
    throw error
  } finally {
    server.app.log.level = level
  }
}
