import { afterEach, expect, test } from 'bun:test'
import {
  BaseEngineSession,
  type Capability,
  type EngineContext,
  type EngineFactory,
  type SessionSnapshot,
  type SessionStatus,
} from '../../src/providers/engine'
import { createTestServer, waitFor, type TestServer, testEngine } from '../helpers/app'

const PHONE = '966500000001'
let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
})

/** An engine whose every start dies shortly after, as a browser that cannot run would. */
class AlwaysCrashing extends BaseEngineSession {
  readonly engine = 'flaky'
  readonly capabilities: ReadonlySet<Capability> = new Set<Capability>()
  private status: SessionStatus = 'STOPPED'
  constructor(private readonly context: EngineContext, private readonly starts: { count: number }) {
    super()
  }
  snapshot(): SessionSnapshot {
    return { status: this.status }
  }
  async start(): Promise<void> {
    this.starts.count++
    this.status = 'STARTING'
    this.context.emit({ type: 'session.status', status: 'STARTING' })
    setTimeout(() => {
      this.status = 'FAILED'
      this.context.emit({ type: 'session.status', status: 'FAILED', reason: 'browser died' })
      this.context.emit({ type: 'engine.crashed', reason: `browser died (start ${this.starts.count})` })
    }, 1)
  }
  async stop(): Promise<void> {
    this.status = 'STOPPED'
  }
  async logout(): Promise<void> {
    this.status = 'STOPPED'
  }
}

test('an engine that never recovers is restarted the configured number of times, then FAILED with the reason', async () => {
  const starts = { count: 0 }
  const factory: EngineFactory = {
    engine: 'flaky',
    capabilities: new Set<Capability>(),
    create: (context) => new AlwaysCrashing(context, starts),
  }
  server = await createTestServer({ ENGINE_RESTART_MAX_ATTEMPTS: '3' }, { addEngines: [testEngine('flaky', () => factory)] })
  const started = await server.call('POST', `/${PHONE}/start`, { body: { engine: 'flaky' } })
  expect(started.status).toBe(200)
  await waitFor(async () => String((await server!.call('GET', `/${PHONE}/state`)).body.reason).includes('restarted 3 times'))
  const state = await server.call('GET', `/${PHONE}/state`)
  expect(state.body).toMatchObject({ status: 'FAILED', state: 'DISCONNECTED' })
  expect(String(state.body.reason)).toContain('browser died (start 4)')
  expect(starts.count).toBe(4)
  await Bun.sleep(100)
  expect(starts.count).toBe(4)
  // A manual start is a fresh beginning with a fresh budget.
  await server.call('POST', `/${PHONE}/start`)
  await waitFor(() => starts.count === 5)
})

/** Starts that finish only when the test lets them, counting how many run at once. */
class GatedStart extends BaseEngineSession {
  readonly engine = 'waha' as const
  readonly capabilities: ReadonlySet<Capability> = new Set<Capability>()
  private status: SessionStatus = 'STOPPED'
  constructor(private readonly gate: { running: number; most: number; waiting: Array<() => void> }) {
    super()
  }
  snapshot(): SessionSnapshot {
    return { status: this.status }
  }
  async start(): Promise<void> {
    this.gate.running++
    this.gate.most = Math.max(this.gate.most, this.gate.running)
    await new Promise<void>((resolve) => this.gate.waiting.push(resolve))
    this.gate.running--
    this.status = 'WORKING'
  }
  async stop(): Promise<void> {
    this.status = 'STOPPED'
  }
  async logout(): Promise<void> {
    this.status = 'STOPPED'
  }
}

test('a boot restores sessions in parallel, no more of an engine at once than it allows, and answers requests meanwhile', async () => {
  const gate = { running: 0, most: 0, waiting: [] as Array<() => void> }
  const factory: EngineFactory = { engine: 'waha', capabilities: new Set<Capability>(), maxConcurrentStarts: 2, create: () => new GatedStart(gate) }
  server = await createTestServer({}, { engines: { waha: async () => factory } })
  const phones = Array.from({ length: 5 }, (_, i) => `96650000010${i}`)
  for (const phone of phones) await server.deps.sessions['options'].sessions.upsert({ phoneNumber: phone, accountId: null, engine: 'waha', desiredState: 'running' })
  let done = false
  const restored = server.deps.sessions.restoreAll().then(() => (done = true))
  await waitFor(async () => gate.waiting.length === 2)
  // Two launches are waiting; the API is not.
  expect((await server.call('GET', '/sessions')).status).toBe(200)
  while (!done) {
    gate.waiting.shift()?.()
    await Bun.sleep(1)
  }
  await restored
  expect(gate.most).toBe(2)
  for (const phone of phones) expect((await server.call('GET', `/${phone}/state`)).body).toMatchObject({ status: 'WORKING' })
})
