/**
 * The server's Prometheus metrics (prom-client), in one registry per server so tests and
 * several servers in one process never share counters. Services report through the small
 * `MetricsObserver` methods below and never see prom-client or Elysia; gauges that mirror
 * state (sessions, pending deliveries, browser memory) are read from their sources at
 * scrape time instead of being kept in step by hand.
 *
 * Label values are always from small fixed sets (engine, status, direction, outcome,
 * method, route pattern, status code) — never a phone number or an id — except
 * `whatsapp_browser_memory_bytes{session}`, which by nature has one series per session;
 * its `session` label is a pseudonym of the number (`sessionLabel`), not the number.
 */
import { createHash } from 'node:crypto'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

export type MessageDirection = 'in' | 'out'
/** A webhook attempt: `delivered` (2xx), `retry` (will be tried again), `failed` (given up: 410 Gone or the endpoint disabled). */
export type DeliveryOutcome = 'delivered' | 'retry' | 'failed'

/** What services report; all no-ops are fine (tests, benchmarks). */
export interface MetricsObserver {
  message(direction: MessageDirection, engine: string): void
  webhookAttempt(outcome: DeliveryOutcome, seconds: number): void
  engineRestart(engine: string): void
  httpRequest(method: string, route: string, status: number, seconds: number): void
}

/** State read at scrape time. */
export interface MetricSources {
  sessions(): Promise<Array<{ engine: string; status: string }>>
  outboxPending(): Promise<number>
  /** Memory of each session's own processes (webjs: its Chromium); sessions without any are left out. */
  browserMemory(): Array<{ phoneNumber: string; engine: string; bytes: number }>
}

/**
 * The `session` label of a per-session series: the first 12 hex digits of SHA-256 of the
 * number, so a scrape (often stored and shown far from this server) carries no phone
 * number. An operator finds a number's series with `printf %s <number> | sha256sum | cut -c1-12`.
 */
export function sessionLabel(phoneNumber: string): string {
  return createHash('sha256').update(phoneNumber).digest('hex').slice(0, 12)
}

/**
 * The default process metrics (CPU, memory, event loop, GC) describe the process, not one
 * server: registered once per process, however many servers (tests) it builds.
 */
let processRegistry: Registry | undefined
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry()
    collectDefaultMetrics({ register: processRegistry })
  }
  return processRegistry
}

export class Metrics implements MetricsObserver {
  readonly registry = new Registry()
  private sources?: MetricSources
  private readonly messages: Counter<'direction' | 'engine'>
  private readonly deliveries: Counter<'outcome'>
  private readonly deliveryDuration: Histogram
  private readonly restarts: Counter<'engine'>
  private readonly requests: Counter<'method' | 'route' | 'status'>
  private readonly requestDuration: Histogram<'method' | 'route'>

  constructor() {
    const registers = [this.registry]
    processMetrics()
    // A closure, not `this` inside collect(): prom-client calls collect with the metric as `this`.
    const sources = () => this.sources
    new Gauge({
      name: 'whatsapp_sessions',
      help: 'Sessions by engine and status (STOPPED included).',
      labelNames: ['engine', 'status'],
      registers,
      async collect() {
        this.reset()
        const list = (await sources()?.sessions()) ?? []
        for (const session of list) this.inc({ engine: session.engine, status: session.status })
      },
    })
    new Gauge({
      name: 'whatsapp_outbox_pending',
      help: 'Webhook deliveries not yet delivered or given up (waiting, in flight, or backing off).',
      registers,
      async collect() {
        this.set((await sources()?.outboxPending()) ?? 0)
      },
    })
    new Gauge({
      name: 'whatsapp_browser_memory_bytes',
      help: "Resident memory of each webjs session's Chromium processes; `session` is sha256(number)[0:12].",
      labelNames: ['session', 'engine'],
      registers,
      collect() {
        this.reset()
        for (const usage of sources()?.browserMemory() ?? []) this.set({ session: sessionLabel(usage.phoneNumber), engine: usage.engine }, usage.bytes)
      },
    })
    this.messages = new Counter({
      name: 'whatsapp_messages_total',
      help: 'Messages seen by the server: `in` received, `out` sent (through the API or from the phone).',
      labelNames: ['direction', 'engine'],
      registers,
    })
    this.deliveries = new Counter({
      name: 'whatsapp_webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome: delivered, retry (will be retried), failed (given up).',
      labelNames: ['outcome'],
      registers,
    })
    this.deliveryDuration = new Histogram({
      name: 'whatsapp_webhook_delivery_duration_seconds',
      help: 'Time of one webhook delivery attempt, from request to answer (or error).',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    })
    this.restarts = new Counter({
      name: 'whatsapp_engine_restarts_total',
      help: 'Restarts of crashed or hung engine sessions.',
      labelNames: ['engine'],
      registers,
    })
    this.requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status'],
      registers,
    })
    this.requestDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by method and route pattern, until the response is handed to the server.',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    })
    // Series every scrape should show from the start, so rates and alerts have a zero to begin from.
    for (const outcome of ['delivered', 'retry', 'failed'] as const) this.deliveries.inc({ outcome }, 0)
  }

  /** Elysia checksums a plugin's seed (the deps) with JSON.stringify; the registry's metrics refer back to it. */
  toJSON(): string {
    return 'Metrics'
  }

  /** Where the scrape-time gauges read from (set once the services exist). */
  readFrom(sources: MetricSources): void {
    this.sources = sources
  }

  message(direction: MessageDirection, engine: string): void {
    this.messages.inc({ direction, engine })
  }

  webhookAttempt(outcome: DeliveryOutcome, seconds: number): void {
    this.deliveries.inc({ outcome })
    this.deliveryDuration.observe(seconds)
  }

  engineRestart(engine: string): void {
    this.restarts.inc({ engine })
  }

  httpRequest(method: string, route: string, status: number, seconds: number): void {
    this.requests.inc({ method, route, status: String(status) })
    this.requestDuration.observe({ method, route }, seconds)
  }

  get contentType(): string {
    return this.registry.contentType
  }

  /** The exposition text: this server's metrics, then the process's. */
  async render(): Promise<string> {
    const [own, process] = await Promise.all([this.registry.metrics(), processMetrics().metrics()])
    return `${own}\n${process}`
  }
}
