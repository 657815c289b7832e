import { expect } from 'vitest'

// What leaks when an error escapes: a stack frame, a source path, or Node's own error text.
const STACK_TRACE = /\n\s+at\s|\bat\s+\S+\s+\(.*:\d+:\d+\)|[\w/-]+\.(?:ts|js|mjs|cjs):\d+|node_modules|"stack"/

/**
 * Asserts that a reply is what DESIGN promises for any input: a status under 500, a JSON body
 * (plain or problem+json) that parses, and no stack trace or source path in it. Returns the body.
 */
export function expectSafeReply(status: number, contentType: string | undefined, body: string): unknown {
  expect(status, body).toBeLessThan(500)
  expect(status, body).toBeGreaterThanOrEqual(200)
  if (status === 204) {
    expect(body).toBe('')
    return undefined
  }
  expect(contentType, `content type of ${status} ${body}`).toMatch(/^application\/(?:problem\+)?json/)
  expect(body).not.toMatch(STACK_TRACE)
  return JSON.parse(body) as unknown
}
