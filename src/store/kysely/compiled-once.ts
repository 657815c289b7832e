import { CompiledQuery, type Compilable, type Kysely, type Transaction } from 'kysely'
import type { Database } from './schema.js'

/** Where a compiled query runs: the store's database, or a transaction on it. */
export type QueryTarget = Kysely<Database> | Transaction<Database>

/** Stands in for the value `name` while a query is built; typed as whatever the builder expects there. */
export type NamedValue = <T>(name: string) => T

/** A query compiled once: each run gives its values by the names the build gave them. */
export type CompiledOnce<Row> = (values: Readonly<Record<string, unknown>>, on?: QueryTarget) => Promise<Row[]>

/**
 * Builds and compiles a query once, for statements a login, a token refresh or a touch batch runs
 * every time: building and compiling a Kysely query costs more main-thread time than SQLite takes
 * to answer it, and a login's main-thread time is taken from the argon2 threads beside it.
 *
 * `build` puts `value(name)` wherever a run's value goes. Each is a marker object, found again
 * among the compiled parameters, so a run's values land where the build put them whatever order
 * the dialect writes them in. A parameter the build did not name is refused here, once, rather
 * than left the same on every run. One statement text, so SQLite's statement cache prepares it
 * once. Runs on `db` unless given a transaction.
 */
export function compileOnce<Row>(db: Kysely<Database>, build: (value: NamedValue) => Compilable<Row>): CompiledOnce<Row> {
  const names = new Map<object, string>()
  const value = <T>(name: string): T => {
    const marker = { name }
    names.set(marker, name)
    return marker as T
  }
  const { sql, parameters } = build(value).compile()
  const order = parameters.map((parameter) => {
    const name = typeof parameter === 'object' && parameter !== null ? names.get(parameter) : undefined
    if (name === undefined) throw new TypeError(`tessera: a parameter of \`${sql}\` was given no name`)
    return name
  })
  return async (values, on = db) =>
    (await on.executeQuery<Row>(CompiledQuery.raw(sql, order.map((name) => values[name])))).rows
}

/** A statement over the columns of a row, compiled once for each set of columns it is given. */
export type CompiledPerColumns<Row> = (row: object, extra?: Readonly<Record<string, unknown>>, on?: QueryTarget) => Promise<Row[]>

/**
 * `compileOnce` for a statement that writes a row's columns (an INSERT's values, an UPDATE's SET):
 * `build` gets the row's columns as named values, plus `value` for the rest (`extra`, whose names
 * must be no column's), and the statement is compiled on the first row with each set of columns.
 * Rows made by one mapping function add their columns in one order, so a set has one key, and
 * there are only as many sets as the callers make: the cache needs no bound.
 */
export function compileOncePerColumns<Row>(
  db: Kysely<Database>,
  build: (columns: Record<string, unknown>, value: NamedValue) => Compilable<Row>,
): CompiledPerColumns<Row> {
  const compiled = new Map<string, CompiledOnce<Row>>()
  return (row, extra = {}, on) => {
    const columns = Object.keys(row)
    const key = columns.join()
    let run = compiled.get(key)
    if (run === undefined) {
      run = compileOnce(db, (value) => build(Object.fromEntries(columns.map((column) => [column, value(column)])), value))
      compiled.set(key, run)
    }
    return run({ ...row, ...extra }, on)
  }
}
