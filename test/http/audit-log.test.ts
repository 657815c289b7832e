import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { AuditEntry, AuditQuery } from '../../src/core/audit.js'
import { openPostgres, openSqlite, openStore } from '../../src/store/kysely/index.js'
import type { UserRecord } from '../../src/store/store.js'
import { bearer, login, makeServer, newAccount, register, whoAmI, type TestServer } from '../support/server.js'

/*
 * The audit log seen from the outside: requests to the real server, rows read back through the
 * core (and, after a stop, straight from the database), on SQLite and on PostgreSQL.
 */

let server: TestServer
let staffUser: UserRecord
let staffToken: string
const STAFF_ADDRESS = '198.51.100.7'

beforeAll(async () => {
  server = await makeServer()
  staffUser = await server.tessera.createUser(newAccount('staff'), { isStaff: true })
  staffToken = (await server.tessera.createSession(staffUser, 'ops')).token
})
afterAll(async () => {
  await server?.dispose()
})

/** The rows matching `query`, newest first (the listing writes what is still queued first). */
async function audit(query: AuditQuery): Promise<AuditEntry[]> {
  return (await server.tessera.listAuditEvents({ limit: 200, ...query })).events
}

describe('each request leaves its row: who, when, from where', () => {
  test('a login: login.succeeded and session.created, from the client’s address', async () => {
    const account = await register(server)
    const before = Date.now()
    const { sessionId } = await login(server, { email: account.email, password: account.password, device: 'phone' })
    const [created, succeeded] = await audit({ userId: account.userId, limit: 2 })
    expect(succeeded).toMatchObject({ kind: 'login.succeeded', userId: account.userId, actorId: null, address: '127.0.0.1' })
    expect(created).toMatchObject({ kind: 'session.created', userId: account.userId, address: '127.0.0.1', detail: { sessionId, device: 'phone' } })
    expect(succeeded!.at.getTime()).toBeGreaterThanOrEqual(before)
    expect(succeeded!.at.getTime()).toBeLessThanOrEqual(Date.now())
  })

  test('a failed login: the account named, the identifier, the reason, never the password', async () => {
    const account = await register(server)
    const response = await server.app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { username: account.username, password: 'not-the-password-123' },
      remoteAddress: '203.0.113.50',
    })
    expect(response.statusCode).toBe(400)
    const [failed] = await audit({ userId: account.userId, kind: 'login.failed' })
    expect(failed).toMatchObject({
      userId: account.userId,
      address: '203.0.113.50',
      detail: { identifier: account.username.toLowerCase(), reason: 'invalid_credentials' },
    })
    expect(JSON.stringify(failed)).not.toContain('not-the-password-123')
  })

  test('a logout: session.revoked with the reason', async () => {
    const account = await register(server)
    const response = await server.app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(account.token) })
    expect(response.statusCode).toBe(204)
    const [revoked] = await audit({ userId: account.userId, kind: 'session.revoked' })
    expect(revoked).toMatchObject({ userId: account.userId, detail: { reason: 'logout', sessionIds: [account.sessionId] } })
  })

  test('a password change: password.changed, and the other sessions revoked for it', async () => {
    const account = await register(server)
    await login(server, { email: account.email, password: account.password, device: 'laptop' })
    const response = await server.app.inject({
      method: 'POST',
      url: '/auth/password/change',
      headers: bearer(account.token),
      payload: { currentPassword: account.password, newPassword: 'a brand new passphrase 77' },
    })
    expect(response.statusCode, response.body).toBe(204)
    const [changed, revoked] = await audit({ userId: account.userId, limit: 2 })
    expect(changed).toMatchObject({ kind: 'password.changed', userId: account.userId })
    expect(revoked).toMatchObject({ kind: 'session.revoked', detail: { reason: 'password_changed', count: 1 } })
  })

  test('a staff deactivation: admin.action naming the staff member and their address', async () => {
    const account = await register(server)
    const response = await server.app.inject({
      method: 'PATCH',
      url: `/auth/admin/users/${account.userId}`,
      headers: bearer(staffToken),
      payload: { isActive: false },
      remoteAddress: STAFF_ADDRESS,
    })
    expect(response.statusCode, response.body).toBe(200)
    const [action] = await audit({ userId: account.userId, kind: 'admin.action' })
    expect(action).toMatchObject({
      userId: account.userId,
      actorId: staffUser.id,
      address: STAFF_ADDRESS,
      detail: { action: 'user_updated', changed: 'isActive', isActive: false },
    })
    const [revoked] = await audit({ userId: account.userId, kind: 'session.revoked' })
    expect(revoked?.detail.reason).toBe('user_deactivated')
  })

  test('the Staff API’s revocations and tokens: admin actions, the device named, the token never', async () => {
    const account = await register(server)
    const headers = bearer(staffToken)
    const minted = await server.app.inject({
      method: 'POST',
      url: `/auth/admin/users/${account.userId}/tokens`,
      headers,
      payload: { device: 'support laptop' },
      remoteAddress: STAFF_ADDRESS,
    })
    expect(minted.statusCode, minted.body).toBe(201)
    const { token } = minted.json() as { token: string }
    const revoked = await server.app.inject({ method: 'DELETE', url: `/auth/admin/users/${account.userId}/sessions`, headers, remoteAddress: STAFF_ADDRESS })
    expect(revoked.statusCode).toBe(204)
    const actions = await audit({ userId: account.userId, kind: 'admin.action' })
    expect(actions.map((a) => [a.detail.action, a.actorId, a.address])).toEqual([
      ['sessions_revoked', staffUser.id, STAFF_ADDRESS],
      ['token_created', staffUser.id, STAFF_ADDRESS],
    ])
    expect(actions[0]!.detail.count).toBe(2)
    expect(actions[1]!.detail.device).toBe('support laptop')
    expect(JSON.stringify(await audit({ userId: account.userId }))).not.toContain(token)
  })
})

