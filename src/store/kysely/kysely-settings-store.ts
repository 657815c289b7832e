import type { Kysely } from 'kysely'
import type { Store } from '../store.js'
import type { Database } from './schema.js'

/** The part of `Store` over the server's own settings. */
export type SettingsStore = Pick<Store, 'getSetting' | 'putSettingIfAbsent' | 'replaceSetting'>

/** Builds the settings methods of the Kysely store; `createKyselyStore` composes them with the rest. */
export function createKyselySettingsStore(db: Kysely<Database>): SettingsStore {
  return {
    async getSetting(key) {
      const row = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst()
      return row ? row.value : null
    },

    async putSettingIfAbsent(key, value) {
      // Insert-or-ignore, then read: whichever writer came first wins, and every caller sees it.
      await db
        .insertInto('settings')
        .values({ key, value })
        .onConflict((oc) => oc.column('key').doNothing())
        .execute()
      const row = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirstOrThrow()
      return row.value
    },

    async replaceSetting(key, expected, value) {
      // Compare-and-set in one statement: a writer that read a stale value changes nothing.
      const result = await db
        .updateTable('settings')
        .set({ value })
        .where('key', '=', key)
        .where('value', '=', expected)
        .executeTakeFirst()
      return result.numUpdatedRows === 1n
    },
  }
}
