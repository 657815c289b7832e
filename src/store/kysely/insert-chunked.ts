import { CompiledQuery, type Compilable, type Transaction } from 'kysely'
import type { Database } from './schema.js'

/** SQLite's default bound-parameter limit; PostgreSQL allows 65535, so this serves both. */
const MAX_PARAMETERS = 32766
/** Rows per multi-row INSERT (and ids per IN list), so no one statement grows huge. */
export const MAX_ROWS_PER_STATEMENT = 1000

/**
 * Inserts `rows` (all with the same keys) in multi-row INSERTs under the engines' parameter
 * limits. Building and compiling a thousand-row INSERT costs as much as running it, so the SQL
 * is compiled once per chunk size and reused with the next chunk's values. With `retry`, a chunk
 * whose INSERT failed goes to it (in the same transaction, the failed statement undone) instead
 * of failing the whole call.
 */
export async function insertChunked<Row extends object>(
  trx: Transaction<Database>,
  rows: Row[],
  build: (chunk: Row[]) => Compilable,
  retry?: (chunk: Row[], error: unknown) => Promise<void>,
): Promise<void> {
  if (rows.length === 0) return
  const columns = Object.keys(rows[0] as Row) as (keyof Row)[]
  const size = Math.min(MAX_ROWS_PER_STATEMENT, Math.floor(MAX_PARAMETERS / columns.length))
  let template: CompiledQuery | undefined
  for (let start = 0; start < rows.length; start += size) {
    const chunk = rows.slice(start, start + size)
    const values = valuesOf(chunk, columns)
    try {
      if (template === undefined || template.parameters.length !== values.length) {
        const compiled = build(chunk).compile()
        // Checked before it runs, so a chunk that fails still leaves the template for the next.
        // Reuse rests on Kysely binding values row by row in column order; check it, don't trust it.
        template = sameValues(compiled.parameters, values) ? compiled : undefined
        await trx.executeQuery(compiled)
      } else {
        await trx.executeQuery(CompiledQuery.raw(template.sql, values))
      }
    } catch (error) {
      if (retry === undefined) throw error
      await retry(chunk, error)
    }
  }
}

/** Consecutive runs of `items` that agree on `key`, in order: rows a multi-row INSERT can share. */
export function* runsBy<T>(items: T[], key: (item: T) => boolean): Generator<T[]> {
  let start = 0
  for (let i = 1; i <= items.length; i++) {
    if (i === items.length || key(items[i] as T) !== key(items[start] as T)) {
      yield items.slice(start, i)
      start = i
    }
  }
}

/** The chunk's values row by row, in column order: flatMap costs four times as much here. */
function valuesOf<Row>(chunk: Row[], columns: (keyof Row)[]): unknown[] {
  const values = new Array<unknown>(chunk.length * columns.length)
  let i = 0
  for (const row of chunk) for (const column of columns) values[i++] = row[column]
  return values
}

function sameValues(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i])
}
