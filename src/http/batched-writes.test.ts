import Fastify, { type FastifyInstance } from 'fastify'
import { connect, type Socket } from 'node:net'
import { Readable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { batchResponseWrites } from './batched-writes.js'

const apps: FastifyInstance[] = []
const sockets: Socket[] = []

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy()
  for (const app of apps.splice(0)) await app.close()
})

/** A listening app whose `GET /n/:n` notes when its handler ran and when its response was written. */
async function tracedApp(batched: boolean): Promise<{ port: number; events: string[]; accepted: () => number }> {
  const app = Fastify()
  apps.push(app)
  if (batched) batchResponseWrites(app)
  const events: string[] = []
  app.addHook('onRequest', (request, reply, done) => {
    const { raw } = reply
    const end = raw.end.bind(raw) as (...args: unknown[]) => typeof raw
    raw.end = ((...args: unknown[]) => {
      events.push(`wrote ${(request.params as { n: string }).n}`)
      return end(...args)
    }) as typeof raw.end
    done()
  })
  app.get('/n/:n', async (request) => {
    events.push(`handled ${(request.params as { n: string }).n}`)
    return { n: (request.params as { n: string }).n }
  })
  let connections = 0
  app.server.on('connection', () => connections++)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return { port: address.port, events, accepted: () => connections }
}

/**
 * Sends `GET /n/1` … `GET /n/<count>` on as many connections, once the server has accepted them
 * all, in one synchronous run, so the server reads them in one turn of its event loop; resolves
 * with each response's body.
 */
async function sendAtOnce({ port, accepted }: { port: number; accepted: () => number }, count: number): Promise<string[]> {
  const open = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Socket>((resolve, reject) => {
          const socket = connect(port, '127.0.0.1', () => resolve(socket)).once('error', reject)
          sockets.push(socket)
        }),
    ),
  )
  const answers = open.map(
    (socket) =>
      new Promise<string>((resolve) => {
        let text = ''
        socket.on('data', (chunk: Buffer) => {
          text += chunk.toString('latin1')
          const [head, body = ''] = text.split('\r\n\r\n')
          const length = Number(/content-length: (\d+)/i.exec(head ?? '')?.[1] ?? NaN)
          if (body.length >= length) resolve(body)
        })
      }),
  )
  while (accepted() < count) await new Promise((resolve) => setTimeout(resolve, 5))
  // A turn more, for the server to start reading the last connection it accepted.
  await new Promise((resolve) => setTimeout(resolve, 5))
  open.forEach((socket, i) => socket.write(`GET /n/${i + 1} HTTP/1.1\r\nHost: x\r\n\r\n`))
  return Promise.all(answers)
}

describe('batchResponseWrites()', () => {
  it('writes the responses to one turn’s requests after all of them are handled, each on its own socket', async () => {
    const app = await tracedApp(true)
    const { events } = app
    expect(await sendAtOnce(app, 4)).toEqual(['{"n":"1"}', '{"n":"2"}', '{"n":"3"}', '{"n":"4"}'])
    expect(events).toEqual(['handled 1', 'handled 2', 'handled 3', 'handled 4', 'wrote 1', 'wrote 2', 'wrote 3', 'wrote 4'])
  })

  it('(control) without it, the same requests are answered one by one, between each other’s handlers', async () => {
    const app = await tracedApp(false)
    const { events } = app
    expect(await sendAtOnce(app, 4)).toEqual(['{"n":"1"}', '{"n":"2"}', '{"n":"3"}', '{"n":"4"}'])
    expect(events).toEqual(['handled 1', 'wrote 1', 'handled 2', 'wrote 2', 'handled 3', 'wrote 3', 'handled 4', 'wrote 4'])
  })

  it('passes every response through as it was: status, headers, an error, an empty body and a stream', async () => {
    const app = Fastify()
    apps.push(app)
    batchResponseWrites(app)
    app.get('/created', async (_request, reply) => reply.code(201).header('x-kept', 'yes').send({ made: true }))
    app.get('/fails', async () => {
      throw Object.assign(new Error('refused'), { statusCode: 409 })
    })
    app.get('/empty', async (_request, reply) => reply.code(204).send())
    app.get('/stream', async (_request, reply) => reply.type('text/plain').send(Readable.from(['a', 'b', 'c'])))
    const created = await app.inject('/created')
    expect([created.statusCode, created.headers['x-kept'], created.json()]).toEqual([201, 'yes', { made: true }])
    const fails = await app.inject('/fails')
    expect([fails.statusCode, fails.json().message]).toEqual([409, 'refused'])
    const empty = await app.inject('/empty')
    expect([empty.statusCode, empty.body]).toEqual([204, ''])
    expect((await app.inject('/stream')).body).toBe('abc')
  })

  it('sends a response made while a batch is being sent with the next batch, not never', async () => {
    const app = Fastify()
    apps.push(app)
    batchResponseWrites(app)
    // The second request's onSend runs while the first's batch is released.
    let second: Promise<{ statusCode: number }> | undefined
    app.addHook('onResponse', async (request) => {
      if (request.url === '/first') second = app.inject('/second')
    })
    app.get('/first', async () => 'one')
    app.get('/second', async () => 'two')
    expect((await app.inject('/first')).body).toBe('one')
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(second).toBeDefined()
    expect((await second!).statusCode).toBe(200)
  })
})
