import type { RateLimit } from '../core/settings.js'

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }

/** Seconds in a duration such as `90`, `30s`, `15m`, `1h`, `30d`, `2w`; throws naming `name` otherwise. */
export function parseDuration(value: string, name: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$/i.exec(value)
  const seconds = match ? Math.round(Number(match[1]) * (UNIT_SECONDS[(match[2] || 's').toLowerCase()] ?? 1)) : NaN
  if (!Number.isFinite(seconds) || seconds < 1) {
    throw new RangeError(`tessera: ${name} must be a duration like 90, 30s, 15m, 1h or 30d (got "${value}")`)
  }
  return seconds
}

/** A limit such as `10/15m` (10 per 15 minutes), `300/1m` or `5/h`; `off` disables it. */
export function parseRateLimit(value: string, name: string): RateLimit | null {
  if (/^\s*(off|none|0)\s*$/i.test(value)) return null
  // The window is a duration (`15m`, `90s`) or a bare unit meaning one of it (`h` = `1h`).
  const match = /^\s*(\d+)\s*\/\s*((?:\d+(?:\.\d+)?)?[smhdw]|\d+(?:\.\d+)?)\s*$/i.exec(value)
  const limit = match ? Number(match[1]) : NaN
  if (!match || !Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`tessera: ${name} must look like 10/15m (count/window) or off (got "${value}")`)
  }
  const window = match[2] ?? ''
  const windowSeconds = parseDuration(/^\d/.test(window) ? window : `1${window}`, name)
  return { limit, windowSeconds }
}
