/**
 * Forwarding a number's routes to the node that runs its session (API.md §10), with two
 * real in-process servers listening on 127.0.0.1 and a stand-in for the lease table, so
 * each case places a session where it needs it: the owner answers (X-Session-Node), a hop
 * is never forwarded twice, forged or expired hops are 401, an unreachable owner is 503, a
 * lapsed lease is handled here, a stale owner is 409 with Retry-After, hop-by-hop headers
 * never cross, and bodies stream both ways.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { HOP_HEADERS, signHop } from '../../src/cluster/forward'
import type { SessionOwner, SessionOwnership } from '../../src/cluster/ownership'
import { ADMIN_KEY, createTestServer, waitFor, type TestServer } from '../helpers/app'
import { startReceiver } from '../helpers/receiver'
import { SseReader } from '../helpers/sse'

const SECRET = 'forward-test-secret-0123456789abcdef0123456789'

/** A lease table the test writes: number → owner. */
class StandInLeases implements SessionOwnership {
  readonly clustered = true
  readonly leases = new Map<string, SessionOwner>()
  selfUrl = ''

  constructor(readonly selfNodeId: string) {}

  async ownerOf(phoneNumber: string): Promise<SessionOwner | null> {
    return this.leases.get(phoneNumber) ?? null
  }
}

interface Node {
  id: string
  server: TestServer
  leases: StandInLeases
  url: string
  stop(): void
}

async function startNode(id: string, env: Record<string, string> = {}, now?: () => number): Promise<Node> {
  const leases = new StandInLeases(id)
  const server = await createTestServer({ NODE_ID: id, CLUSTER_SECRET: SECRET, ...env }, { ownership: leases, ...(now && { now }) })
  const listening = Bun.serve({ hostname: '127.0.0.1', port: 0, idleTimeout: 60, maxRequestBodySize: Number.MAX_SAFE_INTEGER, fetch: (request) => server.app.handle(request) })
  const url = `http://127.0.0.1:${listening.port}`
  leases.selfUrl = url
  return { id, server, leases, url, stop: () => void listening.stop(true) }
}

function place(phoneNumber: string, owner: Node | { id: string; url: string }, on: Node[], expired = false): void {
  for (const node of on) node.leases.leases.set(phoneNumber, { nodeId: owner.id, url: owner.url, epoch: 1, expired })
}

const ON_B = '15550001001'
const PEER_ON_B = '15550001002'
let bClockOffset = 0
let a: Node
let b: Node

beforeAll(async () => {
  a = await startNode('node-a', { RATE_LIMIT_PER_MINUTE: '1000' })
  // B counts nothing a hop brings: with a limit of 3 per minute, hops well past it still pass.
  // While the test links B's numbers through B itself, B's clock moves a minute per reading so
  // its polling is never limited; afterwards the clock runs normally.
  let linking = true
  b = await startNode('node-b', { RATE_LIMIT_PER_MINUTE: '3' }, () => Date.now() + (linking ? (bClockOffset += 60_000) : bClockOffset))
  place(ON_B, b, [a, b])
  place(PEER_ON_B, b, [a, b])
  await b.server.link(ON_B)
  await b.server.link(PEER_ON_B)
  linking = false
})

afterAll(async () => {
  a.stop()
  b.stop()
  await a.server.close()
  await b.server.close()
})

