import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { TesseraError } from '../../core/errors.js'
import type { JwtPair } from '../../core/refresh-tokens.js'
import { loginOf } from '../request-info.js'
import { LoginBody } from './schemas.js'

const tags = ['jwt']
const face = 'canonical' as const

const PairReply = Type.Object({
  access: Type.String(),
  refresh: Type.String({ description: 'Opaque, single use: each refresh returns a new one' }),
  accessExpiresAt: Type.String({ format: 'date-time' }),
  refreshExpiresAt: Type.String({ format: 'date-time' }),
})
const RefreshBody = Type.Object({ refresh: Type.String({ maxLength: 512 }) }, { additionalProperties: false })
const TokenBody = Type.Object({ token: Type.String({ maxLength: 8192 }) }, { additionalProperties: false })

/** The canonical face's JWT routes (simplejwt's create, refresh, verify) and the JWKS. */
export async function jwtRoutes(app: FastifyInstance): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>()
  const tessera = app.tessera

  api.post('/auth/jwt/create', {
    schema: { tags, summary: 'Log in and get an access JWT and a refresh token', body: LoginBody, response: { 200: PairReply } },
    config: { face },
  }, async (request) => {
    const { attempt, device } = loginOf(request, request.body)
    return pairReply(await tessera.loginWithJwt(attempt, device))
  })

  api.post('/auth/jwt/refresh', {
    schema: { tags, summary: 'Exchange a refresh token for a new pair; a spent one revokes its session', body: RefreshBody, response: { 200: PairReply } },
    config: { face },
  }, async (request) => pairReply(await tessera.refreshJwt(request.body.refresh)))

  api.post('/auth/jwt/verify', {
    schema: { tags, summary: 'Check an access JWT (signature, expiry, and that its session is live)', body: TokenBody, response: { 200: Type.Object({}) } },
    config: { face },
  }, async (request) => {
    const check = await tessera.verifyAccessToken(request.body.token)
    if (!check.ok) throw new TesseraError('invalid_token', 'Token is invalid or expired.')
    return {}
  })

  api.get('/.well-known/jwks.json', {
    schema: { tags, summary: 'Public keys that verify access JWTs, with their kid' },
  }, async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=300')
    return tessera.jwks()
  })
}

function pairReply(pair: JwtPair) {
  return {
    access: pair.access,
    refresh: pair.refresh,
    accessExpiresAt: pair.accessExpiresAt.toISOString(),
    refreshExpiresAt: pair.refreshExpiresAt.toISOString(),
  }
}
