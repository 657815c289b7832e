import type { NewDjangoUser, SessionRecord, UserRecord } from '../store/store.js'
import type { CoreContext } from './context.js'
import {
  checkDrfKey,
  distinctUsername,
  djangoTime,
  mapDjangoUser,
  tokenRowName,
  type DjangoTokenRow,
  type DjangoUserRow,
  type ImportIssue,
  type ImportIssueKind,
} from './django-rows.js'
import { sessionExpiry } from './sessions.js'
import { generateSessionId, hashSecret } from './tokens.js'

/** How an import runs. */
export interface DjangoImportOptions {
  /** The user table's name, for naming rows in messages. */
  userTable: string
  /** Read and check everything, write nothing. */
  dryRun: boolean
  /** Stop at the first problem row (a conflict, an invalid row, a missing user, an unverifiable hash). */
  strict: boolean
  /** Mark imported e-mails verified. */
  emailsVerified: boolean
  /** Hears every issue as it is found: batch by batch, in row order within each. */
  onIssue?: (issue: ImportIssue) => void
}

/** What happened to the rows of one table. */
export interface ImportCounts {
  read: number
  /** Written (or, in a dry run, that would be). */
  imported: number
  /** Imported by an earlier run, so left alone. */
  unchanged: number
  /** Not imported: a conflict, an invalid row or a missing user. */
  skipped: number
}

/** The running totals of an import, for its progress bar and its summary. */
export interface DjangoImportReport {
  users: ImportCounts & {
    /** Imported under a new Tessera id, as their Django id was taken. */
    renumbered: number
  }
  tokens: ImportCounts
  issues: Record<ImportIssueKind, number>
}

/** The device name of every session made from a DRF key. */
export const IMPORTED_DEVICE = 'imported from DRF'

/** Thrown by a strict import at the first problem row; nothing of that row's batch was written. */
export class ImportStoppedError extends Error {
  constructor(readonly issue: ImportIssue) {
    super(`stopped at ${issue.row}: ${issue.message}`)
    this.name = 'ImportStoppedError'
  }
}

const PROBLEMS: ReadonlySet<ImportIssueKind> = new Set(['conflict', 'invalid', 'missing_user', 'password'])
const DEFERRED_BATCH = 1000

/** A user row that passed mapping, on its way to a batch. */
interface Candidate {
  djangoId: number
  /** Where its row's issues go, so a batch reports them in row order. */
  rowIssues: ImportIssue[]
  user: NewDjangoUser['user']
  usernameDerived: boolean
  issues: ImportIssue[]
}

/**
 * Imports a Django deployment's users and DRF keys into Tessera, batch by batch, so that running
 * it again changes nothing: a Django user is known by its id (linked to the Tessera user it
 * became), a DRF key by its hash. Users keep their Django id as Tessera id where it is free; an
 * e-mail or username held by someone else is reported, never merged. Feed it every user batch,
 * then call `finishUsers()`, then feed it every token batch.
 */
export class DjangoImport {
  readonly report: DjangoImportReport = {
    users: { read: 0, imported: 0, unchanged: 0, skipped: 0, renumbered: 0 },
    tokens: { read: 0, imported: 0, unchanged: 0, skipped: 0 },
    issues: { conflict: 0, invalid: 0, missing_user: 0, password: 0, changed: 0 },
  }

  readonly #ctx: CoreContext
  readonly #options: DjangoImportOptions
  readonly #now: Date
  // Keys claimed in this run but not yet in the store (the current batch and the deferred users;
  // in a dry run, everything), each mapped to the Django id that claimed it.
  readonly #claimedIds = new Map<number, number>()
  readonly #claimedEmails = new Map<string, number>()
  readonly #claimedUsernames = new Map<string, number>()
  // Django users this run would import but has not written (a dry run's, and the deferred ones).
  readonly #planned = new Set<number>()
  readonly #deferred: Candidate[] = []
  readonly #skippedUsers = new Set<number>()

  constructor(ctx: CoreContext, options: DjangoImportOptions) {
    this.#ctx = ctx
    this.#options = options
    this.#now = ctx.clock.now()
  }

