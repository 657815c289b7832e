import { sql, type Kysely } from 'kysely'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { createTestDatabase, testDatabaseUrl, type CreatedDatabase } from '../../../test/support/database.js'
import { newUser } from '../fixtures.contract.js'
import { compileOnce, compileOncePerColumns } from './compiled-once.js'
import { createKyselyStore, migrateToLatest, openPostgres, openSqlite } from './index.js'
import type { Database } from './schema.js'

const serverUrl = testDatabaseUrl()
const created: CreatedDatabase[] = []
const opened: Kysely<Database>[] = []

afterEach(async () => {
  for (const db of opened.splice(0)) await db.destroy()
})
afterAll(async () => {
  for (const database of created.splice(0)) await database.drop()
})

const engines: Array<[string, () => Promise<Kysely<Database>>]> = [
  ['sqlite', async () => openSqlite(':memory:')],
]
if (serverUrl !== null) {
  engines.push([
    'postgres',
    async () => {
      const database = await createTestDatabase(serverUrl)
      created.push(database)
      return openPostgres(database.url)
    },
  ])
}

describe.each(engines)('compileOnce() on %s', (_engine, open) => {
  /** A migrated database holding two users, and their ids. */
  async function twoUsers(): Promise<{ db: Kysely<Database>; ids: [number, number] }> {
    const db = await open()
    opened.push(db)
    await migrateToLatest(db)
    const store = createKyselyStore(db)
    const ids: number[] = []
    for (const name of ['ann', 'bob']) {
      const result = await store.insertUser(newUser({ username: name, usernameKey: name }))
      if (!result.ok) throw new Error('fixture user refused')
      ids.push(result.user.id)
    }
    return { db, ids: ids as [number, number] }
  }

  it('puts each value where its name was built, though the SQL takes them in another order', async () => {
    const { db, ids } = await twoUsers()
    // Built where-then-set; the SQL says SET before WHERE, so the parameters come set-first.
    const setBio = compileOnce(db, (value) =>
      db
        .updateTable('users')
        .where('id', '=', value<number>('id'))
        .set({ bio: value<string>('bio') })
        .returning(['id', 'bio']),
    )
    expect(await setBio({ id: ids[1], bio: 'second' })).toEqual([{ id: ids[1], bio: 'second' }])
    const bios = await db.selectFrom('users').select(['id', 'bio']).orderBy('id').execute()
    expect(bios).toEqual([
      { id: ids[0], bio: null },
      { id: ids[1], bio: 'second' },
    ])
  })

  it('gives one name to every place it was built, and runs in a transaction when given one', async () => {
    const { db, ids } = await twoUsers()
    const named = compileOnce(db, (value) =>
      db
        .selectFrom('users')
        .select('username_key')
        .where((eb) => eb.or([eb('id', '=', value<number>('id')), eb('username_key', '=', value<string>('key')), eb('id', '=', value<number>('id'))])),
    )
    expect(await named({ id: ids[0], key: 'nobody' })).toEqual([{ username_key: 'ann' }])
    const inside = await db.transaction().execute(async (trx) => {
      await trx.updateTable('users').set({ username_key: 'carl' }).where('id', '=', ids[1]).execute()
      return named({ id: -1, key: 'carl' }, trx)
    })
    expect(inside).toEqual([{ username_key: 'carl' }])
  })

  it('compileOncePerColumns() compiles a statement for each set of columns, and writes only the row’s own', async () => {
    const { db, ids } = await twoUsers()
    const update = compileOncePerColumns(db, (columns, value) =>
      db.updateTable('users').set(columns).where('id', '=', value<number>(':id')).returning(['id', 'bio', 'image']),
    )
    expect(await update({ bio: 'one' }, { ':id': ids[0] })).toEqual([{ id: ids[0], bio: 'one', image: null }])
    expect(await update({ image: 'two.png', bio: 'two' }, { ':id': ids[1] })).toEqual([{ id: ids[1], bio: 'two', image: 'two.png' }])
    // The first set again, after the second was compiled: its own statement, which leaves `image` alone.
    expect(await update({ bio: 'three' }, { ':id': ids[1] })).toEqual([{ id: ids[1], bio: 'three', image: 'two.png' }])
  })

  it('refuses at once a query with a parameter that was given no name', async () => {
    const { db } = await twoUsers()
    expect(() => compileOnce(db, (value) => db.selectFrom('users').selectAll().where('id', '=', value<number>('id')).where('bio', '=', 'fixed'))).toThrow(
      /a parameter of `select .* was given no name/,
    )
    expect(() => compileOnce(db, () => db.selectFrom('users').selectAll().where(sql<boolean>`id = ${1}`))).toThrow(TypeError)
  })
})
