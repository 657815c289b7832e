import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { browserMissing, launchChromium } from '../support/browser.js'
import { buildDist, CLI, ROOT, startChild, type ChildServer } from '../support/child-server.js'

/*
 * The admin page in Debian's Chromium, against the server `npm start` runs, with JavaScript turned
 * off (the page must work without it) and signed in by keyboard alone. Screenshots of each page
 * go to test-output/admin/.
 */

const SHOTS = join(ROOT, 'test-output', 'admin')
const PASSWORD = 'correct horse battery staple 42'
const ADMIN = { email: `root.${process.pid}@example.com`, password: 'Adm1n-only pass phrase for tests' }
const run = `${process.pid}`

/** A user registered through the API, with the token of its first session. */
interface ApiUser {
  email: string
  password: string
  token: string
  id: number
}

const missing = browserMissing()

describe.skipIf(missing !== null)('the admin page in a real browser', () => {
  let dir: string
  let child: ChildServer
  let browser: Browser
  let context: BrowserContext
  let page: Page
  let alice: ApiUser
  let bob: ApiUser
  let buildServerToken: string

  const register = async (email: string, device: string): Promise<ApiUser> => {
    const response = await fetch(`${child.url}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD, device }),
    })
    expect(response.status, await response.clone().text()).toBe(201)
    const body = (await response.json()) as { token: string; user: { id: number } }
    return { email, password: PASSWORD, token: body.token, id: body.user.id }
  }
  /** The status /auth/user answers for a token: 200 while it works, 401 once revoked. */
  const apiStatus = async (token: string, scheme = 'Token'): Promise<number> =>
    (await fetch(`${child.url}/auth/user`, { headers: { authorization: `${scheme} ${token}` } })).status
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true })
    await buildDist()
    dir = mkdtempSync(join(tmpdir(), 'tessera-admin-'))
    const env = { DATABASE_URL: `sqlite:${join(dir, 'tessera.db')}`, ANON_THROTTLE: 'off', LOG_LEVEL: 'warn' }
    // The superuser is made the way the README says: the CLI, without prompts.
    await promisify(execFile)(process.execPath, [CLI, 'createsuperuser', '--no-input'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', ...env, TESSERA_SUPERUSER_EMAIL: ADMIN.email, TESSERA_SUPERUSER_PASSWORD: ADMIN.password },
    })
    child = await startChild(env, dir)
    alice = await register(`alice.${run}@example.com`, 'Alice phone')
    bob = await register(`bob.${run}@example.com`, 'Bob laptop')
    for (const name of ['carol', 'dave', 'erin', 'frank']) await register(`${name}.${run}@example.com`, 'Phone')
    browser = await launchChromium()
    context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1200, height: 800 } })
    page = await context.newPage()
  }, 180_000)

  afterAll(async () => {
    await browser?.close()
    await child?.kill9()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  test('a superuser made by `createsuperuser --no-input` signs in with the keyboard alone; the cookie is HttpOnly and SameSite=Lax', async () => {
    await page.goto(`${child.url}/admin`)
    await expect.poll(() => new URL(page.url()).pathname).toBe('/admin/sign-in')
    await shot('sign-in')
    // The e-mail field has the focus on arrival; Tab moves to the password, Enter submits.
    await page.keyboard.type(ADMIN.email)
    await page.keyboard.press('Tab')
    await page.keyboard.type(ADMIN.password)
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { name: 'Users' }).waitFor()
    expect(await page.getByRole('status').textContent()).toContain(`Signed in as ${ADMIN.email}`)

    const session = (await context.cookies()).find((c) => c.name === 'tessera_admin')!
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/admin', secure: false })
    expect(session.value).toMatch(/^tsr_/)
  })

  test('finds a user by search and opens their page', async () => {
    await shot('users')
    await page.getByLabel('Search e-mail or username').fill(`alice.${run}`)
    await page.keyboard.press('Enter')
    await page.waitForURL(/\/admin\/users\?q=/)
    const rows = page.locator('tbody tr')
    expect(await rows.count()).toBe(1)
    await page.getByRole('link', { name: alice.email }).click()
    await page.getByRole('heading', { name: alice.email }).waitFor()
    expect(await page.locator('tbody').textContent()).toContain('Alice phone')
    await shot('user')
  })

  test('creates a token for a named device, shows it once, and the API accepts it', async () => {
    await page.getByLabel('Create a token for a device').fill('Build server')
    await page.getByRole('button', { name: 'Create token' }).click()
    await page.getByRole('heading', { name: 'Token created' }).waitFor()
    buildServerToken = (await page.locator('#token').textContent())!.trim()
    expect(buildServerToken).toMatch(/^tsr_[A-Za-z0-9_-]{43}$/)
    await shot('token-created')
    expect(await apiStatus(buildServerToken)).toBe(200)
    expect(await apiStatus(buildServerToken, 'Bearer')).toBe(200)

    await page.getByRole('link', { name: 'Back to the user' }).click()
    expect(await page.locator('tbody').textContent()).toContain('Build server')
    // Shown once: the user's page never shows a token.
    expect(await page.content()).not.toContain(buildServerToken)
  })

  test("revokes one session after a confirmation; that token gets 401 and the user's other token still works", async () => {
    expect(await apiStatus(alice.token)).toBe(200)
    await page.getByRole('row', { name: /Alice phone/ }).getByRole('link', { name: 'Revoke…' }).click()
    await page.getByRole('heading', { name: /Revoke this session/ }).waitFor()
    await shot('confirm-revoke-session')
    await page.getByRole('button', { name: 'Revoke session' }).click()
    await page.getByRole('heading', { name: alice.email }).waitFor()
    expect(await page.getByRole('status').textContent()).toContain('Revoked the session.')
    expect(await page.locator('main').textContent()).not.toContain('Alice phone')
    expect(await apiStatus(alice.token)).toBe(401)
    expect(await apiStatus(buildServerToken)).toBe(200)
  })

  test('deactivates the user after a confirmation; their token then gets 401 from the API', async () => {
    await page.getByRole('link', { name: 'Deactivate…' }).click()
    await page.getByRole('heading', { name: `Deactivate ${alice.email}?` }).waitFor()
    await shot('confirm-deactivate')
    await page.getByRole('button', { name: 'Deactivate' }).click()
    await page.getByRole('heading', { name: alice.email }).waitFor()
    expect(await page.getByRole('status').textContent()).toContain(`Deactivated ${alice.email}`)
    expect(await page.locator('dl').textContent()).toContain('inactive')
    expect(await apiStatus(buildServerToken)).toBe(401)
    const login = await fetch(`${child.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: alice.email, password: PASSWORD }),
    })
    expect(login.status).toBe(400)
  })

  test('a form post without the CSRF token (or with a wrong one) is refused, and changes nothing', async () => {
    const activate = `${child.url}/admin/users/${alice.id}/activate`
    for (const form of [{}, { _csrf: 'forged' }] as Record<string, string>[]) {
      const response = await context.request.post(activate, { form, maxRedirects: 0 })
      expect(response.status()).toBe(403)
      expect(await response.text()).toContain('CSRF verification failed')
    }
    await page.reload()
    expect(await page.locator('dl').textContent()).toContain('inactive')
  })

  test('the audit log shows who did what to the user, when and from where', async () => {
    await page.getByRole('link', { name: 'Audit log for this user' }).click()
    await page.getByRole('heading', { name: 'Audit log' }).waitFor()
    const text = (await page.locator('tbody').textContent())!
    expect(text).toMatch(/session\.revoked/)
    expect(text).toMatch(/admin\./)
    expect(text).toContain('127.0.0.1')
    await shot('audit')
    // The list again, now with an inactive user: the README's screenshot.
    await page.getByRole('link', { name: 'Users', exact: true }).click()
    await page.getByRole('heading', { name: 'Users' }).waitFor()
    expect(await page.getByRole('row', { name: new RegExp(alice.email) }).textContent()).toContain('inactive')
    await shot('users-after-actions')
  })

  test('signing out ends the admin session: its token is dead', async () => {
    const token = (await context.cookies()).find((c) => c.name === 'tessera_admin')!.value
    expect(await apiStatus(token)).toBe(200)
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('heading', { name: 'Sign in' }).waitFor()
    expect(await apiStatus(token)).toBe(401)
    await page.goto(`${child.url}/admin/users`)
    await expect.poll(() => new URL(page.url()).pathname).toBe('/admin/sign-in')
  })

  test('a user who is not staff cannot sign in, with the right password', async () => {
    const other = await browser.newContext({ javaScriptEnabled: false })
    const tab = await other.newPage()
    await tab.goto(`${child.url}/admin/sign-in`)
    await tab.getByLabel('E-mail or username').fill(bob.email)
    await tab.getByLabel('Password').fill(bob.password)
    await tab.getByRole('button', { name: 'Sign in' }).click()
    await tab.getByRole('alert').waitFor()
    expect(await tab.getByRole('alert').textContent()).toContain('for a staff account')
    expect((await other.cookies()).some((c) => c.name === 'tessera_admin')).toBe(false)
    await tab.screenshot({ path: join(SHOTS, 'sign-in-refused.png'), fullPage: true })
    await tab.goto(`${child.url}/admin/users`)
    await expect.poll(() => new URL(tab.url()).pathname).toBe('/admin/sign-in')
    await other.close()
  })
})
