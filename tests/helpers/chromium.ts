/**
 * Debian's Chromium (or CHROME_PATH) for the browser tests. `.ci/run` installs it and fails
 * when any test was skipped; on a machine without it (`npm install && npm test` with only
 * Node.js) the tests that need it are skipped, and the run ends with one notice saying
 * which and how to enable them (tests/setup.ts prints it).
 */
import { accessSync, constants, statSync } from 'node:fs'
import { basename } from 'node:path'

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable']

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return statSync(path).isFile()
  } catch {
    return false
  }
}

/** CHROME_PATH when set (and runnable), else the first common path that is; undefined when none. */
export function findChromium(env: Record<string, string | undefined> = process.env, candidates: readonly string[] = CANDIDATES): string | undefined {
  const configured = env.CHROME_PATH?.trim()
  if (configured) return isExecutableFile(configured) ? configured : undefined
  return candidates.find(isExecutableFile)
}

/** The browser of this run, found once. */
export const CHROMIUM: string | undefined = findChromium()

/** Chromium's path; throws naming the fix when there is none (tests that need it skip first with `withoutChromium`). */
export function chromiumPath(): string {
  if (!CHROMIUM) throw new Error(CHROMIUM_MISSING)
  return CHROMIUM
}

export const CHROMIUM_MISSING =
  'Chromium was not found (CHROME_PATH, or /usr/bin/chromium and the other usual paths). ' +
  'Install it (Debian/Ubuntu: apt-get install chromium) or set CHROME_PATH to a Chromium/Chrome executable to run them; ' +
  '.ci/run installs it and fails when any test is skipped.'

const skippedFiles = new Set<string>()

/**
 * True when Chromium is missing, recording the file for the end-of-run notice:
 * `describe.skipIf(withoutChromium(import.meta.path))(…)`; hooks that launch it return early.
 */
export function withoutChromium(file: string): boolean {
  if (CHROMIUM) return false
  skippedFiles.add(basename(file))
  return true
}

/** The notice for the end of the run, or undefined when nothing was skipped for want of Chromium. */
export function chromiumSkipNotice(): string | undefined {
  if (skippedFiles.size === 0) return undefined
  return `\nSkipped the tests that need a real browser (${[...skippedFiles].sort().join(', ')}): ${CHROMIUM_MISSING}\n`
}

/** Flags for a headless Chromium on a machine whose network is closed. */
export const CLOSED_NETWORK_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
]
