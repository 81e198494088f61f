/**
 * Events across three real server processes on one throwaway Postgres (issue 10): SSE on a
 * node that does not run the session streams its events live; after `kill -9` of the node
 * that runs it, the webhook deliveries it held are delivered by the survivors once its
 * claims run out, and a client resumes the stream with Last-Event-ID on yet another node.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { ADMIN_KEY, waitFor } from '../helpers/app'
import { call, ClusterDb, startNode, workingOwner, type ClusterNodeProcess } from '../helpers/cluster'
import { startPostgres, type PostgresCluster } from '../helpers/postgres'
import { startReceiver, type Receiver } from '../helpers/receiver'
import { SseReader } from '../helpers/sse'

const NUMBER = '966500000201'
const OUTSIDER = '966511111111'
const TTL_MS = 3000

let postgres: PostgresCluster
let db: ClusterDb
let nodes: ClusterNodeProcess[] = []
let receiver: Receiver
let receiving = false
/** Message ids the receiver accepted (answered 2xx). */
const accepted = new Set<string>()

beforeAll(async () => {
  postgres = await startPostgres()
  const url = await postgres.createDatabase('events')
  db = new ClusterDb(url)
  receiver = startReceiver((request) => {
    if (!receiving) return new Response('down', { status: 503 })
    accepted.add(request.json.payload.id as string)
    return new Response('ok')
  })
  nodes = await Promise.all(
    ['node-a', 'node-b', 'node-c'].map((id) => startNode(id, url, { LEASE_TTL_MS: String(TTL_MS), OUTBOUND_ALLOW_CIDRS: '127.0.0.1/32', WEBHOOK_RETRY_BASE_MS: '200', WEBHOOK_RETRY_MAX_MS: '500' })),
  )
}, 90_000)

afterAll(async () => {
  for (const node of nodes) await node.proc.stop('SIGKILL')
  await receiver?.close()
  await db?.close()
  await postgres?.stop()
})

function openStream(node: ClusterNodeProcess, lastEventId?: string): SseReader {
  const headers: Record<string, string> = { 'x-api-key': ADMIN_KEY, accept: 'text/event-stream' }
  if (lastEventId !== undefined) headers['last-event-id'] = lastEventId
  const controller = new AbortController()
  const response = fetch(`${node.baseUrl}/${NUMBER}/events`, { headers, signal: controller.signal })
  // SseReader wants a Response: hand it one that streams the real one's body.
  const body = new ReadableStream<Uint8Array>({
    async start(stream) {
      try {
        const real = await response
        const reader = real.body!.getReader()
        for (;;) {
          const { done, value } = await reader.read()
          if (done) break
          stream.enqueue(value)
        }
        stream.close()
      } catch {
        try {
          stream.close()
        } catch {
          // already closed
        }
      }
    },
    cancel: () => controller.abort(),
  })
  return new SseReader(new Response(body))
}

const messageIds = (reader: SseReader) => reader.events.filter((e) => e.event === 'message').map((e) => e.data.payload.id as string)

describe('events across three processes', () => {
  test("SSE on a node that does not run the session streams its events; after kill -9 of its node, webhooks are delivered by the others and Last-Event-ID resumes on a third node", async () => {
    expect((await call(nodes[0]!, 'POST', `/${NUMBER}/start`)).status).toBe(200)
    let owner: ClusterNodeProcess | undefined
    await waitFor(async () => {
      const lease = await db.owner(NUMBER)
      owner = nodes.find((node) => node.id === lease?.nodeId)
      return owner !== undefined && (await call<{ status: string }>(owner, 'GET', `/${NUMBER}/state`)).body.status === 'SCAN_QR_CODE'
    }, 20_000, 50)
    expect((await call<{ status: string }>(owner!, 'POST', `/${NUMBER}/sandbox/scan`)).body.status).toBe('WORKING')
    const [watcher, resumer] = nodes.filter((node) => node !== owner) as [ClusterNodeProcess, ClusterNodeProcess]

    // The webhook is registered at the owner; every node learns of it (the table's change is announced).
    const created = await call<{ id: string }>(owner!, 'POST', `/${NUMBER}/webhooks`, { url: receiver.url, events: ['message'] })
    expect(created.status).toBe(201)

    const stream = openStream(watcher)
    try {
      await waitFor(() => stream.comments.includes('connected'), 10_000)
      const sent: string[] = []
      for (let i = 0; i < 3; i++) {
        const incoming = await call<{ messageId: string }>(owner!, 'POST', `/${NUMBER}/sandbox/incoming`, { from: OUTSIDER, text: `hello ${i}` })
        expect(incoming.status).toBe(200)
        sent.push(incoming.body.messageId)
      }
      await waitFor(() => messageIds(stream).length === 3, 15_000)
      expect(messageIds(stream)).toEqual(sent)
      // The receiver is down: the owner holds the deliveries, retrying.
      await waitFor(() => receiver.received.length >= 3, 15_000)
      const lastSeen = stream.events.at(-1)!.id

      owner!.proc.proc.kill('SIGKILL')
      await owner!.proc.proc.exited
      receiving = true
      // The session runs elsewhere (issue 10's failover) and keeps producing events.
      const next = await workingOwner(db, nodes.filter((node) => node !== owner), NUMBER, 30_000)
      const after = await call<{ messageId: string }>(next, 'POST', `/${NUMBER}/sandbox/incoming`, { from: OUTSIDER, text: 'after the failover' })
      expect(after.status).toBe(200)

      // Every accepted message reaches the webhook, the dead node's held deliveries included.
      await waitFor(() => [...sent, after.body.messageId].every((id) => accepted.has(id)), 30_000, 100)
      await waitFor(async () => {
        const rows: Array<{ state: string }> = await db.sql`SELECT DISTINCT state FROM webhook_deliveries`
        return rows.length === 1 && rows[0]!.state === 'delivered'
      }, 15_000, 100)

      // A client that read up to `lastSeen` on the watcher resumes on the third node: the rest, nothing twice.
      const resumed = openStream(resumer, lastSeen)
      try {
        await waitFor(() => messageIds(resumed).includes(after.body.messageId), 15_000)
        expect(messageIds(resumed)).toEqual([after.body.messageId])
        expect(resumed.events.every((e) => Number(e.id) > Number(lastSeen))).toBe(true)
      } finally {
        await resumed.close()
      }
    } finally {
      await stream.close()
    }
  }, 120_000)
})
