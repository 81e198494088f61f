/**
 * Builds an isolated server per test: its own DATA_DIR and SQLite file, the simulator
 * as default engine, a known admin key, timers shortened. Requests go through
 * `app.handle`, so no port is needed.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApp } from '../../src/app'
import { loadConfig } from '../../src/config'
import { createDeps, type AppDeps, type DepsOverrides } from '../../src/deps'
import { defineEngine, type EngineCallbacks, type EngineDefinition, type EngineFactory } from '../../src/providers/engine'
import { ENGINES } from '../../src/providers/registry'

export const ADMIN_KEY = 'test-admin-key-0123456789abcdef'
export const BASE = 'http://localhost/api/whatsapp'
/** Every test server's CLUSTER_SECRET (required with Postgres, ignored on SQLite). */
export const CLUSTER_SECRET = 'test-cluster-secret-0123456789abcdef0123'

export interface RequestOptions {
  body?: unknown
  /** Raw body text, sent as-is (for malformed JSON tests). */
  rawBody?: string
  headers?: Record<string, string>
  /** Credential to send as X-Api-Key; `null` sends none. Defaults to the admin key. */
  key?: string | null
}

export type TestServer = Awaited<ReturnType<typeof createTestServer>>

const createdDirs = new Set<string>()

/** Removes every temp dir made by `tempDir` (run once after all tests: tests/setup.ts). */
export function removeTempDirs(): void {
  for (const dir of createdDirs) rmSync(dir, { recursive: true, force: true })
  createdDirs.clear()
}

export function tempDir(prefix = 'wws-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  createdDirs.add(dir)
  return dir
}

export function testEnv(dataDir: string, env: Record<string, string> = {}): Record<string, string> {
  return {
    DATA_DIR: dataDir,
    WA_ENGINE: 'simulator',
    API_KEY: ADMIN_KEY,
    LOG_LEVEL: 'silent',
    PRINT_QR: 'false',
    SIMULATOR_CONNECT_DELAY_MS: '0',
    ENGINE_RESTART_BASE_MS: '10',
    ENGINE_RESTART_MAX_MS: '50',
    BOOT_STAGGER_MS: '0',
    // Send pacing (anti-ban delays) is off in tests; tests/messaging/pacer.test.ts covers it.
    SEND_DELAY_MIN_MS: '0',
    SEND_DELAY_MAX_MS: '0',
    CLUSTER_SECRET,
    ...env,
  }
}

/**
 * `WWS_TEST_DATABASE=postgres bun test …` runs every test server that does not name its
 * own DATABASE_URL on Postgres instead of SQLite: one throwaway cluster for the run
 * (tests/helpers/postgres.ts, stopped by tests/setup.ts), one database per data dir, so
 * a server restarted on the same data dir finds its database again.
 */
const sharedPostgres = process.env.WWS_TEST_DATABASE === 'postgres'
let cluster: Promise<import('./postgres').PostgresCluster> | undefined
const databaseOfDir = new Map<string, string>()

async function postgresDatabaseFor(dataDir: string): Promise<string> {
  cluster ??= import('./postgres').then((module) => module.startPostgres())
  let url = databaseOfDir.get(dataDir)
  if (!url) {
    url = await (await cluster).createDatabase()
    databaseOfDir.set(dataDir, url)
  }
  return url
}

/**
 * Under `WWS_TEST_DATABASE=postgres`, the environment of a server process gets the database
 * of its DATA_DIR (the one an in-process server on that dir used), unless it names its own;
 * any server process on Postgres gets the tests' CLUSTER_SECRET unless it names its own.
 */
export async function withTestDatabase(env: Record<string, string>): Promise<Record<string, string>> {
  if (sharedPostgres && env.DATABASE_URL === undefined && env.DATA_DIR !== undefined) env = { ...env, DATABASE_URL: await postgresDatabaseFor(env.DATA_DIR) }
  // A server on Postgres is a cluster node, which needs the cluster's secret.
  if (env.DATABASE_URL !== undefined && /^postgres(ql)?:/.test(env.DATABASE_URL) && env.CLUSTER_SECRET === undefined) env = { ...env, CLUSTER_SECRET }
  return env
}

