/** `tessera/fastify`: the plugin and its guards, without the server, CLI or admin. */
export { tesseraPlugin, tesseraPlugin as default, type TesseraPluginOptions, type CredentialValidator } from './http/plugin.js'
export { allowAny, isAuthenticated, isAuthenticatedOrReadOnly, isAdminUser, SAFE_METHODS, type Guard } from './http/guards.js'
export type { Face, CredentialFailure } from './http/types.js'
export { batchResponseWrites } from './http/batched-writes.js'
