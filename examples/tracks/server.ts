/**
 * Runs the tracks example:
 *
 *   npx vite-node examples/tracks/server.ts
 *
 * DATABASE_URL (default sqlite:./tracks.db), HOST (127.0.0.1) and PORT (8001) are read from the
 * environment. Users and tokens are made with Tessera's CLI against the same database:
 *
 *   DATABASE_URL=sqlite:./tracks.db npx vite-node src/cli/main.ts createsuperuser
 *   DATABASE_URL=sqlite:./tracks.db npx vite-node src/cli/main.ts token create <user>
 */
import { openTessera } from '../../src/index.js'
import { buildTracksApp } from './app.js'

const databaseUrl = process.env.DATABASE_URL?.trim() || 'sqlite:./tracks.db'
const host = process.env.HOST?.trim() || '127.0.0.1'
const port = Number(process.env.PORT?.trim() || 8001)
if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new RangeError(`tracks: PORT must be 0–65535 (got "${process.env.PORT}")`)

const opened = await openTessera({ databaseUrl, cacheSize: 10_000, settings: {} })
const app = await buildTracksApp(opened.tessera, { logger: { redact: ['req.headers.authorization'] } })
app.addHook('onClose', () => opened.close())
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void app.close())
await app.listen({ host, port })
