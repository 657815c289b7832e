import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'
import { isCi } from './database.js'

/** Debian's Chromium, which .ci/run installs when missing; `CHROMIUM_PATH` names another. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/**
 * Why browser tests cannot run here, or null when they can. Under CI=true a missing browser is a
 * failure, not a skip: .ci/run installs it.
 */
export function browserMissing(): string | null {
  if (existsSync(CHROMIUM)) return null
  const why = `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`
  if (isCi()) throw new Error(`browser tests cannot run under CI=true: ${why}`)
  console.warn(`browser tests skipped: ${why}`)
  return why
}

/**
 * Headless Chromium as this machine allows it: as root without the sandbox, without a GPU, and
 * without the background connections a closed network refuses.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  })
}
