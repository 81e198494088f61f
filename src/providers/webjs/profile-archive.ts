/**
 * A Chromium profile's WhatsApp login as one compressed archive, RemoteAuth-style: only the
 * directories that hold it (IndexedDB, where WhatsApp Web keeps its keys, and Local
 * Storage), never caches or locks. Packed and unpacked with the system's `tar` (gzip).
 * Restored only into a fresh profile directory: two browsers never share one.
 */
import { existsSync } from 'node:fs'
import { mkdir, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'

/** The profile's directories that carry the login, relative to the profile (user data dir). */
export const LOGIN_DIRS = ['Default/IndexedDB', 'Default/Local Storage'] as const

async function run(args: string[], stdin?: Uint8Array): Promise<Uint8Array> {
  const proc = Bun.spawn(['tar', ...args], { stdin: stdin ?? 'ignore', stdout: 'pipe', stderr: 'pipe' })
  const [out, err, code] = await Promise.all([new Response(proc.stdout).arrayBuffer(), new Response(proc.stderr).text(), proc.exited])
  if (code !== 0) throw new Error(`tar ${args[0]} failed (${code}): ${err.trim()}`)
  return new Uint8Array(out)
}

/**
 * When the profile's login last changed (newest file under IndexedDB, epoch ms); undefined
 * when it has none.
 */
export async function loginChangedAt(userDataDir: string): Promise<number | undefined> {
  const root = join(userDataDir, 'Default', 'IndexedDB')
  if (!existsSync(root)) return undefined
  let newest = 0
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    try {
      newest = Math.max(newest, (await stat(join(entry.parentPath, entry.name))).mtimeMs)
    } catch {
      // removed meanwhile
    }
  }
  return newest || undefined
}

/** The login directories of a profile as a .tar.gz; undefined when it has none yet. */
export async function packLogin(userDataDir: string): Promise<Uint8Array | undefined> {
  const present = LOGIN_DIRS.filter((dir) => existsSync(join(userDataDir, dir)))
  if (!present.includes('Default/IndexedDB')) return undefined
  // LevelDB's LOCK files are per process; the new owner's Chromium makes its own.
  return run(['-czf', '-', '--exclude=LOCK', '-C', userDataDir, ...present])
}

/**
 * Unpacks an archive from `packLogin` into a (fresh) profile directory. The archive comes
 * from this server's own database; GNU tar still drops leading `/` and refuses `..` members.
 */
export async function unpackLogin(userDataDir: string, archive: Uint8Array): Promise<void> {
  await mkdir(userDataDir, { recursive: true })
  await run(['-xzf', '-', '--no-same-owner', '-C', userDataDir], archive)
}
