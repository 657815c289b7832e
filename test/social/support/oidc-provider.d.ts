/** The part of oidc-provider's API the social-login tests use (it ships no types, and @types/oidc-provider is not installed). */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http'

  /** The provider's configuration, as far as the tests set it; see oidc-provider's docs for every field. */
  export type Configuration = Record<string, unknown>

  export default class Provider {
    constructor(issuer: string, configuration?: Configuration)
    /** A Node request listener serving every endpoint of the provider. */
    callback(): (request: IncomingMessage, response: ServerResponse) => void
  }
}
