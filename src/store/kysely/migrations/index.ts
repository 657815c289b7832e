import type { Migration, MigrationProvider } from 'kysely'
import * as users from './0001-users.js'
import * as sessions from './0002-sessions.js'
import * as settings from './0003-settings.js'
import * as refreshTokens from './0004-refresh-tokens.js'
import * as oneTimeTokens from './0005-one-time-tokens.js'
import * as auditLog from './0006-audit-log.js'
import * as socialIdentities from './0007-social-identities.js'
import * as djangoImport from './0008-django-import.js'
import * as sessionSlots from './0009-session-slots.js'

/**
 * Every migration in the order it runs; an in-code map survives bundling, where a folder scan
 * would not. A shipped migration is never edited: add the next one here instead.
 */
export const migrations: Readonly<Record<string, Migration>> = Object.freeze({
  '0001-users': users,
  '0002-sessions': sessions,
  '0003-settings': settings,
  '0004-refresh-tokens': refreshTokens,
  '0005-one-time-tokens': oneTimeTokens,
  '0006-audit-log': auditLog,
  '0007-social-identities': socialIdentities,
  '0008-django-import': djangoImport,
  '0009-session-slots': sessionSlots,
})

/** The provider Kysely's `Migrator` reads Tessera's migrations from. */
export const migrationProvider: MigrationProvider = {
  getMigrations: async () => ({ ...migrations }),
}
