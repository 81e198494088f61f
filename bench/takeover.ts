/**
 * Takeover after a node dies (issue 10): three real nodes (`bun src/index.ts`, simulator
 * engine) on one throwaway Postgres; N sessions started through one node are spread over
 * the three and linked; then the node running the most is killed with SIGKILL, and the
 * time from the kill until every one of its sessions is WORKING on another node is
 * printed, beside the lease TTL it waited out. No QR is involved: the pairing is in the
 * database.
 *
 *   bun bench/takeover.ts [sessions=30] [leaseTtlMs=15000] [rounds=1]
 *
 * WWS_BENCH_DATABASE_URL=postgres://… uses that (empty) database instead of a throwaway cluster.
 */
import { startPostgres } from '../tests/helpers/postgres'
import { call, freePort, median, startServer, waitFor, type Child } from './lib'

const SESSIONS = Number(process.argv[2] ?? 30)
const LEASE_TTL_MS = Number(process.argv[3] ?? 15_000)
const ROUNDS = Number(process.argv[4] ?? 1)
const KEY = 'bench-admin-key-0123456789abcdef'
const SECRET = 'bench-cluster-secret-0123456789abcdef01'

interface ClusterView {
  nodes: Array<{ id: string; sessions: number; live: boolean }>
  sessions: Array<{ phoneNumber: string; node: string }>
}

async function round(databaseUrl: string): Promise<{ moved: number; takeoverMs: number }> {
  const ids = ['node-a', 'node-b', 'node-c']
  const nodes = new Map<string, Child>()
  for (const id of ids) {
    const port = freePort()
    nodes.set(
      id,
      await startServer({
        WA_ENGINE: 'simulator',
        API_KEY: KEY,
        DATABASE_URL: databaseUrl,
        CLUSTER_SECRET: SECRET,
        NODE_ID: id,
        NODE_URL: `http://127.0.0.1:${port}`,
        LEASE_TTL_MS: String(LEASE_TTL_MS),
        RATE_LIMIT_PER_MINUTE: '0',
        SIMULATOR_CONNECT_DELAY_MS: '0',
      }, { port }),
    )
  }
  const url = (id: string) => nodes.get(id)!.url
  const view = async (via: string) => (await call(`${url(via)}/cluster`, 'GET', KEY)) as ClusterView
  try {
    const numbers = Array.from({ length: SESSIONS }, (_, i) => `96650${String(2_000_000 + i)}`)
    for (const n of numbers) await call(`${url('node-a')}/${n}/start`, 'POST', KEY)
    for (const n of numbers) {
      let owner: string | undefined
      await waitFor(async () => {
        owner = (await view('node-a')).sessions.find((s) => s.phoneNumber === n)?.node
        if (!owner) return false
        return ((await call(`${url(owner)}/${n}/state`, 'GET', KEY)) as { status: string }).status === 'SCAN_QR_CODE'
      }, 60_000, 20)
      await call(`${url(owner!)}/${n}/sandbox/scan`, 'POST', KEY)
    }
    const before = await view('node-a')
    const victim = [...before.nodes].sort((a, b) => b.sessions - a.sessions)[0]!.id
    const moved = before.sessions.filter((s) => s.node === victim).map((s) => s.phoneNumber)
    const survivor = ids.find((id) => id !== victim)!

    const killedAt = performance.now()
    nodes.get(victim)!.proc.kill('SIGKILL')
    await nodes.get(victim)!.proc.exited
    nodes.delete(victim)
    const pending = new Set(moved)
    const done = await waitFor(async () => {
      const placed = (await view(survivor)).sessions
      for (const n of [...pending]) {
        const owner = placed.find((s) => s.phoneNumber === n)?.node
        if (!owner || owner === victim || !nodes.has(owner)) continue
        const state = (await call(`${url(owner)}/${n}/state`, 'GET', KEY)) as { status: string }
        if (state.status === 'SCAN_QR_CODE') throw new Error(`${n} asked for a QR after the takeover`)
        if (state.status === 'WORKING') pending.delete(n)
      }
      return pending.size === 0
    }, 120_000, 20)
    if (!done) throw new Error(`${pending.size} sessions were not WORKING again within 120 s`)
    return { moved: moved.length, takeoverMs: performance.now() - killedAt }
  } finally {
    for (const node of nodes.values()) await node.stop()
  }
}

const given = process.env.WWS_BENCH_DATABASE_URL
const postgres = given ? undefined : await startPostgres()
try {
  const results: Array<{ moved: number; takeoverMs: number }> = []
  for (let i = 0; i < ROUNDS; i++) results.push(await round(given ?? (await postgres!.createDatabase('takeover'))))
  const ms = median(results.map((r) => r.takeoverMs))
  console.log(`takeover: ${SESSIONS} sessions on 3 nodes, LEASE_TTL_MS=${LEASE_TTL_MS}; kill -9 of the busiest node (${results.map((r) => r.moved).join(', ')} sessions)`)
  console.log(`  kill -9 → all its sessions WORKING elsewhere: ${(ms / 1000).toFixed(2)} s median of ${ROUNDS} (goal ≤ 30 s); ${results.map((r) => (r.takeoverMs / 1000).toFixed(2)).join(', ')} s`)
} finally {
  await postgres?.stop()
}
