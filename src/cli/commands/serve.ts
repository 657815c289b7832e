import cluster from 'node:cluster'
import { InvalidArgumentError, Option, type Command } from 'commander'
import { ENVIRONMENT_HELP } from '../../config/env.js'
import { loadCliConfig, runAction } from '../run-command.js'

/** Registers `tessera serve`: one process, or a primary and workers sharing the port; SIGTERM drains them. */
export function registerServe(program: Command): void {
  const width = Math.max(...ENVIRONMENT_HELP.map(([name]) => name.length))
  program
    .command('serve')
    .description('start the HTTP server (configured by environment variables and ./.env)')
    .addOption(
      new Option('--workers <n>', 'processes sharing the port (default: 1; one per core when REDIS_URL is set)')
        .env('WORKERS')
        .argParser(wholeNumber('--workers', 1, 1024)),
    )
    .addOption(
      new Option('--shutdown-timeout <seconds>', 'how long SIGTERM waits for requests in flight before exiting 1')
        .default(10)
        .argParser(wholeNumber('--shutdown-timeout', 1, 3600)),
    )
    .addHelpText('after', ['', 'Environment:', ...ENVIRONMENT_HELP.map(([name, text]) => `  ${name.padEnd(width)}  ${text}`)].join('\n'))
    .action((options: { workers?: number; shutdownTimeout: number }) =>
      runAction(async () => {
        const config = loadCliConfig()
        const shutdown = { shutdownTimeoutMs: options.shutdownTimeout * 1000 }
        // Loaded here, not at the top: the other commands need not pay for Fastify and its plugins.
        const { serveOneProcess, servePrimary, serveWorker, workerCount } = await import('../../http/cluster.js')
        // A worker runs this same command line; its primary has checked the options already.
        if (cluster.isWorker) return serveWorker(config, shutdown)
        const workers = workerCount(options.workers, config)
        await (workers > 1 ? servePrimary(config, workers, shutdown) : serveOneProcess(config, shutdown))
      }).then(() => {
        // A worker that failed to start would otherwise stay alive on its channel to the primary.
        if (cluster.isWorker && process.exitCode) process.exit()
      }),
    )
}

/** A commander parser for a whole number in [min, max]; anything else is a usage error naming `flag`. */
function wholeNumber(flag: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${flag} must be a whole number from ${min} to ${max}.`)
    return n
  }
}