describe('a number run by another node', () => {
  test('is answered by its owner through any node, which names itself in X-Session-Node', async () => {
    const state = await a.server.call('GET', `/${ON_B}/state`)
    expect(state.status).toBe(200)
    expect(state.body.status).toBe('WORKING')
    expect(state.headers.get('x-session-node')).toBe('node-b')
    // Node A has no such session of its own: the answer came from B.
    expect(await a.server.deps.sessions.find(ON_B)).toBeUndefined()
  })

  test('a send through A lands in B\'s history, and the owner does not count the hops against its rate limit', async () => {
    for (let i = 0; i < 4; i++) {
      const sent = await a.server.call('POST', `/${ON_B}/send-text`, { body: { chatId: PEER_ON_B, text: `via a ${i}` } })
      expect(sent.status).toBe(200)
      expect(sent.headers.get('x-session-node')).toBe('node-b')
    }
    // The history is read through A as well: B's own limit (3 a minute) would refuse it by now.
    await waitFor(async () => {
      const history = await a.server.call('GET', `/${PEER_ON_B}/messages/${ON_B}@c.us?limit=10`)
      return history.status === 200 && JSON.stringify(history.body).includes('via a 3')
    })
    // …which B does apply to its own callers: the limit is real, hops are just not counted twice.
    const direct = await Promise.all([1, 2, 3, 4].map(() => b.server.call('GET', `/${ON_B}/state`)))
    expect(direct.map((response) => response.status)).toContain(429)
  })

  test('the body is streamed on (no Content-Length, sent in chunks) and parsed by the owner', async () => {
    const encoder = new TextEncoder()
    const parts = ['{"chatId":"', PEER_ON_B, '","text":"streamed ', 'body"}']
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = parts.shift()
        if (next === undefined) controller.close()
        else controller.enqueue(encoder.encode(next))
      },
    })
    const response = await fetch(`${a.url}/api/whatsapp/${ON_B}/send-text`, { method: 'POST', headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' }, body, duplex: 'half' } as RequestInit)
    expect(response.status).toBe(200)
    expect(response.headers.get('x-session-node')).toBe('node-b')
    expect(await response.json()).toHaveProperty('messageId')
  })

  test('the owner judges the body: an invalid one is its 400, not a guess of the entry node', async () => {
    const refused = await a.server.call('POST', `/${ON_B}/send-text`, { body: { chatId: PEER_ON_B } })
    expect(refused.status).toBe(400)
    expect(refused.body.code).toBe('BAD_REQUEST')
    expect(refused.headers.get('x-session-node')).toBe('node-b')
  })

  test('the response streams: an SSE stream opened on A carries B\'s events as they happen', async () => {
    const response = await fetch(`${a.url}/api/whatsapp/${ON_B}/events`, { headers: { 'x-api-key': ADMIN_KEY, accept: 'text/event-stream' } })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toContain('text/event-stream')
    expect(response.headers.get('x-session-node')).toBe('node-b')
    const reader = new SseReader(response)
    try {
      await a.server.call('POST', `/${ON_B}/sandbox/incoming`, { body: { from: '966511111111', text: 'live through a hop' } })
      await waitFor(() => reader.events.some((event) => JSON.stringify(event.data.payload).includes('live through a hop')), 10_000)
      expect(reader.ended).toBe(false)
      expect(b.server.deps.events.sse.subscriberCount(ON_B)).toBe(1)
    } finally {
      await reader.close()
    }
    // The client going away reaches the owner: its stream closes too.
    await waitFor(() => b.server.deps.events.sse.subscriberCount(ON_B) === 0, 10_000)
  })

  test('the caller\'s identity travels with the hop: the owner refuses an account the session is not of', async () => {
    const minted = await a.server.call<{ key: string }>('POST', '/api-keys', { body: { name: 'other', accountId: 'acme' } })
    expect(minted.status).toBe(201)
    // A knows nothing of the session (its record is on B); B does, and it is the admin's.
    const refused = await a.server.call('GET', `/${ON_B}/state`, { key: minted.body.key })
    expect(refused.status).toBe(403)
    expect(refused.headers.get('x-session-node')).toBe('node-b')
  })

  test('authentication happens at the entry node: no credentials → 401 there, nothing forwarded', async () => {
    const refused = await a.server.call('GET', `/${ON_B}/state`, { key: null })
    expect(refused.status).toBe(401)
    expect(refused.headers.get('x-session-node')).toBe('node-a')
  })
})

describe("WAHA's routes of a session run by another node", () => {
  test('are forwarded like ours: session in the path, or in the query of a GET', async () => {
    const call = (path: string) => a.server.app.handle(new Request(`http://localhost${path}`, { headers: { 'x-api-key': ADMIN_KEY } }))
    for (const path of [`/api/sessions/${ON_B}`, `/api/${ON_B}/chats`, `/api/checkNumberStatus?session=${ON_B}&phone=${PEER_ON_B}`]) {
      const response = await call(path)
      expect({ path, status: response.status, node: response.headers.get('x-session-node') }).toEqual({ path, status: 200, node: 'node-b' })
    }
    const session = await (await call(`/api/sessions/${ON_B}`)).json()
    expect(session).toMatchObject({ name: ON_B, status: 'WORKING' })
  })

  test('…and in the JSON body (POST /api/sendText {session}), which still streams on unread', async () => {
    const sent = await a.server.app.handle(
      new Request('http://localhost/api/sendText', {
        method: 'POST',
        headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ session: ON_B, chatId: `${PEER_ON_B}@c.us`, text: 'waha through a hop' }),
      }),
    )
    expect(sent.status).toBe(201)
    expect(sent.headers.get('x-session-node')).toBe('node-b')
    const history = await a.server.call('GET', `/${PEER_ON_B}/messages/${ON_B}@c.us?limit=20`)
    await waitFor(async () => JSON.stringify((await a.server.call('GET', `/${PEER_ON_B}/messages/${ON_B}@c.us?limit=20`)).body).includes('waha through a hop'))
    expect(history.headers.get('x-session-node')).toBe('node-b')
  })

  test('without credentials: 401 at the entry node, nothing forwarded', async () => {
    const refused = await a.server.app.handle(new Request(`http://localhost/api/${ON_B}/chats`))
    expect(refused.status).toBe(401)
  })
})

