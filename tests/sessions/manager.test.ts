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
