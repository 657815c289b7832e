/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): self time summed by group (hashing,
 * cache, header parsing, Fastify hooks, serialization, SQLite, row mapping, …) and by function,
 * in per-request microseconds when the request count is given.
 *
 *   node dist-bench/bench/profile-summary.js <file.cpuprofile> [requests] [top] [last-seconds]
 *
 * With `last-seconds`, only the samples of the profile's last that many seconds count (the
 * measured load run, after start-up and the warm-up pass); `requests` should then be that run's.
 *
 * Run the bench server under `node --cpu-prof --cpu-prof-dir=<dir> dist-bench/bench/bench-server.js`
 * (same environment as bench/processes.ts gives it), load it with wrk, stop it with SIGTERM, and
 * pass the profile it wrote with the number of requests wrk reported.
 */
import { readFileSync } from 'node:fs'

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
}
interface ProfileNode {
  id: number
  callFrame: CallFrame
  children?: number[]
}
interface Profile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples: number[]
  timeDeltas: number[]
}

/** The first rule that matches names a frame's group; order matters. */
const GROUPS: Array<[string, (f: CallFrame) => boolean]> = [
  ['idle', (f) => f.functionName === '(idle)'],
  ['gc', (f) => f.functionName === '(garbage collector)'],
  ['hashing (sha256, timingSafeEqual)', (f) => /internal\/crypto|\bhash\b|timingSafeEqual|hashSecret|constantTimeEqual/.test(`${f.url} ${f.functionName}`) && !/jose/.test(f.url)],
  ['jose (JWT verify)', (f) => /node_modules\/jose\//.test(f.url)],
  ['principal cache (src/cache, second-chance-map)', (f) => /\/cache\/|second-chance-map/.test(f.url)],
  ['header parsing (authenticators)', (f) => /http\/authenticators\.js/.test(f.url)],
  ['tessera plugin hook (src/http/plugin)', (f) => /http\/plugin\.js/.test(f.url)],
  ['tessera core (sessions, access-tokens, tessera)', (f) => /\/core\//.test(f.url)],
  ['row mapping (schema.js)', (f) => /store\/kysely\/schema\.js/.test(f.url)],
  ['SQLite statement (better-sqlite3, kysely)', (f) => /better-sqlite3|node_modules\/kysely\/|store\/kysely\//.test(f.url) || (f.url === '' && /^(all|get|run|prepare)$/.test(f.functionName))],
  ['serialization (fast-json-stringify, reply)', (f) => /fast-json-stringify|fastify\/lib\/(reply|error-serializer)|\/lib\/serializer/.test(f.url)],
  ['Fastify routing + hooks', (f) => /node_modules\/(fastify|find-my-way|avvio|light-my-request|@fastify)\//.test(f.url)],
  ['node http parser + writes', (f) => /node:_http|node:http|_http_/.test(f.url)],
  ['node net/streams/events', (f) => /node:(net|stream|events|internal\/stream|internal\/streams|buffer|internal\/timers|timers|internal\/process|internal\/async_hooks)/.test(f.url)],
  ['native / program', (f) => f.url === ''],
  ['other JS', () => true],
]

const [file, requestsArg, topArg, lastArg] = process.argv.slice(2)
if (!file) {
  process.stderr.write('usage: node dist-bench/bench/profile-summary.js <file.cpuprofile> [requests] [top] [last-seconds]\n')
  process.exit(2)
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const requests = requestsArg ? Number(requestsArg) : 0
const top = topArg ? Number(topArg) : 25

const byId = new Map(profile.nodes.map((node) => [node.id, node]))
const selfUs = new Map<number, number>()
// Sample i was taken at startTime + the sum of the first i + 1 deltas (µs).
const since = lastArg ? profile.endTime - Number(lastArg) * 1e6 : -Infinity
let at = profile.startTime
profile.samples.forEach((id, i) => {
  const delta = profile.timeDeltas[i] ?? 0
  at += delta
  if (at >= since) selfUs.set(id, (selfUs.get(id) ?? 0) + delta)
})

const groups = new Map<string, number>()
const functions = new Map<string, { us: number; group: string }>()
let total = 0
let busy = 0
for (const [id, us] of selfUs) {
  const frame = byId.get(id)!.callFrame
  const group = GROUPS.find(([, test]) => test(frame))![0]
  groups.set(group, (groups.get(group) ?? 0) + us)
  total += us
  if (group !== 'idle') busy += us
  const short = frame.url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*\/(dist|dist-bench)\//, '$1/')
  const key = `${frame.functionName || '(anonymous)'} ${short}${frame.url ? `:${frame.lineNumber + 1}` : ''}`
  const entry = functions.get(key) ?? { us: 0, group }
  entry.us += us
  functions.set(key, entry)
}

const perRequest = (us: number): string => (requests > 0 ? `${(us / requests).toFixed(2).padStart(7)} µs/req` : '')
const share = (us: number): string => `${((100 * us) / busy).toFixed(1).padStart(5)}%`
const lines = [
  `${file}: ${(total / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s busy` +
    (requests > 0 ? `, ${requests} requests → ${(busy / requests).toFixed(1)} µs busy per request` : ''),
  '',
  'by group (self time; % of busy):',
  ...[...groups]
    .filter(([group]) => group !== 'idle')
    .sort((a, b) => b[1] - a[1])
    .map(([group, us]) => `  ${share(us)}  ${perRequest(us)}  ${group}`),
  '',
  `top ${top} functions (self time):`,
  ...[...functions]
    .filter(([, f]) => f.group !== 'idle')
    .sort((a, b) => b[1].us - a[1].us)
    .slice(0, top)
    .map(([name, f]) => `  ${share(f.us)}  ${perRequest(f.us)}  ${name}  [${f.group}]`),
]
process.stdout.write(lines.join('\n') + '\n')