describe('where a request is handled', () => {
  test('a lapsed lease, or none, is handled here', async () => {
    const lapsed = '15550002001'
    place(lapsed, b, [a], true)
    await a.server.link(lapsed)
    const state = await a.server.call('GET', `/${lapsed}/state`)
    expect(state.status).toBe(200)
    expect(state.body.status).toBe('WORKING')
    expect(state.headers.get('x-session-node')).toBe('node-a')
    const none = await a.server.call('GET', '/15550002002/state')
    expect(none.status).toBe(404)
    expect(none.headers.get('x-session-node')).toBe('node-a')
  })

  test('an owner that cannot be reached → 503 ENGINE_UNAVAILABLE', async () => {
    const closed = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('') })
    const deadUrl = `http://127.0.0.1:${closed.port}`
    closed.stop(true)
    place('15550003001', { id: 'node-dead', url: deadUrl }, [a])
    const refused = await a.server.call('GET', '/15550003001/state')
    expect(refused.status).toBe(503)
    expect(refused.body.code).toBe('ENGINE_UNAVAILABLE')
  })

  test('a stale owner (its lease moved on) → 409 CONFLICT with Retry-After, passed on by the entry node', async () => {
    const moved = '15550004001'
    place(moved, b, [a])
    place(moved, { id: 'node-c', url: 'http://127.0.0.1:9' }, [b])
    const refused = await a.server.call('GET', `/${moved}/state`)
    expect(refused.status).toBe(409)
    expect(refused.body.code).toBe('CONFLICT')
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
  })
})

describe('the hop header', () => {
  function hopHeaders(path: string, overrides: { secret?: string; now?: number; method?: string } = {}): Record<string, string> {
    return signHop(overrides.secret ?? SECRET, { method: overrides.method ?? 'GET', pathAndQuery: `/api/whatsapp${path}`, origin: 'node-b', principal: { kind: 'admin', accountId: null, isAdmin: true, credentialId: 'admin' }, now: overrides.now ?? Date.now() })
  }

  test('a valid hop is answered locally with the principal it carries (no credentials needed), never forwarded again', async () => {
    const own = '15550005001'
    place(own, a, [a])
    const answered = await a.server.call('GET', `/${own}/state`, { key: null, headers: hopHeaders(`/${own}/state`) })
    expect(answered.status).toBe(404) // no such session here: answered by A itself
    expect(answered.headers.get('x-session-node')).toBe('node-a')
  })

  test('a hop reaching a node that sees the number elsewhere is refused (409), not forwarded: no loops', async () => {
    const receiver = startReceiver()
    try {
      place('15550005002', { id: 'node-r', url: receiver.url.replace(/\/$/, '') }, [a])
      const refused = await a.server.call('GET', '/15550005002/state', { key: null, headers: hopHeaders('/15550005002/state') })
      expect(refused.status).toBe(409)
      expect(receiver.received).toHaveLength(0)
    } finally {
      await receiver.close()
    }
  })

  test('a hop made for a public route (no caller) cannot open a guarded one → 401', async () => {
    const headers = signHop(SECRET, { method: 'GET', pathAndQuery: `/api/whatsapp/${ON_B}/state`, origin: 'node-a', principal: undefined, now: Date.now() })
    const refused = await b.server.call('GET', `/${ON_B}/state`, { key: null, headers })
    expect(refused.status).toBe(401)
  })

  test.each([
    ['signed with another secret', () => hopHeaders(`/${ON_B}/state`, { secret: 'not-the-cluster-secret-0123456789abcdef' })],
    ['expired', () => hopHeaders(`/${ON_B}/state`, { now: Date.now() - 120_000 })],
    ['signed for another path', () => hopHeaders(`/${PEER_ON_B}/state`)],
    ['signed for another method', () => hopHeaders(`/${ON_B}/state`, { method: 'POST' })],
    ['with a changed principal', () => ({ ...hopHeaders(`/${ON_B}/state`), [HOP_HEADERS.principal]: Buffer.from('{"kind":"admin","accountId":null,"isAdmin":true,"credentialId":"x"}').toString('base64url') })],
    ['incomplete', () => ({ [HOP_HEADERS.origin]: 'node-b' })],
  ])('a hop %s → 401 (even with a valid key)', async (_name, headers) => {
    const refused = await b.server.call('GET', `/${ON_B}/state`, { headers: headers() })
    expect(refused.status).toBe(401)
    expect(refused.body.code).toBe('UNAUTHORIZED')
  })
})

