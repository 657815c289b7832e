import type { CoreContext } from './context.js'

/**
 * Runs `task` after the current request has been answered, reporting its failure instead of
 * throwing it. A timer, not a microtask: the reply is written first, so the work done here (a
 * token's insert, a mail's delivery) neither delays the answer nor shows in its timing.
 */
export function runInBackground(ctx: CoreContext, what: string, task: () => Promise<void>): void {
  setTimeout(() => {
    task().catch((error: unknown) => ctx.reportError(error, what))
  }, 0)
}
