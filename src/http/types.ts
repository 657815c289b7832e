import type { Principal } from '../core/principal.js'
import type { Tessera } from '../core/tessera.js'
import type { Guard } from './guards.js'

/** The wire format a route speaks: its error bodies and its `WWW-Authenticate` scheme. */
export type Face = 'canonical' | 'drf' | 'conduit'

/** Why a request that sent credentials was not authenticated. */
export type CredentialFailure = 'no_credentials' | 'contains_spaces' | 'invalid_characters' | 'invalid_token' | 'user_inactive'

declare module 'fastify' {
  interface FastifyInstance {
    /** The core this server authenticates against. */
    tessera: Tessera
  }
  interface FastifyRequest {
    /** Who the request acts for; null when anonymous. Set on routes with `config.auth`. */
    principal: Principal | null
  }
  interface FastifyContextConfig {
    /** The permission guard of the route; routes without one are not authenticated. */
    auth?: Guard
    /** The wire format of the route's errors. @default the plugin's `face` option */
    face?: Face
    /**
     * A `Bearer` credential that fails is refused as Simple JWT's `JWTAuthentication` words it
     * (`{"detail", "code": "token_not_valid", "messages"}`): what clients of a DRF API that lists
     * it after `TokenAuthentication` (djoser's setup) match on to know when to refresh.
     */
    simplejwtBearer?: boolean
  }
}
