import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildDist, requestJson, ROOT, startChild, type ChildServer } from '../support/child-server.js'

// `npm start` sizes libuv's pool to the cores, never below libuv's 4 (src/config/threadpool.cts).
// libuv names no thread, so the pool shows as the number of the process's threads, everything
// else being the same.
const linux = existsSync('/proc/self/task')
const servers: ChildServer[] = []
let dir: string

beforeAll(async () => {
  if (!linux) return
  await buildDist()
  dir = mkdtempSync(join(tmpdir(), 'tessera-threadpool-'))
}, 120_000)

afterAll(async () => {
  for (const server of servers.splice(0)) await server.kill9()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/** The threads of a server started by `entry` with `env`, once a login has used the pool. */
async function threadsOf(entry: string, env: Record<string, string>, name: string): Promise<number> {
  const server = await startChild({ DATABASE_URL: `sqlite:${join(dir, `${name}.db`)}`, LOGIN_THROTTLE: 'off', ...env }, dir, entry)
  servers.push(server)
  // An unknown user's login still hashes (so it takes as long as a known one's): the pool starts.
  const login = await requestJson('POST', `${server.url}/auth/login`, { email: 'nobody@example.com', password: 'not-a-password-42' })
  expect(login.status).toBe(400)
  return readdirSync(`/proc/${server.process.pid}/task`).length
}

describe.skipIf(!linux)('the libuv thread pool of `npm start`', () => {
  it('is one thread per core (at least 4) unless UV_THREADPOOL_SIZE says otherwise; `node dist/cli/main.js` keeps libuv’s 4', async () => {
    const launcher = resolve(ROOT, 'dist/cli/tessera.cjs')
    const five = await threadsOf(launcher, { UV_THREADPOOL_SIZE: '5' }, 'five')
    const chosen = await threadsOf(launcher, {}, 'chosen')
    const plain = await threadsOf(resolve(ROOT, 'dist/cli/main.js'), {}, 'plain')
    expect(chosen - five).toBe(Math.max(4, availableParallelism()) - 5)
    expect(plain - five).toBe(4 - 5)
  })

  it('takes its size from the cores the entry sees, before the pool first runs', async () => {
    // This machine may have 4 cores or fewer, where the size is libuv's 4 anyway: the entry is
    // shown 12, through a preload that runs before it, as NODE_OPTIONS would run one.
    const preload = join(dir, 'twelve-cores.cjs')
    writeFileSync(preload, "require('node:os').availableParallelism = () => 12\n")
    const launcher = resolve(ROOT, 'dist/cli/tessera.cjs')
    const five = await threadsOf(launcher, { UV_THREADPOOL_SIZE: '5', NODE_OPTIONS: `--require ${preload}` }, 'five-of-twelve')
    const twelve = await threadsOf(launcher, { NODE_OPTIONS: `--require ${preload}` }, 'twelve')
    expect(twelve - five).toBe(12 - 5)
  })
})
