import type { Command } from 'commander'
import { ENVIRONMENT_HELP } from '../../config/env.js'
import { loadCliConfig, runAction } from '../run-command.js'

/** Registers `tessera serve`: starts the HTTP server and stops it cleanly on SIGINT or SIGTERM. */
export function registerServe(program: Command): void {
  const width = Math.max(...ENVIRONMENT_HELP.map(([name]) => name.length))
  program
    .command('serve')
    .description('start the HTTP server (configured by environment variables and ./.env)')
    .addHelpText('after', ['', 'Environment:', ...ENVIRONMENT_HELP.map(([name, text]) => `  ${name.padEnd(width)}  ${text}`)].join('\n'))
    .action(() =>
      runAction(async () => {
        const config = loadCliConfig()
        // Loaded here, not at the top: the other commands need not pay for Fastify and its plugins.
        const { startServer } = await import('../../http/server.js')
        const server = await startServer(config)
        let stopping = false
        const stop = (): void => {
          // A second signal while closing means "now": give up on the graceful close.
          if (stopping) process.exit(1)
          stopping = true
          server.close().then(
            () => process.exit(0),
            (error: unknown) => {
              process.stderr.write(`tessera: error: while closing: ${error instanceof Error ? error.message : String(error)}\n`)
              process.exit(1)
            },
          )
        }
        process.on('SIGINT', stop)
        process.on('SIGTERM', stop)
      }),
    )
}