  /** Imports one batch of user rows (in id order); throws `ImportStoppedError` when strict. */
  async importUsers(rows: DjangoUserRow[]): Promise<void> {
    const { store } = this.#ctx
    this.report.users.read += rows.length
    const linked = new Set((await store.findDjangoUserLinks(rows.map((row) => row.id))).map((link) => link.djangoId))
    const issuesByRow = rows.map((): ImportIssue[] => [])
    const candidates: Candidate[] = []
    rows.forEach((row, i) => {
      if (linked.has(row.id) || this.#planned.has(row.id)) {
        this.report.users.unchanged++
        return
      }
      const mapped = mapDjangoUser(row, { table: this.#options.userTable, now: this.#now, emailsVerified: this.#options.emailsVerified })
      if (!mapped.ok) return this.#skipUser(row.id, mapped.issue, issuesByRow[i]!)
      const { user, usernameDerived, issues } = mapped
      candidates.push({ djangoId: row.id, rowIssues: issuesByRow[i]!, user, usernameDerived, issues })
    })
    const held = await store.findUsersByAnyKey({
      ids: candidates.map((candidate) => candidate.djangoId),
      emailKeys: candidates.map((candidate) => candidate.user.emailKey),
      usernameKeys: candidates.flatMap(({ user, usernameDerived, djangoId }) =>
        usernameDerived ? [user.usernameKey, distinctUsername(user, djangoId).usernameKey] : [user.usernameKey],
      ),
    })
    const batch: Candidate[] = []
    for (const candidate of candidates) {
      const placed = this.#place(candidate, held)
      if (placed === 'batch') batch.push(candidate)
      else if (placed === 'deferred') this.#deferred.push(candidate)
    }
    this.#publish(issuesByRow.flat())
    if (this.#options.dryRun) {
      for (const candidate of batch) this.#planned.add(candidate.djangoId)
      this.report.users.imported += batch.length
      return
    }
    this.report.users.imported += await this.#insertUsers(batch)
    for (const candidate of batch) this.#release(candidate)
  }

  /** Imports the users whose Django id was taken in Tessera, under new ids; call after the last user batch. */
  async finishUsers(): Promise<void> {
    for (let start = 0; start < this.#deferred.length; start += DEFERRED_BATCH) {
      const chunk = this.#deferred.slice(start, start + DEFERRED_BATCH)
      const ids = this.#options.dryRun ? chunk.map(() => null) : await this.#insertUserBatch(chunk)
      const issues: ImportIssue[] = []
      chunk.forEach((candidate, i) => {
        const id = ids[i]
        if (id === undefined) return
        if (!this.#options.dryRun) this.#release(candidate)
        this.report.users.imported++
        this.report.users.renumbered++
        const becomes = id === null ? 'would get a new id' : `was imported as Tessera user ${id}`
        issues.push(this.#changed(candidate.djangoId, `has an id another Tessera user holds; ${becomes}`))
      })
      this.#publish(issues)
    }
    if (this.#options.dryRun) for (const candidate of this.#deferred) this.#planned.add(candidate.djangoId)
    this.#deferred.length = 0
  }

  /** Imports one batch of DRF token rows as sessions; throws `ImportStoppedError` when strict. */
  async importTokens(rows: DjangoTokenRow[]): Promise<void> {
    const { store } = this.#ctx
    this.report.tokens.read += rows.length
    const issuesByRow = new Map(rows.map((row): [DjangoTokenRow, ImportIssue[]] => [row, []]))
    const wellFormed = rows.filter((row) => {
      const problem = checkDrfKey(row)
      if (problem !== null) this.#skipToken(problem, issuesByRow.get(row)!)
      return problem === null
    })
    const userIdOf = new Map<number, number | null>()
    for (const link of await store.findDjangoUserLinks(wellFormed.map((row) => row.userId))) userIdOf.set(link.djangoId, link.userId)
    const hashes = wellFormed.map((row) => hashSecret(row.key))
    const imported = new Set(await store.findImportedTokenHashes(hashes))
    const sessions: SessionRecord[] = []
    wellFormed.forEach((row, i) => {
      const secretHash = hashes[i]!
      const issues = issuesByRow.get(row)!
      if (imported.has(secretHash)) {
        this.report.tokens.unchanged++
        return
      }
      const userId = userIdOf.get(row.userId)
      if (userId === undefined && this.#planned.has(row.userId)) {
        // A dry run's user, never written: the key would be imported with it.
        this.report.tokens.imported++
        return
      }
      if (userId === undefined || userId === null) {
        this.#skipToken({ kind: 'missing_user', row: tokenRowName(row), message: this.#whyNoUser(row.userId, userId) }, issues)
        return
      }
      sessions.push(this.#importedSession(row, userId, secretHash, issues))
    })
    this.#publish([...issuesByRow.values()].flat())
    if (this.#options.dryRun) {
      this.report.tokens.imported += sessions.length
      return
    }
    this.report.tokens.imported += await this.#insertSessions(sessions)
  }

  /** Where a candidate goes: into this batch (keeping its Django id), deferred (a new id), or nowhere (a conflict). */
  #place(candidate: Candidate, held: UserRecord[]): 'batch' | 'deferred' | 'skipped' {
    const { djangoId, user, rowIssues: issues } = candidate
    const emailHolder = this.#holder(held, (other) => other.emailKey === user.emailKey, this.#claimedEmails.get(user.emailKey))
    if (emailHolder !== null) {
      this.#skipUser(djangoId, this.#conflict(djangoId, `e-mail ${user.email} is already ${emailHolder}; not imported (accounts are never merged)`), issues)
      return 'skipped'
    }
    const usernameHolderOf = (key: string) => this.#holder(held, (other) => other.usernameKey === key, this.#claimedUsernames.get(key))
    let usernameHolder = usernameHolderOf(user.usernameKey)
    if (usernameHolder !== null && candidate.usernameDerived) {
      const distinct = distinctUsername(user, djangoId)
      if (usernameHolderOf(distinct.usernameKey) === null) {
        candidate.issues.push(this.#changed(djangoId, `has no username of its own and ${user.username} is taken; imported as ${distinct.username}`))
        Object.assign(user, distinct)
        usernameHolder = null
      }
    }
    if (usernameHolder !== null) {
      this.#skipUser(djangoId, this.#conflict(djangoId, `username ${user.username} is already ${usernameHolder}; not imported`), issues)
      return 'skipped'
    }
    issues.push(...candidate.issues)
    this.#claimedEmails.set(user.emailKey, djangoId)
    this.#claimedUsernames.set(user.usernameKey, djangoId)
    const idFree = !held.some((other) => other.id === djangoId) && !this.#claimedIds.has(djangoId)
    if (!idFree) return 'deferred'
    // Same id as in Django, so the application's own tables that point at users stay right.
    user.id = djangoId
    this.#claimedIds.set(djangoId, djangoId)
    return 'batch'
  }

  /** Who holds a key: a Tessera user, or a Django user claimed earlier in this run; null when free. */
  #holder(held: UserRecord[], holds: (user: UserRecord) => boolean, claimedBy: number | undefined): string | null {
    if (claimedBy !== undefined) return `Django user ${claimedBy}'s (${this.#options.userTable} id ${claimedBy})`
    const user = held.find(holds)
    return user === undefined ? null : `Tessera user ${user.id}'s`
  }

  /** Writes a batch of users; when the engine refuses it (a registration raced the check), row by row. */
  async #insertUsers(batch: Candidate[]): Promise<number> {
    const ids = await this.#insertUserBatch(batch)
    return ids.filter((id) => id !== undefined).length
  }

  /** Each candidate's new Tessera id, or undefined for one the engine refused (reported as a conflict). */
  async #insertUserBatch(batch: Candidate[]): Promise<Array<number | undefined>> {
    const { store } = this.#ctx
    const toStore = (candidate: Candidate): NewDjangoUser => ({ djangoId: candidate.djangoId, user: candidate.user })
    try {
      return await store.insertDjangoUsers(batch.map(toStore))
    } catch (batchError) {
      const ids: Array<number | undefined> = []
      const issues: ImportIssue[] = []
      for (const candidate of batch) {
        try {
          ids.push((await store.insertDjangoUsers([toStore(candidate)]))[0])
        } catch {
          ids.push(undefined)
          this.#release(candidate)
          const message = 'was refused by the database (an e-mail, username or id taken since it was checked); not imported'
          this.#skipUser(candidate.djangoId, this.#conflict(candidate.djangoId, message), issues)
        }
      }
      // Several rows, each refused alone, are no data problem: the database itself is failing.
      if (batch.length > 1 && ids.every((id) => id === undefined)) throw batchError
      this.#publish(issues)
      return ids
    }
  }

  /** Writes a batch of sessions; when the engine refuses it, row by row. */
  async #insertSessions(sessions: SessionRecord[]): Promise<number> {
    const { store } = this.#ctx
    try {
      return await store.insertDjangoSessions(sessions)
    } catch (batchError) {
      let written = 0
      const issues: ImportIssue[] = []
      for (const session of sessions) {
        try {
          written += await store.insertDjangoSessions([session])
        } catch {
          const row = `authtoken_token of Tessera user ${session.userId}`
          this.#skipToken({ kind: 'conflict', row, message: 'was refused by the database (its key is taken); skipped' }, issues)
        }
      }
      if (sessions.length > 1 && written === 0) throw batchError
      this.#publish(issues)
      return written
    }
  }

  /**
   * The session of an imported key. DRF keys never expire; in Tessera the key lives by the
   * server's rules, counted from the import: idle for TOKEN_TTL at most, and TOKEN_MAX_AGE in all.
   * DRF's `created` stays as the session's `createdAt`, so device lists show when it began.
   */
  #importedSession(row: DjangoTokenRow, userId: number, secretHash: string, issues: ImportIssue[]): SessionRecord {
    const now = this.#now
    const created = djangoTime(row.created, tokenRowName(row), 'created', issues) ?? now
    return {
      id: generateSessionId(),
      userId,
      secretHash,
      device: IMPORTED_DEVICE,
      createdAt: created,
      lastUsedAt: now,
      expiresAt: sessionExpiry(this.#ctx, now, now),
      revokedAt: null,
      importedAt: now,
    }
  }

  #whyNoUser(djangoUserId: number, userId: null | undefined): string {
    if (userId === null) return `its user (Django user ${djangoUserId}) was imported, and has since been deleted from Tessera; skipped`
    if (this.#skippedUsers.has(djangoUserId)) return `its user (Django user ${djangoUserId}) was not imported (see above); skipped`
    return `its user_id ${djangoUserId} is not in ${this.#options.userTable}; skipped`
  }

  #skipUser(djangoId: number, issue: ImportIssue, issues: ImportIssue[]): void {
    this.report.users.skipped++
    this.#skippedUsers.add(djangoId)
    issues.push(issue)
  }

  #skipToken(issue: ImportIssue, issues: ImportIssue[]): void {
    this.report.tokens.skipped++
    issues.push(issue)
  }

  #conflict(djangoId: number, message: string): ImportIssue {
    return { kind: 'conflict', row: `${this.#options.userTable} id ${djangoId}`, message }
  }

  #changed(djangoId: number, message: string): ImportIssue {
    return { kind: 'changed', row: `${this.#options.userTable} id ${djangoId}`, message }
  }

  /** Forgets a written (or refused) candidate's claims: the store answers for it from now on. */
  #release(candidate: Candidate): void {
    const { user, djangoId } = candidate
    if (this.#claimedIds.get(djangoId) === djangoId) this.#claimedIds.delete(djangoId)
    if (this.#claimedEmails.get(user.emailKey) === djangoId) this.#claimedEmails.delete(user.emailKey)
    if (this.#claimedUsernames.get(user.usernameKey) === djangoId) this.#claimedUsernames.delete(user.usernameKey)
  }

  /** Counts and passes on a batch's issues in row order; a strict import stops at the first problem. */
  #publish(issues: ImportIssue[]): void {
    for (const issue of issues) {
      this.report.issues[issue.kind]++
      this.#options.onIssue?.(issue)
      if (this.#options.strict && PROBLEMS.has(issue.kind)) throw new ImportStoppedError(issue)
    }
  }
}
