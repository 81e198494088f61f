/**
 * Chromium on the host: finding the binary, the flags a headless server on a closed
 * network needs, and keeping profiles clean — stale `Singleton*` locks removed and no
 * Chromium left running on a session's profile after the session stops.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { lstat, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { EngineUnavailableError } from '../../errors'

/** Where Chromium or Chrome usually lives, in the order we try them. */
export const CHROMIUM_CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/lib/chromium/chromium',
  '/snap/bin/chromium',
  '/usr/bin/google-chrome-stable',
  '/usr/bin/google-chrome',
  '/opt/google/chrome/chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
]

function isExecutableFile(path: string): boolean {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}

/**
 * CHROME_PATH when set (it must exist), else the first common install path that exists.
 * Throws an error that names the fix when there is none.
 */
export function resolveChromium(configured: string | undefined, candidates: readonly string[] = CHROMIUM_CANDIDATES): string {
  if (configured !== undefined) {
    if (isExecutableFile(configured)) return configured
    throw new EngineUnavailableError(
      'webjs',
      `CHROME_PATH is set to ${configured}, but there is no browser there. Point CHROME_PATH at Chromium or Chrome (e.g. /usr/bin/chromium), or unset it to auto-detect`,
    )
  }
  const found = candidates.find(isExecutableFile)
  if (found) return found
  throw new EngineUnavailableError(
    'webjs',
    `Chromium was not found (looked in ${candidates.join(', ')}). The webjs engine needs it: install it (Debian/Ubuntu: apt-get install chromium) or set CHROME_PATH to the browser's executable`,
  )
}

/**
 * Flags for a headless Chromium on a server: no sandbox (containers, root), no GPU, no
 * /dev/shm reliance, and none of Chrome's own background traffic (updates, sync,
 * metrics), which a closed network would only make wait. CHROME_ARGS come after these,
 * so they can add proxies or host rules and override any of them.
 */
export const BASE_CHROME_FLAGS = [
  '--no-sandbox',
  '--disable-setuid-sandbox',
  '--disable-dev-shm-usage',
  '--disable-gpu',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-extensions',
  '--disable-default-apps',
  '--metrics-recording-only',
  '--mute-audio',
]

/**
 * A lean Chromium for a headless WhatsApp session (issue 9, P3; `bun run bench:memory`,
 * 10 sessions on the WhatsApp Web stand-in, PSS). By default each session's Chromium is
 * 9 processes — a browser, 3 renderers, a GPU process, network and storage services, 2
 * zygotes — ≈ 160 MB PSS per added session; one page needs none of that isolation:
 * - `--single-process`: renderer, GPU, network and storage in the browser process;
 * - `--no-zygote`: the zygotes are only for forking renderers, which no longer happen;
 * - `--disable-software-rasterizer`: no SwiftShader for a page nobody looks at;
 * - `--js-flags=--optimize-for-size`: V8 favours smaller heaps and code over speed.
 * Measured in one run each (the machine shared and busy): marginal cost per session
 * 160 → 98 (single process, no zygote) → 89 (no rasterizer) → 82 MB (V8 for size).
 * WEBJS_LEAN_CHROMIUM=false goes back to Chromium's own process model.
 */
export const LEAN_CHROME_FLAGS = ['--single-process', '--no-zygote', '--disable-software-rasterizer', '--js-flags=--optimize-for-size']

export function chromeArgs(extra: readonly string[], lean = false): string[] {
  return [...BASE_CHROME_FLAGS, ...(lean ? LEAN_CHROME_FLAGS : []), ...extra]
}

// ─── Processes ──────────────────────────────────────────────────────────────

export interface ChromiumProcess {
  pid: number
  /** Process group id. */
  pgid: number
  /** True for the browser process itself (not a renderer, zygote or helper). */
  main: boolean
}

function processGroupOf(pid: number | 'self'): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // pid (comm) state ppid pgrp …; comm may contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const pgid = Number(fields[2])
    return Number.isInteger(pgid) ? pgid : undefined
  } catch {
    return undefined
  }
}

