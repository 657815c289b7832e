import { createHash, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A GitHub user as the fake serves them. */
export interface FakeGithubUser {
  id: number
  login: string
  /** The public address on the profile, or null. */
  email: string | null
  emails: Array<{ email: string; primary: boolean; verified: boolean }>
  /** GitHub refuses /user/emails to tokens without the user:email scope (or to Apps without the permission). */
  emailsForbidden?: boolean
}

export const FAKE_GITHUB_CLIENT = { id: 'Iv1.fake-github-app', secret: 'fake-github-secret-for-tests' }

/**
 * A small local stand-in for github.com (which these machines cannot reach): the authorize page
 * as it behaves for a person who already approved the app (straight back with a code), the token
 * endpoint (with GitHub's quirk of answering a bad code with 200 and `{"error": …}`), and the two
 * REST routes Tessera reads, /user and /user/emails. Only the behaviour Tessera relies on is copied.
 */
export interface FakeGithub {
  base: string
  users: Map<string, FakeGithubUser>
  /** The login of the person "signed in at GitHub" in the browser; the authorize page approves as them. */
  signedIn: string
  /** Makes the REST API answer 500, as GitHub does during an incident. */
  apiDown: boolean
  /** The Authorization and User-Agent headers of every API request, for assertions. */
  apiRequests: Array<{ path: string; authorization: string | undefined; userAgent: string | undefined }>
  close(): Promise<void>
}

export async function startFakeGithub(): Promise<FakeGithub> {
  const codes = new Map<string, { login: string; redirectUri: string; challenge: string | null }>()
  const tokens = new Map<string, string>()
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => json(response, 500, { message: String(error) }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const fake: FakeGithub = {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    users: new Map([
      ['octocat', { id: 583231, login: 'octocat', email: null, emails: [
        { email: 'octo-old@example.org', primary: false, verified: false },
        { email: 'octocat@example.com', primary: true, verified: true },
      ] }],
      ['unverified', { id: 77, login: 'unverified', email: null, emails: [{ email: 'unverified@example.com', primary: true, verified: false }] }],
      ['private', { id: 78, login: 'private', email: 'private-public@example.com', emails: [], emailsForbidden: true }],
    ]),
    signedIn: 'octocat',
    apiDown: false,
    apiRequests: [],
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', fake.base)
    if (request.method === 'GET' && url.pathname === '/login/oauth/authorize') {
      const redirect = new URL(url.searchParams.get('redirect_uri') ?? '')
      const code = randomBytes(10).toString('hex')
      codes.set(code, { login: fake.signedIn, redirectUri: redirect.href, challenge: url.searchParams.get('code_challenge') })
      redirect.searchParams.set('code', code)
      if (url.searchParams.has('state')) redirect.searchParams.set('state', url.searchParams.get('state')!)
      response.writeHead(302, { location: redirect.href }).end()
      return
    }
    if (request.method === 'POST' && url.pathname === '/login/oauth/access_token') {
      const form = new URLSearchParams(await body(request))
      if (form.get('client_id') !== FAKE_GITHUB_CLIENT.id || form.get('client_secret') !== FAKE_GITHUB_CLIENT.secret) {
        return json(response, 200, { error: 'incorrect_client_credentials', error_description: 'The client_id and/or client_secret passed are incorrect.' })
      }
      const code = codes.get(form.get('code') ?? '')
      codes.delete(form.get('code') ?? '')
      const verifier = form.get('code_verifier')
      const pkceOk = code?.challenge == null || (verifier !== null && createHash('sha256').update(verifier).digest('base64url') === code.challenge)
      if (!code || code.redirectUri !== form.get('redirect_uri') || !pkceOk) {
        // GitHub's own answer to a bad, used or expired code: status 200.
        return json(response, 200, { error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.' })
      }
      const token = `gho_${randomBytes(18).toString('hex')}`
      tokens.set(token, code.login)
      return json(response, 200, { access_token: token, token_type: 'bearer', scope: 'read:user,user:email' })
    }
    if (request.method === 'GET' && url.pathname.startsWith('/api/')) {
      fake.apiRequests.push({ path: url.pathname, authorization: request.headers.authorization, userAgent: request.headers['user-agent'] })
      if (fake.apiDown) return json(response, 500, { message: 'Server Error' })
      const user = fake.users.get(tokens.get((request.headers.authorization ?? '').replace(/^Bearer /i, '')) ?? '')
      if (!user) return json(response, 401, { message: 'Bad credentials' })
      if (url.pathname === '/api/user') return json(response, 200, { id: user.id, login: user.login, email: user.email, name: null })
      if (url.pathname === '/api/user/emails') {
        return user.emailsForbidden
          ? json(response, 403, { message: 'Resource not accessible by integration' })
          : json(response, 200, user.emails.map((entry) => ({ ...entry, visibility: null })))
      }
    }
    json(response, 404, { message: 'Not Found' })
  }

  return fake
}

function json(response: ServerResponse, status: number, value: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(value))
}

async function body(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}
