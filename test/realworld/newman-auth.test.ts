import newman, { type NewmanRunSummary } from 'newman'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { makeServer, type TestServer } from '../support/server.js'

// The official RealWorld API test collection (github.com/gothinkster/realworld, MIT), kept verbatim.
const COLLECTION = fileURLToPath(new URL('./Conduit.postman_collection.json', import.meta.url))

let server: TestServer
let baseUrl: string
beforeAll(async () => {
  server = await makeServer()
  baseUrl = await server.app.listen({ port: 0, host: '127.0.0.1' })
})
afterAll(async () => {
  await server?.dispose()
})

/** Runs one folder of the collection with newman against `apiUrl`, as `newman run --folder` would. */
function runFolder(folder: string, apiUrl: string): Promise<NewmanRunSummary> {
  const id = `rw${process.pid}${Date.now().toString(36)}`
  return new Promise((resolve, reject) => {
    newman.run(
      {
        collection: COLLECTION,
        folder,
        envVar: [
          { key: 'APIURL', value: apiUrl },
          { key: 'USERNAME', value: id },
          { key: 'EMAIL', value: `${id}@example.com` },
          // The collection's default `password` is rightly refused by the core's validators.
          { key: 'PASSWORD', value: 'Conduit passphrase 2024!' },
        ],
        reporters: [],
        timeoutRequest: 10_000,
      },
      (error, summary) => (error ? reject(error) : resolve(summary)),
    )
  })
}

test('the official RealWorld collection\'s "Auth" folder passes against a listening server', async () => {
  const { run } = await runFolder('Auth', `${baseUrl}/api`)

  const failures = run.failures.map((f) => `${f.source?.name ?? '?'}: ${f.error.test ?? f.error.name}: ${f.error.message}`)
  expect(failures).toEqual([])
  expect(run.executions.map((e) => [e.item.name, e.response?.code])).toEqual([
    ['Register', 201],
    ['Login', 200],
    ['Login and Remember Token', 200],
    ['Current User', 200],
    ['Update User', 200],
  ])
  expect(run.stats.requests).toMatchObject({ total: 5, failed: 0 })
  // Every assertion the folder makes ran: 6 per request and one for the remembered token.
  expect(run.stats.assertions).toMatchObject({ total: 31, failed: 0 })
})