describe('headers across the hop', () => {
  const NUMBER = '15550006001'
  const seen: Array<{ url: string; headers: Record<string, string>; body: string }> = []
  const owner = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      seen.push({ url: request.url, headers: Object.fromEntries(request.headers), body: await request.text() })
      return new Response('{"ok":true}', {
        headers: { 'content-type': 'application/json', 'x-end-to-end': 'kept', 'proxy-authenticate': 'Basic', 'keep-alive': 'timeout=5', 'x-session-node': 'node-r' },
      })
    },
  })

  beforeAll(() => place(NUMBER, { id: 'node-r', url: `http://127.0.0.1:${owner.port}` }, [a]))
  afterAll(() => owner.stop(true))

  test('hop-by-hop headers are dropped both ways; the target is the lease URL with the request path and query', async () => {
    const response = await a.server.request('POST', `/${NUMBER}/send-text?trace=1`, {
      body: { chatId: PEER_ON_B, text: 'x' },
      headers: {
        connection: 'keep-alive, x-private-hop',
        'keep-alive': 'timeout=5',
        'x-private-hop': 'secret',
        te: 'trailers',
        upgrade: 'websocket',
        'proxy-authorization': 'Basic Zm9vOmJhcg==',
        'idempotency-key': 'e2e-1',
      },
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('x-end-to-end')).toBe('kept')
    expect(response.headers.get('proxy-authenticate')).toBeNull()
    expect(response.headers.get('keep-alive')).toBeNull()
    expect(response.headers.get('x-session-node')).toBe('node-r')
    const forwarded = seen.at(-1)!
    expect(forwarded.url).toBe(`http://127.0.0.1:${owner.port}/api/whatsapp/${NUMBER}/send-text?trace=1`)
    for (const name of ['x-private-hop', 'te', 'upgrade', 'proxy-authorization', 'keep-alive']) expect(forwarded.headers[name]).toBeUndefined()
    expect(forwarded.headers['idempotency-key']).toBe('e2e-1')
    expect(forwarded.headers[HOP_HEADERS.origin]).toBe('node-a')
    expect(forwarded.headers[HOP_HEADERS.signature]).toMatch(/^v1=[0-9a-f]{64}$/)
    expect(JSON.parse(forwarded.body)).toEqual({ chatId: PEER_ON_B, text: 'x' })
  })

  test('a path that would escape the owner URL stays on it', async () => {
    const response = await a.server.app.handle(new Request(`http://localhost/api/whatsapp/${NUMBER}/..%2F..%2Fevil?x=//other.example`, { headers: { 'x-api-key': ADMIN_KEY } }))
    expect([200, 404]).toContain(response.status)
    if (response.status === 200) expect(new URL(seen.at(-1)!.url).host).toBe(`127.0.0.1:${owner.port}`)
  })
})

describe('a single node', () => {
  test('names itself in X-Session-Node on every number route, errors included', async () => {
    const single = await createTestServer({ NODE_ID: 'solo' })
    try {
      await single.link('15550007001')
      const state = await single.call('GET', '/15550007001/state')
      expect(state.status).toBe(200)
      expect(state.headers.get('x-session-node')).toBe('solo')
      const missing = await single.call('GET', '/15550007002/state')
      expect(missing.status).toBe(404)
      expect(missing.headers.get('x-session-node')).toBe('solo')
      const unauthenticated = await single.call('GET', '/15550007001/state', { key: null })
      expect(unauthenticated.status).toBe(401)
      expect(unauthenticated.headers.get('x-session-node')).toBe('solo')
      // Not a number route: no session, no header.
      expect((await single.call('GET', '/sessions')).headers.get('x-session-node')).toBeNull()
    } finally {
      await single.close()
    }
  })
})
