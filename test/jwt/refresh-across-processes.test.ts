import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { TesseraError } from '../../src/core/errors.js'
import { openTessera, type OpenTessera } from '../../src/open-tessera.js'

// Regression: the grace window lived in one process, so a client whose two concurrent refreshes
// reached two workers was taken for a thief and logged out.
let dir: string
let a: OpenTessera
let b: OpenTessera
const settings = { refreshGraceSeconds: 1, loginThrottle: null, addressThrottle: null }
const password = 'correct horse battery staple 42'

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-refresh-'))
  const databaseUrl = `sqlite:${join(dir, 'shared.db')}`
  a = await openTessera({ databaseUrl, settings })
  b = await openTessera({ databaseUrl, settings })
  await a.tessera.createUser({ email: 'two@example.com', password })
})
afterAll(async () => {
  await a?.close()
  await b?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('refreshing one token in two processes at once', () => {
  test('both succeed within the grace window, and the session stays live', async () => {
    const { refresh } = await a.tessera.loginWithJwt({ identifier: 'two@example.com', password }, 'phone')
    const [fromA, fromB] = await Promise.all([a.tessera.refreshJwt(refresh), b.tessera.refreshJwt(refresh)])
    expect((await a.tessera.verifyAccessToken(fromA.access)).ok).toBe(true)
    expect((await a.tessera.verifyAccessToken(fromB.access)).ok).toBe(true)
    // Each successor keeps working on its own.
    expect((await b.tessera.refreshJwt(fromA.refresh)).access).toBeTruthy()
    expect((await a.tessera.refreshJwt(fromB.refresh)).access).toBeTruthy()
  })

  test('past the grace window a spent token still revokes the session, whichever process sees it', async () => {
    const { refresh } = await a.tessera.loginWithJwt({ identifier: 'two@example.com', password }, 'laptop')
    const next = await a.tessera.refreshJwt(refresh)
    await new Promise((resolve) => setTimeout(resolve, 1100))
    const reuse = b.tessera.refreshJwt(refresh)
    await expect(reuse).rejects.toBeInstanceOf(TesseraError)
    await expect(reuse).rejects.toMatchObject({ code: 'refresh_reused' })
    await expect(a.tessera.refreshJwt(next.refresh)).rejects.toMatchObject({ code: 'invalid_token' })
  })
})