describe('the writer and the server around it', () => {
  test('a burst of concurrent logins: every row arrives, once', async () => {
    const account = await register(server)
    const before = (await audit({ userId: account.userId })).length
    const devices = Array.from({ length: 40 }, (_, i) => `burst${i}`)
    await Promise.all(devices.map((device) => login(server, { email: account.email, password: account.password, device })))
    const created = await audit({ userId: account.userId, kind: 'session.created' })
    const burst = created.map((row) => String(row.detail.device)).filter((device) => device.startsWith('burst'))
    expect(burst.sort()).toEqual([...devices].sort())
    expect((await audit({ userId: account.userId })).length).toBe(before + 80)
  })

  test('rows queued when the server stops are written before its database closes', async () => {
    const own = await makeServer()
    let closed = false
    try {
      const account = await register(own)
      await login(own, { email: account.email, password: account.password, device: 'last' })
      // No flush, no wait: the stop itself must write them.
      await own.close()
      closed = true
      const store = await openStore(own.databaseUrl)
      try {
        const rows = await store.listAuditEvents({ userId: account.userId, limit: 10 })
        expect(rows.map((row) => row.kind)).toEqual(['session.created', 'login.succeeded', 'session.created', 'user.created'])
      } finally {
        await store.close()
      }
    } finally {
      if (!closed) await own.close()
      await own.dispose().catch(() => {})
    }
  })

  test('a database that refuses audit rows fails no request', async () => {
    const own = await makeServer()
    try {
      await dropAuditTable(own.databaseUrl)
      const account = await register(own)
      const loggedIn = await login(own, { email: account.email, password: account.password })
      expect((await whoAmI(own, loggedIn.token)).statusCode).toBe(200)
      const wrong = await own.app.inject({ method: 'POST', url: '/auth/login', payload: { email: account.email, password: 'wrong password 123' } })
      expect(wrong.statusCode).toBe(400)
      const out = await own.app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(loggedIn.token) })
      expect(out.statusCode).toBe(204)
      await own.tessera.flush()
      // Kept for a retry (and capped), not lost silently and not thrown at a client.
      expect(own.tessera.auditBacklog()?.pending).toBeGreaterThanOrEqual(5)
    } finally {
      await own.dispose()
    }
  })
})

/** Drops `audit_events` behind the server's back, through a connection of its own. */
async function dropAuditTable(databaseUrl: string): Promise<void> {
  const db = databaseUrl.startsWith('sqlite:') ? openSqlite(databaseUrl.slice('sqlite:'.length)) : openPostgres(databaseUrl)
  try {
    await sql`drop table audit_events`.execute(db)
  } finally {
    await db.destroy()
  }
}
