/**
 * Raw argon2id throughput, run as its own process (`node dist-bench/bench/argon2-raw.js
 * <concurrency> <seconds>`): keeps `concurrency` hashes in flight on the libuv pool, as
 * `concurrency` login connections do on the server, at exactly the server's parameters
 * (`ARGON2_PARAMS`) with the same library. Prints one JSON line
 * `{"hashes":…,"seconds":…,"p50Ms":…,"p99Ms":…,"cpuMs":…}` (`cpuMs`: this process's CPU time over
 * the run, all threads); hashes still in flight at the end do not count, as wrk does not count
 * unanswered requests.
 */
import { hash } from '@node-rs/argon2'
import { randomBytes } from 'node:crypto'
import { loadPasswords } from './dist.js'

const { ARGON2_PARAMS } = await loadPasswords()
const [concurrency, seconds] = process.argv.slice(2).map(Number) as [number, number]
if (!(concurrency >= 1 && seconds > 0)) {
  process.stderr.write('usage: argon2-raw.js <concurrency> <seconds>\n')
  process.exit(2)
}

const cpuBefore = process.cpuUsage()
const started = performance.now()
const deadline = started + seconds * 1000
const latencies: number[] = []
const worker = async (): Promise<void> => {
  while (performance.now() < deadline) {
    const begun = performance.now()
    await hash(randomBytes(16).toString('base64url'), ARGON2_PARAMS)
    const now = performance.now()
    if (now <= deadline) latencies.push(now - begun)
  }
}
await Promise.all(Array.from({ length: concurrency }, worker))
latencies.sort((a, b) => a - b)
const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN
const cpu = process.cpuUsage(cpuBefore)
const cpuMs = (cpu.user + cpu.system) / 1000
process.stdout.write(JSON.stringify({ hashes: latencies.length, seconds, p50Ms: at(0.5), p99Ms: at(0.99), cpuMs }) + '\n')
