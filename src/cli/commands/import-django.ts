import type { Command } from 'commander'
import { ImportStoppedError, type DjangoImport } from '../../core/django-import.js'
import type { DjangoSource } from '../django/django-source.js'
import { openDjangoSource } from '../django/open-django-source.js'
import { runDjangoImport } from '../django/run-django-import.js'
import { formatSummary, issuePrinter, startPhase, type PhaseProgress } from '../import-progress.js'
import { CommandError, EXIT_USAGE, withTessera } from '../run-command.js'

interface Options {
  from: string
  userTable: string
  emailColumn: string
  /** A name, or false with --no-username-column; undefined uses `username` when the table has it. */
  usernameColumn?: string | false
  dryRun?: boolean
  strict?: boolean
  emailsVerified?: boolean
  batchSize: string
}

/** Registers `tessera import-django`: a DRF deployment's users, password hashes and authtoken keys. */
export function registerImportDjango(program: Command): void {
  program
    .command('import-django')
    .description("import a Django REST Framework deployment's users (old passwords keep working) and authtoken keys (old clients keep working)")
    .requiredOption('--from <database>', 'the Django database: an SQLite file (path or sqlite:path) or postgres://…')
    .option('--user-table <name>', "the user table (a custom user model's db_table)", 'auth_user')
    .option('--email-column <name>', 'the column holding e-mails', 'email')
    .option('--username-column <name>', 'the column holding usernames (default: username, when there is one)')
    .option('--no-username-column', 'derive every username from the e-mail, as registration does')
    .option('--dry-run', 'read and check everything, write nothing')
    .option('--strict', 'stop at the first problem row (what was imported before it stays)')
    .option('--emails-verified', "mark imported e-mails verified (when Django's were)")
    .option('--batch-size <rows>', 'rows per read and per transaction', '5000')
    .action((options: Options) =>
      withTessera(async (tessera) => {
        const batchSize = Number(options.batchSize)
        if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 50_000) {
          throw new CommandError('--batch-size must be a whole number from 1 to 50000', EXIT_USAGE)
        }
        const source = await openDjangoSource(options.from, {
          userTable: options.userTable,
          emailColumn: options.emailColumn,
          usernameColumn: options.usernameColumn,
        })
        try {
          await runImport(source, options, batchSize, (onIssue) =>
            tessera.startDjangoImport({
              userTable: source.shape.userTable,
              dryRun: options.dryRun === true,
              strict: options.strict === true,
              emailsVerified: options.emailsVerified === true,
              onIssue,
            }),
          )
        } finally {
          await source.close()
        }
      }),
    )
}

/** Runs the import with a progress bar per phase; prints issues as they come and a summary at the end. */
async function runImport(
  source: DjangoSource,
  options: Options,
  batchSize: number,
  start: (onIssue: ReturnType<typeof issuePrinter>) => DjangoImport,
): Promise<void> {
  const { shape } = source
  // The bar of the phase running now; issues are printed above it.
  const current: { phase: PhaseProgress | null } = { phase: null }
  const importer = start(issuePrinter(() => current.phase))
  const started = performance.now()
  const summary = () => formatSummary(importer.report, (performance.now() - started) / 1000, options.dryRun === true)
  for (const warning of shape.warnings) process.stderr.write(`warning: ${warning}\n`)
  if (options.strict && shape.tokenTable === null) throw new CommandError(`stopped (--strict): ${shape.warnings.at(-1)}`)
  try {
    await runDjangoImport(source, importer, batchSize, {
      phase: (name, total) => {
        current.phase?.stop()
        current.phase = startPhase(name, total)
      },
      progress: (done) => current.phase?.update(done),
    })
  } catch (error) {
    if (!(error instanceof ImportStoppedError)) throw error
    process.stdout.write(summary())
    throw new CommandError(`stopped (--strict) at ${error.issue.row}; fix it, or run without --strict (what was imported stays, and a new run goes on from there)`)
  } finally {
    current.phase?.stop()
    current.phase = null
  }
  process.stdout.write(summary())
}
