/**
 * Three (or more) real server processes sharing one throwaway Postgres, as a cluster: each
 * with its own NODE_ID, port, NODE_URL and DATA_DIR, the simulator engine, short leases.
 * Requests go to a chosen node over HTTP on 127.0.0.1.
 */
import { SQL } from 'bun'
import { ADMIN_KEY, tempDir, waitFor } from './app'
import type { PostgresCluster } from './postgres'
import { startServerProcess, type ServerProcess } from './process'

export interface ClusterNodeProcess {
  id: string
  url: string
  baseUrl: string
  proc: ServerProcess
  env: Record<string, string>
}

export interface JsonResponse<T = Record<string, unknown>> {
  status: number
  body: T
  headers: Headers
}

export async function freePort(): Promise<number> {
  const listener = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const port = listener.port
  listener.stop(true)
  return port
}

export async function startNode(id: string, databaseUrl: string, env: Record<string, string> = {}): Promise<ClusterNodeProcess> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const nodeEnv = {
    DATA_DIR: tempDir(`wws-${id}-`),
    DATABASE_URL: databaseUrl,
    WA_ENGINE: 'simulator',
    API_KEY: ADMIN_KEY,
    SIMULATOR_CONNECT_DELAY_MS: '0',
    SEND_DELAY_MIN_MS: '0',
    SEND_DELAY_MAX_MS: '0',
    PORT: String(port),
    NODE_ID: id,
    NODE_URL: url,
    LEASE_TTL_MS: '3000',
    ...env,
  }
  const proc = await startServerProcess(nodeEnv, 30_000)
  return { id, url, baseUrl: proc.baseUrl, proc, env: nodeEnv }
}

export async function call<T = Record<string, unknown>>(node: ClusterNodeProcess, method: string, path: string, body?: unknown): Promise<JsonResponse<T>> {
  const response = await fetch(`${node.baseUrl}${path}`, {
    method,
    headers: { 'x-api-key': ADMIN_KEY, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
  const text = await response.text()
  let parsed: unknown = text
  try {
    parsed = JSON.parse(text)
  } catch {
    // keep the text
  }
  return { status: response.status, body: parsed as T, headers: response.headers }
}

/** Reads the cluster's tables directly (the test's own view of the database). */
export class ClusterDb {
  readonly sql: SQL
  constructor(url: string) {
    this.sql = new SQL({ url, max: 2 })
  }

  /** The node holding a live lease on the number, or undefined. */
  async owner(phoneNumber: string): Promise<{ nodeId: string; epoch: number } | undefined> {
    const rows: Array<{ node_id: string; epoch: string }> = await this.sql`
      SELECT node_id, epoch FROM session_leases WHERE phone_number = ${phoneNumber} AND expires_at > now()`
    return rows[0] && { nodeId: rows[0].node_id, epoch: Number(rows[0].epoch) }
  }

  async close(): Promise<void> {
    await this.sql.close()
  }
}

export async function newClusterDatabase(postgres: PostgresCluster): Promise<string> {
  return postgres.createDatabase('cluster')
}

/** Waits until the number's session is WORKING on the node holding its lease; returns that node. */
export async function workingOwner(db: ClusterDb, nodes: ClusterNodeProcess[], phoneNumber: string, timeoutMs: number, seen?: string[]): Promise<ClusterNodeProcess> {
  let found: ClusterNodeProcess | undefined
  await waitFor(async () => {
    const owner = await db.owner(phoneNumber)
    const node = nodes.find((candidate) => candidate.id === owner?.nodeId && candidate.proc.proc.exitCode === null)
    if (!node) return false
    const state = await call<{ status: string }>(node, 'GET', `/${phoneNumber}/state`).catch(() => undefined)
    if (state?.body.status) seen?.push(state.body.status)
    if (state?.body.status !== 'WORKING') return false
    found = node
    return true
  }, timeoutMs, 100)
  return found!
}
