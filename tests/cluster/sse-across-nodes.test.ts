/**
 * SSE on any node (issue 10): an event written by another node (its own connections to the
 * shared Postgres) reaches an SSE client on this node live, in seq order, and a client
 * resumes with Last-Event-ID on a node other than the one it was reading from.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startPostgres, type PostgresCluster } from '../helpers/postgres'
import { migrated, startEventsNode, type EventsNode } from '../helpers/cluster-events'
import { SseReader } from '../helpers/sse'
import { waitFor } from '../helpers/app'

let cluster: PostgresCluster
const nodes: EventsNode[] = []

beforeAll(async () => {
  cluster = await startPostgres()
}, 60_000)

afterAll(async () => {
  for (const node of nodes) await node.close()
  await cluster?.stop()
})

const A = '966500000001'
const B = '966500000002'

async function threeNodes(feedPollMs = 60_000, notifications = true): Promise<[EventsNode, EventsNode, EventsNode]> {
  const url = await cluster.createDatabase('sse')
  await migrated(url)
  const started = [] as EventsNode[]
  for (const id of ['a', 'b', 'c']) started.push(await startEventsNode(url, `node-${id}`, { deliver: false, feedPollMs, notifications }))
  nodes.push(...started)
  return started as [EventsNode, EventsNode, EventsNode]
}

const messageIds = (reader: SseReader) => reader.events.filter((e) => e.event === 'message').map((e) => e.data.payload.id as string)

describe('SSE across nodes', () => {
  test("a session's events written on node A stream live to a client on node C (NOTIFY wakes it: the poll is a minute away)", async () => {
    const [a, b, c] = await threeNodes()
    const onC = new SseReader(c.sse.open(A))
    const everyOnC = new SseReader(c.sse.openMany(() => true))
    try {
      await waitFor(() => onC.comments.includes('connected') && everyOnC.comments.includes('connected'))
      for (let i = 0; i < 5; i++) a.message(A, `a${i}`)
      b.message(B, 'b0')
      await a.ingest.idle()
      await b.ingest.idle()
      await waitFor(() => messageIds(onC).length === 5 && messageIds(everyOnC).length === 6, 10_000)
      expect(messageIds(onC)).toEqual(['a0', 'a1', 'a2', 'a3', 'a4'])
      expect(new Set(messageIds(everyOnC))).toEqual(new Set(['a0', 'a1', 'a2', 'a3', 'a4', 'b0']))
      // One order for everyone: ids are the shared seq, strictly increasing on every stream.
      for (const reader of [onC, everyOnC]) {
        const ids = reader.events.map((e) => Number(e.id))
        expect(ids).toEqual([...ids].sort((x, y) => x - y))
        expect(new Set(ids).size).toBe(ids.length)
      }
      expect(everyOnC.events.every((e) => e.data.session === A || e.data.session === B)).toBe(true)
    } finally {
      await onC.close()
      await everyOnC.close()
    }
  }, 60_000)

  test('Last-Event-ID resumes on another node: nothing missed, nothing repeated', async () => {
    const [a, b, c] = await threeNodes()
    const first = new SseReader(b.sse.open(A))
    await waitFor(() => first.comments.includes('connected'))
    for (let i = 0; i < 3; i++) a.message(A, `m${i}`)
    await a.ingest.idle()
    await waitFor(() => messageIds(first).length === 3, 10_000)
    const lastId = Number(first.events.at(-1)!.id)
    await first.close()
    // While no client is connected, more events happen, on another node.
    for (let i = 3; i < 6; i++) a.message(A, `m${i}`)
    await a.ingest.idle()
    const resumed = new SseReader(c.sse.open(A, { lastEventId: lastId }))
    try {
      await waitFor(() => messageIds(resumed).length === 3, 10_000)
      a.message(A, 'm6')
      await a.ingest.idle()
      await waitFor(() => messageIds(resumed).length === 4, 10_000)
      expect(messageIds(resumed)).toEqual(['m3', 'm4', 'm5', 'm6'])
      expect(resumed.events.every((e) => Number(e.id) > lastId)).toBe(true)
    } finally {
      await resumed.close()
    }
  }, 60_000)

  test('without NOTIFY (a lost wake-up), the poll still brings every event, in order', async () => {
    // No node LISTENs: only C's poll reads what A wrote.
    const [a, , c] = await threeNodes(100, false)
    const reader = new SseReader(c.sse.open(A))
    try {
      await waitFor(() => reader.comments.includes('connected'))
      for (let i = 0; i < 4; i++) a.message(A, `p${i}`)
      await a.ingest.idle()
      await waitFor(() => messageIds(reader).length === 4, 10_000)
      expect(messageIds(reader)).toEqual(['p0', 'p1', 'p2', 'p3'])
    } finally {
      await reader.close()
    }
  }, 60_000)
})
