import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'

/*
 * The Redis server the tests use. A test file calls `await testRedisUrl()` at its top and skips
 * its suites when that is null; keys and channels get `uniquePrefix()`, so runs never meet.
 */

/** Where every development and CI machine here runs Redis. */
export const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379'

/** True under `CI=true` (or `CI=1`), where a missing Redis is a failure, not a skip. */
function isCi(env: NodeJS.ProcessEnv): boolean {
  return /^(true|1)$/i.test(env.CI ?? '')
}

/**
 * The Redis tests should use: `TEST_REDIS_URL` as given (not probed: a wrong one should fail
 * loudly), else, outside CI, 127.0.0.1:6379 when it answers PING. Otherwise prints why the Redis
 * tests are skipped and returns null; under CI=true it throws instead (DESIGN, "Storage and scale").
 */
export async function testRedisUrl(env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  const given = env.TEST_REDIS_URL?.trim()
  if (given) return given
  if (isCi(env)) throw new Error('Redis tests cannot run under CI=true: TEST_REDIS_URL is unset')
  const probe = new Redis(LOCAL_REDIS_URL, { lazyConnect: true, connectTimeout: 1_000, maxRetriesPerRequest: 0, retryStrategy: () => null })
  probe.on('error', () => {})
  try {
    await probe.connect()
    await probe.ping()
    return LOCAL_REDIS_URL
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error)
    console.warn(`Redis tests skipped: TEST_REDIS_URL is unset and nothing answers at ${LOCAL_REDIS_URL} (${why})`)
    return null
  } finally {
    probe.disconnect()
  }
}

/** A key prefix (and channel name) no other test run uses: `tessera-test:<uuid>:`. */
export function uniquePrefix(): string {
  return `tessera-test:${randomUUID()}:`
}

/** A plain client for a test's own checks and set-up; the caller closes it with `quit()`. */
export function openTestClient(url: string): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: 1 })
  client.on('error', () => {})
  return client
}

/** Deletes every key under `prefix` (SCAN, never KEYS, so a shared Redis is not blocked). */
export async function deleteKeys(client: Redis, prefix: string): Promise<void> {
  for (let cursor = '0'; ; ) {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
    if (keys.length > 0) await client.del(...keys)
    if (next === '0') return
    cursor = next
  }
}
