/**
 * The server under bench, run as its own process (`node dist-bench/bench/bench-server.js`): the
 * real `buildServer(loadConfig(env))` from `dist/`, plus two routes that differ only in
 * authentication, so their ratio is the cost of authenticating and nothing else:
 *
 * - `GET /bench/open`: no authentication, answers `{"ok":true}`;
 * - `GET /bench/private`: `config: { auth: isAuthenticated }`, answers `{"ok":true}`;
 * - `GET /bench/map`: the baseline, plain Fastify checking the token in a Map (BENCH_MAP_FROM);
 * - `POST /bench/argon2`: the logins' baseline, plain Fastify verifying a login body's password
 *   against one argon2id hash of BENCH_LOGIN_PASSWORD.
 *
 * Fastify's logger is off, as in DESIGN.md's reference numbers: a request log costs both routes
 * alike and would only flatter the ratio. Prints one JSON line `{"url":…,"pid":…}` when it listens;
 * closes on SIGTERM or SIGINT.
 */
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { readFileSync, writeFileSync } from 'node:fs'
import { hash, verify } from '@node-rs/argon2'
import { loadEnv, loadGuards, loadPasswords, loadServer, loadTokens } from './dist.js'

const [{ loadConfig }, { buildServer }, { isAuthenticated }, { hashSecret }, { ARGON2_PARAMS }] = await Promise.all([
  loadEnv(),
  loadServer(),
  loadGuards(),
  loadTokens(),
  loadPasswords(),
])

const config = loadConfig(process.env)
const server = await buildServer(config, { logger: false })
const reply = { ok: true }
const okSchema = { response: { 200: { type: 'object', properties: { ok: { type: 'boolean' } } } } }
server.app.get('/bench/open', { schema: okSchema }, async () => reply)
server.app.get('/bench/private', { schema: okSchema, config: { auth: isAuthenticated } }, async () => reply)

// The physical limit of an authenticated route: plain Fastify checking the header's token in a Map
// (no hashing, no expiry, no store), in the same kind of callback hook as Tessera's. Its tokens are
// BENCH_MAP_FROM's (and the minted JWTs); the same requests as /bench/private, so their ratio is
// Tessera's cost over the least any token check can cost.
const known = new Map<string, { userId: number }>()
const remember = (tokens: readonly string[]): void => tokens.forEach((token, i) => known.set(token, { userId: i + 1 }))
if (process.env.BENCH_MAP_FROM) remember(readFileSync(process.env.BENCH_MAP_FROM, 'utf8').split('\n').filter(Boolean))
const mapCheck = (request: FastifyRequest, response: FastifyReply, done: HookHandlerDoneFunction): void => {
  const header = request.headers.authorization
  if (header !== undefined && header.startsWith('Token ') && known.get(header.slice(6)) !== undefined) return done()
  void response.code(401).send({ ok: false })
}
server.app.get('/bench/map', { schema: okSchema, onRequest: mapCheck }, async () => reply)

// The physical limit of a login: plain Fastify taking the same JSON body and checking its password
// against one argon2id hash at the server's parameters (no user lookup, session, audit or store).
const benchHash = process.env.BENCH_LOGIN_PASSWORD ? await hash(process.env.BENCH_LOGIN_PASSWORD, ARGON2_PARAMS) : undefined
server.app.post('/bench/argon2', { schema: okSchema }, async (request) => {
  const { password } = (request.body ?? {}) as { password?: unknown }
  // Not 2xx when the password is wrong, so the load tool counts a failure as it would for a login.
  if (benchHash === undefined || typeof password !== 'string' || !(await verify(benchHash, password))) throw new Error('bench: wrong password')
  return reply
})

// With BENCH_JWT_FROM/BENCH_JWT_TO, mint an access JWT for the session of each opaque token in the
// first file (the server's own keys sign them) and write them to the second, one per line.
if (process.env.BENCH_JWT_FROM && process.env.BENCH_JWT_TO) {
  const jwts: string[] = []
  for (const token of readFileSync(process.env.BENCH_JWT_FROM, 'utf8').split('\n').filter(Boolean)) {
    const found = await server.tessera.store.findCredentialBySecretHash(hashSecret(token))
    if (!found) throw new Error('bench-server: a seeded token has no session; reseed with --fresh')
    jwts.push((await server.tessera.issueAccessToken(found.user, found.sessionId, 3600)).token)
  }
  writeFileSync(process.env.BENCH_JWT_TO, jwts.join('\n') + '\n')
  if (process.env.BENCH_MAP_FROM) remember(jwts)
}

const url = await server.app.listen({ host: config.host, port: config.port })
process.stdout.write(JSON.stringify({ url, pid: process.pid }) + '\n')

let closing = false
const stop = (): void => {
  if (closing) process.exit(1)
  closing = true
  server.close().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`bench-server: close failed: ${String(error)}\n`)
      process.exit(1)
    },
  )
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
