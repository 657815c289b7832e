import { openPostgresDjangoSource } from './postgres-django-source.js'
import { openSqliteDjangoSource } from './sqlite-django-source.js'
import type { DjangoSource, UserTableOptions } from './django-source.js'

/**
 * Opens the Django database `from` names: `postgres://…` or `postgresql://…`, else an SQLite file
 * (a path, `sqlite:path` or dj-database-url's `sqlite:///path`).
 */
export function openDjangoSource(from: string, options: UserTableOptions): Promise<DjangoSource> {
  if (/^postgres(ql)?:\/\//i.test(from)) return openPostgresDjangoSource(from, options)
  const path = from.replace(/^sqlite:(\/\/)?/i, '')
  return openSqliteDjangoSource(path, options)
}
