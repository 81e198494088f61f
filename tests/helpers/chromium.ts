import { existsSync } from 'node:fs'

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable']

/** Debian's Chromium (or CHROME_PATH). `.ci/run` installs it; tests that need it fail clearly without it. */
export function chromiumPath(): string {
  const path = process.env.CHROME_PATH ?? CANDIDATES.find((candidate) => existsSync(candidate))
  if (!path || !existsSync(path)) throw new Error('Chromium not found: apt-get install chromium, or set CHROME_PATH')
  return path
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
