/**
 * HTTP throughput and latency of the API beside the HTTP stack's limit (issue 9, P1):
 * the real server (`bun src/index.ts`, simulator engine, SQLite with synchronous=FULL,
 * pacing and rate limits off) and a raw `Bun.serve` answering the same JSON, each in its
 * own process, loaded by wrk -t1 (or bench/loadgen.ts) from a third. Rounds alternate
 * baseline and server; the medians of the rounds are printed, as ratios to the baseline.
 *
 *   bun bench/http.ts [rounds=3] [seconds=5] [connections=32]
 *
 * Set WWS_BENCH_DATABASE_URL=postgres://… to measure on Postgres instead.
 */
import { call, load, median, startRawServer, startServer, hasWrk, type LoadRequest, type LoadResult } from './lib'

const rounds = Number(process.argv[2] ?? 3)
const seconds = Number(process.argv[3] ?? 5)
const connections = Number(process.argv[4] ?? 32)
const KEY = 'bench-admin-key-0123456789abcdef'
const NUMBERS = Array.from({ length: 16 }, (_, i) => `9665000000${String(i + 10)}`)
const headers = { 'x-api-key': KEY }

const raw = await startRawServer()
const server = await startServer({
  WA_ENGINE: 'simulator',
  API_KEY: KEY,
  LOG_LEVEL: 'error',
  SIMULATOR_CONNECT_DELAY_MS: '0',
  RATE_LIMIT_PER_MINUTE: '0',
  RATE_LIMIT_SENDS_PER_MINUTE: '0',
  SEND_DELAY_MIN_MS: '0',
  SEND_DELAY_MAX_MS: '0',
  ...(process.env.WWS_BENCH_DATABASE_URL && { DATABASE_URL: process.env.WWS_BENCH_DATABASE_URL }),
})

try {
  for (const number of NUMBERS) {
    await call(`${server.url}/${number}/start`, 'POST', KEY)
    await Bun.sleep(20)
    await call(`${server.url}/${number}/sandbox/scan`, 'POST', KEY)
  }
  const sendBody = (i: number) => JSON.stringify({ chatId: `96651111${String(1000 + i)}@c.us`, text: 'Benchmark message with a realistic length of text in it, about one line long.' })
  const rows: Array<{ label: string; baseline: string; requests: LoadRequest[] }> = [
    { label: 'raw Bun.serve GET', baseline: '', requests: [{ method: 'GET', url: `${raw.url}/state` }] },
    { label: 'raw Bun.serve POST', baseline: '', requests: [{ method: 'POST', url: `${raw.url}/send-text`, body: sendBody(0) }] },
    { label: 'GET /health (public)', baseline: 'raw Bun.serve GET', requests: [{ method: 'GET', url: `${server.url}/health` }] },
    { label: 'GET /:n/state (admin key)', baseline: 'raw Bun.serve GET', requests: NUMBERS.map((n) => ({ method: 'GET', url: `${server.url}/${n}/state`, headers })) },
    {
      label: 'POST /:n/send-text ×16 numbers',
      baseline: 'raw Bun.serve POST',
      requests: NUMBERS.map((n, i) => ({ method: 'POST', url: `${server.url}/${n}/send-text`, headers, body: sendBody(i) })),
    },
  ]
  const results = new Map<string, LoadResult[]>(rows.map((row) => [row.label, []]))
  // Warm-up (JIT, statement caches), not counted.
  for (const row of rows) await load(row.requests, { connections, seconds: 1 })
  for (let round = 0; round < rounds; round++) {
    for (const row of rows) results.get(row.label)!.push(await load(row.requests, { connections, seconds }))
  }
  const summary = (label: string) => {
    const list = results.get(label)!
    return {
      rps: median(list.map((r) => r.requestsPerSecond)),
      p99: median(list.map((r) => r.p99Ms)),
      p50: median(list.map((r) => r.p50Ms)),
      errors: list.reduce((sum, r) => sum + r.errors, 0),
    }
  }
  console.log(`Bun ${Bun.version}, ${hasWrk() ? 'wrk -t1' : 'bench/loadgen.ts'} -c${connections}, ${rounds} rounds of ${seconds} s, medians; storage ${process.env.WWS_BENCH_DATABASE_URL ? 'postgres' : 'sqlite (synchronous=FULL)'}`)
  console.log(`${'path'.padEnd(32)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}  ratio req/s   p99 × raw   errors`)
  for (const row of rows) {
    const s = summary(row.label)
    const base = row.baseline ? summary(row.baseline) : undefined
    const ratio = base ? `${(s.rps / base.rps).toFixed(3)}×`.padStart(11) : ''.padStart(11)
    const p99 = base ? `${(s.p99 / base.p99).toFixed(1)}×`.padStart(11) : ''.padStart(11)
    console.log(`${row.label.padEnd(32)} ${s.rps.toFixed(0).padStart(8)} ${s.p50.toFixed(2).padStart(8)} ${s.p99.toFixed(2).padStart(8)}  ${ratio} ${p99}   ${s.errors}`)
  }
} finally {
  await server.stop()
  await raw.stop()
}
