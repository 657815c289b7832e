import { createGithubClient } from './github-client.js'
import { createOidcClient } from './oidc-client.js'
import type { SocialProviderConfig } from './provider-config.js'
import type { SocialClient } from './social-client.js'

/** The configured providers by id. */
export type SocialClients = ReadonlyMap<string, SocialClient>

/** A client for each configured provider; no network until first use. */
export function createSocialClients(providers: readonly SocialProviderConfig[]): SocialClients {
  return new Map(providers.map((provider) => [provider.id, provider.protocol === 'github' ? createGithubClient(provider) : createOidcClient(provider)]))
}
