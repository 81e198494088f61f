/**
 * HTTP throughput and latency of the API on loopback: a real listening server (simulator
 * engine, one linked session), C concurrent clients for a fixed number of requests each.
 * Prints figures; asserts nothing.
 *
 *   bun bench/http.ts [concurrency=32] [requestsPerClient=500]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApp } from '../src/app'
import { loadConfig } from '../src/config'
import { createDeps } from '../src/deps'

const concurrency = Number(process.argv[2] ?? 32)
const perClient = Number(process.argv[3] ?? 500)
const KEY = 'bench-admin-key-0123456789abcdef'
const PHONE = '966500000001'

const dataDir = mkdtempSync(join(tmpdir(), 'wws-bench-'))
const deps = await createDeps(
  loadConfig({ DATA_DIR: dataDir, WA_ENGINE: 'simulator', API_KEY: KEY, LOG_LEVEL: 'silent', PRINT_QR: 'false', SIMULATOR_CONNECT_DELAY_MS: '0', RATE_LIMIT_PER_MINUTE: '0', RATE_LIMIT_SENDS_PER_MINUTE: '0' }),
)
const app = createApp(deps).listen({ port: 0, hostname: '127.0.0.1' })
const base = `http://127.0.0.1:${app.server!.port}/api/whatsapp`
const headers = { 'x-api-key': KEY }

await fetch(`${base}/${PHONE}/start`, { method: 'POST', headers })
await Bun.sleep(50)
await fetch(`${base}/${PHONE}/sandbox/scan`, { method: 'POST', headers })

async function run(label: string, request: () => Promise<Response>): Promise<void> {
  const latencies: number[] = []
  let errors = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = 0; i < perClient; i++) {
        const t0 = performance.now()
        const response = await request()
        await response.arrayBuffer()
        if (!response.ok) errors++
        latencies.push(performance.now() - t0)
      }
    }),
  )
  const seconds = (performance.now() - started) / 1000
  latencies.sort((a, b) => a - b)
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!.toFixed(2)
  console.log(
    `${label.padEnd(28)} ${String(Math.round(latencies.length / seconds)).padStart(7)} req/s   p50 ${pct(50)} ms   p99 ${pct(99)} ms   errors ${errors}`,
  )
}

console.log(`concurrency ${concurrency}, ${perClient} requests per client, Bun ${Bun.version}`)
await run('GET /health (public)', () => fetch(`${base}/health`))
await run('GET /:phone/state (guarded)', () => fetch(`${base}/${PHONE}/state`, { headers }))
await run('GET /sessions (guarded, DB)', () => fetch(`${base}/sessions`, { headers }))

await app.stop()
await deps.close()
rmSync(dataDir, { recursive: true, force: true })