/**
 * Live processes started with `--user-data-dir=<userDataDir>` (Linux /proc; elsewhere an
 * empty list). A session's profile directory is its own, so these are that session's.
 */
export function profileProcesses(userDataDir: string): ChromiumProcess[] {
  const wanted = `--user-data-dir=${userDataDir}`
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return []
  }
  const found: ChromiumProcess[] = []
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    let args: string[]
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')
    } catch {
      continue // gone meanwhile
    }
    if (!args.includes(wanted)) continue
    const pid = Number(entry)
    const pgid = processGroupOf(pid)
    if (pgid === undefined) continue
    found.push({ pid, pgid, main: !args.some((arg) => arg.startsWith('--type=')) })
  }
  return found
}

/**
 * Resident memory (VmRSS) of a process group, by its leader's pid: Chromium with its
 * renderers, zygote and helpers. Linux /proc; undefined where there is none, or when the
 * group has no live process.
 */
export function processGroupMemoryBytes(leader: number, procDir = '/proc'): number | undefined {
  let entries: string[]
  try {
    entries = readdirSync(procDir)
  } catch {
    return undefined
  }
  let total = 0
  let found = false
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    const pid = Number(entry)
    if (pid !== leader && processGroupOf(pid) !== leader) continue
    try {
      const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`${procDir}/${entry}/status`, 'utf8'))
      // Zombies and kernel threads have no VmRSS line: nothing resident to count.
      if (rss) total += Number(rss[1]) * 1024
      found = true
    } catch {
      // gone meanwhile
    }
  }
  return found ? total : undefined
}

function kill(target: number, signal: NodeJS.Signals): void {
  try {
    process.kill(target, signal)
  } catch {
    // already gone, or not ours to kill
  }
}

/**
 * SIGKILLs every process on the profile, and the process groups they lead (renderers,
 * zygotes and helpers carry no profile flag but share the browser's group). Never
 * signals this server's own group. Waits briefly until the profile is free.
 */
export async function killProfileProcesses(userDataDir: string, waitMs = 3000): Promise<number> {
  const own = processGroupOf('self') ?? process.pid
  const victims = profileProcesses(userDataDir)
  for (const victim of victims) {
    if (victim.pgid !== own && victim.pgid > 1) kill(-victim.pgid, 'SIGKILL')
    kill(victim.pid, 'SIGKILL')
  }
  const deadline = Date.now() + waitMs
  while (victims.length > 0 && profileProcesses(userDataDir).length > 0 && Date.now() < deadline) await Bun.sleep(25)
  return victims.length
}

/** Kills a browser's process group by its leader's pid (what puppeteer launched). */
export function killProcessGroup(pid: number): void {
  const own = processGroupOf('self') ?? process.pid
  if (pid > 1 && pid !== own) kill(-pid, 'SIGKILL')
  kill(pid, 'SIGKILL')
}

// ─── Profile ────────────────────────────────────────────────────────────────

/** Files Chromium uses to claim a profile; left behind by a crash, they can block the next launch. */
export const SINGLETON_FILES = ['SingletonLock', 'SingletonSocket', 'SingletonCookie']

/**
 * Makes a profile ready to launch: stops any Chromium still running on it (a previous
 * server that was killed), then removes stale Singleton locks — a lock that names
 * another host (the container was recreated) makes Chromium refuse to start.
 * Returns what it removed, for the log.
 */
export async function prepareProfile(userDataDir: string): Promise<{ killed: number; removedLocks: string[] }> {
  const killed = await killProfileProcesses(userDataDir)
  const removedLocks: string[] = []
  if (!existsSync(userDataDir)) return { killed, removedLocks }
  for (const name of SINGLETON_FILES) {
    const path = join(userDataDir, name)
    try {
      await lstat(path) // the lock is a dangling symlink: existsSync() would say no
    } catch {
      continue
    }
    await rm(path, { force: true })
    removedLocks.push(name)
  }
  return { killed, removedLocks }
}