/** Stops the cluster of `WWS_TEST_DATABASE=postgres`, if one was started (tests/setup.ts). */
export async function stopSharedPostgres(): Promise<void> {
  const started = cluster
  cluster = undefined
  databaseOfDir.clear()
  if (started) await (await started).stop()
}

/**
 * A test-only engine under its own name, registered from the test that uses it the way a real
 * one is (a definition beside the registry's): nothing outside the test knows it.
 */
export function testEngine(name: string, factory: () => EngineFactory | Promise<EngineFactory>, callbacks?: EngineCallbacks): EngineDefinition {
  return defineEngine({ name, envelopeName: name.toUpperCase().replace(/-/g, '_'), load: async () => factory(), ...(callbacks && { callbacks }) })
}

export interface TestServerOverrides extends DepsOverrides {
  /** Engines registered beside the registry's own (`testEngine`). */
  addEngines?: EngineDefinition[]
}

export async function createTestServer(env: Record<string, string> = {}, overrides: TestServerOverrides = {}, dataDir = tempDir()) {
  if (sharedPostgres && env.DATABASE_URL === undefined) env = { ...env, DATABASE_URL: await postgresDatabaseFor(dataDir) }
  const config = loadConfig(testEnv(dataDir, env), [...ENGINES, ...(overrides.addEngines ?? [])])
  const deps: AppDeps = await createDeps(config, overrides)
  const app = createApp(deps)

  async function request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers }
    const key = options.key === undefined ? ADMIN_KEY : options.key
    if (key !== null && !('authorization' in headers) && !('Authorization' in headers)) headers['x-api-key'] ??= key
    let body: string | undefined = options.rawBody
    if (options.body !== undefined) {
      body = JSON.stringify(options.body)
      headers['content-type'] ??= 'application/json'
    } else if (body !== undefined) headers['content-type'] ??= 'application/json'
    // A real client sends Content-Length; the body limit is checked against it before reading.
    if (body !== undefined) headers['content-length'] ??= String(Buffer.byteLength(body))
    return app.handle(new Request(`${BASE}${path}`, { method, headers, ...(body !== undefined && { body }) }))
  }

  /** Sends a request and parses the JSON answer, keeping the status for assertions. */
  async function call<T = Record<string, unknown>>(method: string, path: string, options: RequestOptions = {}): Promise<{ status: number; body: T; headers: Headers }> {
    const response = await request(method, path, options)
    const text = await response.text()
    let parsed: unknown = text
    try {
      parsed = JSON.parse(text)
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed as T, headers: response.headers }
  }

  /** Starts a number and completes the simulated scan, leaving it WORKING. */
  async function link(phoneNumber: string, options: RequestOptions = {}) {
    const started = await call('POST', `/${phoneNumber}/start`, options)
    if (started.status !== 200) throw new Error(`start ${phoneNumber}: ${started.status} ${JSON.stringify(started.body)}`)
    await waitFor(async () => (await call('GET', `/${phoneNumber}/state`, options)).body.status === 'SCAN_QR_CODE')
    const scanned = await call('POST', `/${phoneNumber}/sandbox/scan`, options)
    if (scanned.body.status !== 'WORKING') throw new Error(`scan ${phoneNumber}: ${JSON.stringify(scanned.body)}`)
    // The link's own events are stored before the test goes on (on Postgres they may still be in flight).
    await deps.ingest.idle()
  }

  return {
    app,
    deps,
    config,
    dataDir,
    request,
    call,
    link,
    async close(options: { keepData?: boolean } = {}) {
      await deps.close()
      if (!options.keepData) rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** Polls until the condition holds; fails with the last value after the deadline. */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5000, intervalMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await condition()) return
    await Bun.sleep(intervalMs)
  }
  throw new Error(`condition not met within ${timeoutMs} ms`)
}
