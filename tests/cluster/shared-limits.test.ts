/**
 * Shared limits (issue 10): with nodes on one Postgres, a credential's rate limit is one
 * budget whichever node its requests reach, an Idempotency-Key used at one node is
 * recognised at another, and a WAHA callback repeated at another node is a repeat there.
 * Each request is counted once, at the node that received it.
 */
import { describe, expect, test } from 'bun:test'
import { SQL } from 'bun'
import { createSharedRateLimiter } from '../../src/auth/shared-rate-limit'
import { CallbackDeliveriesRepository } from '../../src/storage/callback-deliveries-repo'
import { createTestServer, type TestServer } from '../helpers/app'
import { migrated, usePostgresCluster } from '../helpers/cluster-events'

const postgres = usePostgresCluster()
const cleanup = postgres.cleanup

const START = Date.parse('2030-01-01T00:00:00.000Z')

function freePort(): number {
  const probe = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('') })
  const port = probe.port!
  probe.stop(true)
  return port
}

/** Two nodes on one database, sharing a stepped clock, each listening at its NODE_URL (a number's requests are forwarded to the node running it). */
async function twoNodes(env: Record<string, string>, clock: { now: number }, beforeSecond?: (first: TestServer) => Promise<void>): Promise<[TestServer, TestServer]> {
  const url = await postgres.cluster().createDatabase('limits')
  const nodes: TestServer[] = []
  for (const id of ['node-a', 'node-b']) {
    if (nodes[0] && beforeSecond) await beforeSecond(nodes[0])
    const port = freePort()
    const server = await createTestServer({ ...env, DATABASE_URL: url, NODE_ID: id, NODE_URL: `http://127.0.0.1:${port}` }, { now: () => clock.now })
    const listening = Bun.serve({ hostname: '127.0.0.1', port, fetch: (request) => server.app.handle(request) })
    cleanup.push(() => server.close())
    cleanup.push(async () => void listening.stop(true))
    nodes.push(server)
  }
  return nodes as [TestServer, TestServer]
}

describe('rate limits across nodes', () => {
  test("one credential's requests spread over two nodes spend one budget; 429 with Retry-After on either, until it refills", async () => {
    const clock = { now: START }
    const [a, b] = await twoNodes({ RATE_LIMIT_PER_MINUTE: '4' }, clock)
    const remaining: Array<string | null> = []
    for (const node of [a, b, a, b]) {
      const response = await node.call('GET', '/sessions')
      expect(response.status).toBe(200)
      remaining.push(response.headers.get('ratelimit-remaining'))
    }
    expect(remaining).toEqual(['3', '2', '1', '0'])
    for (const node of [a, b]) {
      const refused = await node.call('GET', '/sessions')
      expect(refused.status).toBe(429)
      expect(refused.body).toMatchObject({ code: 'RATE_LIMITED', statusCode: 429 })
      expect(refused.headers.get('retry-after')).toBe('15')
    }
    // A refused request costs nothing: a quarter of the window later, exactly one more fits, on either node.
    clock.now += 15_000
    expect((await b.call('GET', '/sessions')).status).toBe(200)
    expect((await a.call('GET', '/sessions')).status).toBe(429)
  }, 60_000)

  test('concurrent requests at several nodes never spend the same capacity twice', async () => {
    const url = await postgres.cluster().createDatabase('race')
    await migrated(url)
    const pools = [new SQL({ url, max: 5 }), new SQL({ url, max: 5 }), new SQL({ url, max: 5 })]
    cleanup.push(async () => {
      for (const pool of pools) await pool.close()
    })
    const limiters = pools.map((db) => createSharedRateLimiter(db, { name: 'requests', limit: 10, windowMs: 60_000, now: () => START }))
    const results = await Promise.all(Array.from({ length: 45 }, (_, i) => limiters[i % 3]!.consume('key_1')))
    expect(results.filter((r) => r.allowed).length).toBe(10)
    expect(results.filter((r) => !r.allowed).every((r) => r.retryAfterSeconds === 6)).toBe(true)
    // Another credential has its own bucket.
    expect((await limiters[0]!.consume('key_2')).allowed).toBe(true)
  }, 60_000)
})

describe('idempotency keys across nodes', () => {
  test('a send retried with the same Idempotency-Key at another node (the first one gone) replays the first result and sends nothing', async () => {
    const clock = { now: Date.now() }
    // B joins once A runs the number, so A keeps its lease.
    const [a, b] = await twoNodes({}, clock, (first) => first.link('966500000001'))
    const body = { chatId: '15550001111', text: 'once' }
    const first = await a.call<{ messageId: string }>('POST', '/966500000001/send-text', { body, headers: { 'idempotency-key': 'order-42' } })
    expect(first.status).toBe(200)
    // A stops (its leases released): B answers the retry itself, from the shared key, not through a hop to A.
    await a.close()
    const again = await b.call<{ messageId: string }>('POST', '/966500000001/send-text', { body, headers: { 'idempotency-key': 'order-42' } })
    expect(again.status).toBe(200)
    expect(again.body.messageId).toBe(first.body.messageId)
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    // The same key with another request is refused at any node.
    const other = await b.call('POST', '/966500000001/send-text', { body: { ...body, text: 'twice' }, headers: { 'idempotency-key': 'order-42' } })
    expect(other.status).toBe(409)
    expect(other.body).toMatchObject({ code: 'CONFLICT' })
  }, 60_000)
})

describe('WAHA callback de-duplication across nodes', () => {
  test('the same delivery id arriving at several nodes at once is taken in exactly once; a released id is taken again', async () => {
    const url = await postgres.cluster().createDatabase('callbacks')
    await migrated(url)
    const pools = [new SQL({ url, max: 3 }), new SQL({ url, max: 3 })]
    cleanup.push(async () => {
      for (const pool of pools) await pool.close()
    })
    const repos = pools.map((db) => new CallbackDeliveriesRepository(db))
    const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => repos[i % 2]!.claim('966500000001', 'evt_1')))
    expect(claims.filter(Boolean).length).toBe(1)
    // Per session: another session's same id is its own.
    expect(await repos[1]!.claim('966500000002', 'evt_1')).toBe(true)
    // Events that could not be taken in release the id, so the backend's retry is accepted (once).
    await repos[0]!.release('966500000001', 'evt_1')
    expect(await repos[1]!.claim('966500000001', 'evt_1')).toBe(true)
    expect(await repos[0]!.claim('966500000001', 'evt_1')).toBe(false)
  }, 60_000)
})
