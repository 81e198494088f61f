/**
 * What a forwarded call costs (API.md §10, issue 10): two real nodes on one Postgres, a
 * simulator number run by node B; the same requests sent to B (handled there) and to A
 * (authenticated at A, then passed on to B over one signed hop). Each round measures both
 * (sequential latency, then throughput under load); the medians of the rounds are printed,
 * and the forwarded/local ratios.
 *
 *   bun bench/forward.ts [rounds=3] [seconds=3] [connections=8]
 *
 * Uses WWS_BENCH_DATABASE_URL=postgres://… when set, else a throwaway Postgres
 * (tests/helpers/postgres.ts).
 */
import { SQL } from 'bun'
import { call, hasWrk, load, median, startServer, type LoadRequest } from './lib'

const rounds = Number(process.argv[2] ?? 3)
const seconds = Number(process.argv[3] ?? 3)
const connections = Number(process.argv[4] ?? 8)
const SEQUENTIAL = 300
const KEY = 'bench-admin-key-0123456789abcdef'
const NUMBER = '966500000777'
const PEER = '966511112222'
const headers = { 'x-api-key': KEY }

let stopPostgres = async () => {}
let databaseUrl = process.env.WWS_BENCH_DATABASE_URL
if (!databaseUrl) {
  const { startPostgres } = await import('../tests/helpers/postgres')
  const cluster = await startPostgres()
  databaseUrl = await cluster.createDatabase()
  stopPostgres = () => cluster.stop()
}
const db = new SQL(databaseUrl)

const env = (id: string) => ({
  WA_ENGINE: 'simulator',
  API_KEY: KEY,
  LOG_LEVEL: 'error',
  DATABASE_URL: databaseUrl!,
  CLUSTER_SECRET: 'bench-cluster-secret-0123456789abcdef0123',
  NODE_ID: id,
  SIMULATOR_CONNECT_DELAY_MS: '0',
  RATE_LIMIT_PER_MINUTE: '0',
  RATE_LIMIT_SENDS_PER_MINUTE: '0',
  SEND_DELAY_MIN_MS: '0',
  SEND_DELAY_MAX_MS: '0',
})

const a = await startServer(env('bench-a'))
const b = await startServer(env('bench-b'))

async function sequentialMs(url: string, init: RequestInit): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < SEQUENTIAL; i++) {
    const started = performance.now()
    const response = await fetch(url, init)
    await response.arrayBuffer()
    if (!response.ok) throw new Error(`${url}: ${response.status}`)
    times.push(performance.now() - started)
  }
  return median(times)
}

try {
  await call(`${b.url}/${NUMBER}/start`, 'POST', KEY)
  await Bun.sleep(50)
  await call(`${b.url}/${NUMBER}/sandbox/scan`, 'POST', KEY)
  // The lease names the node that runs the number; without the cluster's own placement, B is.
  const bUrl = new URL(b.url).origin
  await db`
    INSERT INTO session_leases (phone_number, node_id, node_url, epoch, expires_at)
    VALUES (${NUMBER}, 'bench-b', ${bUrl}, 1, now() + interval '1 hour') ON CONFLICT (phone_number) DO NOTHING`
  const [lease] = await db`SELECT node_id FROM session_leases WHERE phone_number = ${NUMBER}`
  const owner = lease.node_id as string
  const [local, remote] = owner === 'bench-b' ? [b, a] : [a, b]
  const check = await fetch(`${remote.url}/${NUMBER}/state`, { headers })
  if (check.headers.get('x-session-node') !== owner) throw new Error(`not forwarded: ${check.status} ${check.headers.get('x-session-node')}`)

  const send = JSON.stringify({ chatId: PEER, text: 'Benchmark message with a realistic length of text in it, about one line long.' })
  const cases = [
    { label: 'GET /:n/state', path: `/${NUMBER}/state`, init: { headers } as RequestInit, method: 'GET' as const },
    { label: 'POST /:n/send-text', path: `/${NUMBER}/send-text`, init: { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: send } as RequestInit, method: 'POST' as const },
  ]
  const results = new Map<string, { localMs: number[]; forwardedMs: number[]; localRps: number[]; forwardedRps: number[] }>()
  for (const c of cases) results.set(c.label, { localMs: [], forwardedMs: [], localRps: [], forwardedRps: [] })
  const requestOf = (base: string, c: (typeof cases)[number]): LoadRequest => ({ method: c.method, url: `${base}${c.path}`, headers, ...(c.method === 'POST' && { body: send }) })
  // Warm-up, not counted.
  for (const c of cases) {
    await sequentialMs(`${local.url}${c.path}`, c.init)
    await sequentialMs(`${remote.url}${c.path}`, c.init)
  }
  for (let round = 0; round < rounds; round++) {
    for (const c of cases) {
      const row = results.get(c.label)!
      row.localMs.push(await sequentialMs(`${local.url}${c.path}`, c.init))
      row.forwardedMs.push(await sequentialMs(`${remote.url}${c.path}`, c.init))
      row.localRps.push((await load([requestOf(local.url, c)], { connections, seconds })).requestsPerSecond)
      row.forwardedRps.push((await load([requestOf(remote.url, c)], { connections, seconds })).requestsPerSecond)
    }
  }
  console.log(`Bun ${Bun.version}, 2 nodes on one Postgres, ${rounds} rounds: ${SEQUENTIAL} sequential requests (median latency) and ${seconds} s of ${hasWrk() ? 'wrk -t1' : 'bench/loadgen.ts'} -c${connections} (req/s); medians of the rounds`)
  console.log('| request | local p50 ms | forwarded p50 ms | latency ratio | local req/s | forwarded req/s | throughput ratio |')
  console.log('|---|---|---|---|---|---|---|')
  for (const c of cases) {
    const row = results.get(c.label)!
    const [lm, fm, lr, fr] = [median(row.localMs), median(row.forwardedMs), median(row.localRps), median(row.forwardedRps)]
    console.log(`| ${c.label} | ${lm.toFixed(2)} | ${fm.toFixed(2)} | ×${(fm / lm).toFixed(2)} | ${lr.toFixed(0)} | ${fr.toFixed(0)} | ×${(fr / lr).toFixed(2)} |`)
  }
} finally {
  await a.stop()
  await b.stop()
  await db.close()
  await stopPostgres()
}
