import { InvalidArgumentError, type Command } from 'commander'
import { formatTable } from '../format-table.js'
import { withTessera } from '../run-command.js'

interface Options {
  search?: string
  limit: number
  after?: number
}

const MAX_LIMIT = 10_000

/** Registers `tessera users list`: users by id, filtered by a search, a page at a time. */
export function registerUsersList(users: Command): void {
  users
    .command('list')
    .description('list users, oldest first')
    .option('--search <q>', 'only users whose e-mail or username contains this (any case)')
    .option('--limit <n>', `at most this many (1–${MAX_LIMIT})`, parseCount(1, MAX_LIMIT), 100)
    .option('--after <id>', 'only users with a greater id (the next page)', parseCount(0, Number.MAX_SAFE_INTEGER))
    .action((options: Options) =>
      withTessera(async (tessera) => {
        const found = await tessera.store.listUsers({ limit: options.limit, afterId: options.after, q: options.search })
        if (found.length === 0) {
          process.stderr.write('No users found.\n')
          return
        }
        const headers = ['ID', 'EMAIL', 'USERNAME', 'ACTIVE', 'STAFF', 'SUPERUSER', 'JOINED']
        const rows = found.map((u) => [u.id, u.email, u.username, u.isActive, u.isStaff, u.isSuperuser, u.dateJoined])
        process.stdout.write(`${formatTable(headers, rows)}\n`)
        const last = found.at(-1)
        if (found.length === options.limit && last) process.stderr.write(`More may follow: --after ${last.id}\n`)
      }),
    )
}

/** A commander parser for a whole number in [min, max]. */
function parseCount(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value)
    if (!/^\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`)
    return n
  }
}
