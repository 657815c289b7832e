import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import { BACKSTOP_AUTOCHECKPOINT_PAGES, startCheckpointer } from './checkpointer.js'
import { migrateToLatest, openSqlite, openSqliteEngine } from './index.js'

const folders: string[] = []
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true })
})

function tempPath(): string {
  const folder = mkdtempSync(join(tmpdir(), 'tessera-checkpoint-'))
  folders.push(folder)
  return join(folder, 'tessera.db')
}

const sizeOf = (path: string): number => statSync(path).size

describe('SQLite checkpoints off the event loop', () => {
  it('a server engine copies its WAL into the database file from its worker, with the writer’s own checkpoint only a backstop', async () => {
    const path = tempPath()
    const { db } = openSqliteEngine(path)
    try {
      await migrateToLatest(db)
      const { rows } = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(db)
      expect(rows[0]!.wal_autocheckpoint).toBe(BACKSTOP_AUTOCHECKPOINT_PAGES)
      // The migrations' pages sit in the WAL (far fewer than either threshold) until a checkpoint
      // copies them: only the worker's can, so the file growing is its doing.
      const before = sizeOf(path)
      const deadline = Date.now() + 5000
      while (sizeOf(path) <= before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100))
      expect(sizeOf(path)).toBeGreaterThan(before)
    } finally {
      await db.destroy()
    }
  })

  it('a connection without a reader (the CLI, :memory:) keeps SQLite’s own checkpoints', async () => {
    const db = openSqlite(tempPath())
    try {
      const { rows } = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(db)
      expect(rows[0]!.wal_autocheckpoint).toBe(1000)
    } finally {
      await db.destroy()
    }
  })

  it('a worker that cannot open the file says so: the process warns, naming the file', async () => {
    const missing = join(tempPath(), 'absent.db')
    const warned = new Promise<Error>((resolve) => process.once('warning', resolve))
    const checkpointer = startCheckpointer(missing)
    try {
      const warning = await warned
      expect(warning.message).toContain('checkpointer cannot open')
      expect(warning.message).toContain(missing)
    } finally {
      checkpointer.stop()
    }
  })
})
