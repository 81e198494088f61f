/**
 * Webhook delivery benchmark: `bun bench/webhooks.ts [events] [rate] [seconds]`.
 *
 * 1. Throughput: fills the outbox with `events` message events (delivery paused), then
 *    starts the deliverer and times how fast they reach a receiver on 127.0.0.1 (2xx each).
 * 2. Latency: publishes message events at a fixed `rate` per second for `seconds` and
 *    measures, per event, the time from the engine's event (bus publish) to its arrival
 *    at the receiver: ingest transaction (fsync'd outbox write) + dispatch + signed POST.
 *
 * Everything is real: SQLite in a temp DATA_DIR (WAL, synchronous=FULL), the safe fetcher
 * (SSRF checks, OUTBOUND_ALLOW_CIDRS=127.0.0.1/32), Standard Webhooks + WAHA HMAC
 * signing. The receiver runs in a process of its own (bench/webhook-receiver.ts), as a real
 * receiver does; until issue 9 it ran in this process and took CPU from the deliverer.
 * Targets (issue 9): ≥ 15,000 events/s; p99 ≤ 20 ms at 1,000 events/s on 2 cores.
 */
import { rmSync } from 'node:fs'
import { mkdtempSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../src/config'
import { createDeps, type AppDeps } from '../src/deps'
import { generateWebhookSecret } from '../src/events/signing'
import type { EngineEvent } from '../src/providers/engine'
import { startWebhookReceiver, type Child } from './lib'

const EVENTS = Number(process.argv[2] ?? 20_000)
const RATE = Number(process.argv[3] ?? 1_000)
const SECONDS = Number(process.argv[4] ?? 10)
const SESSION = '966500000001'

/** Now on the clock the receiver process records arrivals with. */
function now(): number {
  return performance.timeOrigin + performance.now()
}

async function receiverCount(receiver: Child): Promise<{ count: number; last: number | null }> {
  return (await (await fetch(`${receiver.url}/count`)).json()) as { count: number; last: number | null }
}

async function receiverReport(receiver: Child): Promise<Array<[string, number]>> {
  return (await (await fetch(`${receiver.url}/report`)).json()) as Array<[string, number]>
}

async function boot(receiverUrl: string, deliver: boolean): Promise<{ deps: AppDeps; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'wws-bench-'))
  const config = loadConfig({
    DATA_DIR: dir,
    WA_ENGINE: 'simulator',
    API_KEY: 'bench-admin-key-0123456789abcdef',
    LOG_LEVEL: 'error',
    OUTBOUND_ALLOW_CIDRS: '127.0.0.1/32',
    WEBHOOK_URL: `${receiverUrl}/hook`,
    WEBHOOK_EVENTS: 'message',
    WEBHOOK_SECRET: generateWebhookSecret(),
    // To see how delivery scales with the slots one endpoint gets (default 8).
    ...(process.env.WEBHOOK_ENDPOINT_CONCURRENCY && { WEBHOOK_ENDPOINT_CONCURRENCY: process.env.WEBHOOK_ENDPOINT_CONCURRENCY }),
  })
  const deps = await createDeps(config, { deliverWebhooks: deliver })
  return { deps, dir }
}

function messageEvent(id: string): EngineEvent {
  return {
    type: 'message',
    message: {
      id,
      timestamp: Math.floor(Date.now() / 1000),
      chatId: '966511111111@c.us',
      from: '966511111111@c.us',
      to: `${SESSION}@c.us`,
      fromMe: false,
      type: 'text',
      body: 'Benchmark message with a realistic length of text in it, about one line long.',
      hasMedia: false,
      ack: 2,
    },
  }
}

function publish(deps: AppDeps, id: string): void {
  deps.bus.publish({ session: SESSION, engine: 'simulator', me: { id: `${SESSION}@c.us`, pushName: 'Bench' }, receivedAt: Date.now(), event: messageEvent(id) })
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number, intervalMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) return false
    await Bun.sleep(intervalMs)
  }
  return true
}

async function throughput(): Promise<void> {
  const receiver = await startWebhookReceiver()
  const { deps, dir } = await boot(receiver.url, false)
  try {
    const fillStart = performance.now()
    for (let i = 0; i < EVENTS; i++) publish(deps, `t${i}`)
    await deps.ingest.idle()
    const fillMs = performance.now() - fillStart
    const start = now()
    deps.events.start()
    let seen = { count: 0, last: null as number | null }
    const done = await waitUntil(async () => (seen = await receiverCount(receiver)).count >= EVENTS, 120_000)
    const ms = (seen.last ?? now()) - start
    console.log(`throughput: ${EVENTS} events written to the outbox in ${fillMs.toFixed(0)} ms (${((EVENTS / fillMs) * 1000).toFixed(0)} events/s ingested, group-committed with fsync)`)
    console.log(
      `throughput: ${seen.count} delivered in ${ms.toFixed(0)} ms → ${((seen.count / ms) * 1000).toFixed(0)} events/s delivered from the outbox${done ? '' : ' (TIMED OUT)'}`,
    )
  } finally {
    await deps.close()
    await receiver.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

async function latency(): Promise<void> {
  const sentAt = new Map<string, number>()
  const receiver = await startWebhookReceiver()
  const { deps, dir } = await boot(receiver.url, true)
  try {
    // Warm up (JIT, connections, prepared statements), not measured.
    for (let i = 0; i < 200; i++) publish(deps, `w${i}`)
    await deps.ingest.idle()
    await waitUntil(async () => (await receiverCount(receiver)).count >= 200, 10_000)
    await fetch(`${receiver.url}/reset`)

    const total = RATE * SECONDS
    const tickMs = 5
    const perTick = (RATE * tickMs) / 1000
    let sent = 0
    const start = performance.now()
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        // Catch up to the schedule, so timer jitter does not lower the rate.
        const due = Math.min(total, Math.floor(((performance.now() - start) / tickMs) * perTick))
        for (; sent < due; sent++) {
          const id = `l${sent}`
          sentAt.set(id, now())
          publish(deps, id)
        }
        if (sent >= total) {
          clearInterval(timer)
          resolve()
        }
      }, tickMs)
    })
    const elapsed = performance.now() - start
    await waitUntil(async () => (await receiverCount(receiver)).count >= total, 30_000, 100)
    const latencies = (await receiverReport(receiver)).flatMap(([id, at]) => (sentAt.has(id) ? [at - sentAt.get(id)!] : []))
    const sorted = [...latencies].sort((a, b) => a - b)
    console.log(
      `latency at ${RATE} events/s for ${SECONDS} s (${sent} events in ${(elapsed / 1000).toFixed(2)} s, ${latencies.length} delivered): ` +
        `p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms (event → receiver)`,
    )
  } finally {
    await deps.close()
    await receiver.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

console.log(`bun ${Bun.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'})`)
await throughput()
await latency()
process.exit(0)
