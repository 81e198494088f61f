/**
 * The outbox sequence across nodes (issue 10): several nodes write to one Postgres outbox
 * at once, each on its own connections, and a reader that polls `seq > last` (as SSE
 * resumption and the outbox feed do) never skips an envelope that commits after it with
 * a smaller seq: commit order is sequence order.
 *
 * Every write holds its transaction open a little after taking its numbers, so commits
 * would overtake each other if the sequence allowed it. The control case shows the same
 * reader does miss rows with a plain SEQUENCE (numbers taken without ordering the commits).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { SQL } from 'bun'
import { startPostgres, type PostgresCluster } from '../helpers/postgres'
import { migrated, startEventsNode, type EventsNode } from '../helpers/cluster-events'

let cluster: PostgresCluster

beforeAll(async () => {
  cluster = await startPostgres()
}, 60_000)

afterAll(async () => {
  await cluster?.stop()
})

const WRITERS = 4
const EVENTS_PER_WRITER = 60

/** Polls `seq > last` until told to stop and a last read finds nothing new; returns every seq it saw. */
function pollingReader(db: SQL, table: string) {
  const seen: number[] = []
  let last = 0
  let stopping = false
  const done = (async () => {
    for (;;) {
      const finishing = stopping
      const rows: { seq: string | number }[] = await db.unsafe(`SELECT seq FROM ${table} WHERE seq > $1 ORDER BY seq`, [last])
      for (const row of rows) seen.push(Number(row.seq))
      if (rows.length > 0) last = Number(rows.at(-1)!.seq)
      if (finishing && rows.length === 0) return seen
      await Bun.sleep(0)
    }
  })()
  return {
    async stop() {
      stopping = true
      return done
    },
  }
}

async function allSeqs(db: SQL, table: string): Promise<number[]> {
  const rows: { seq: string | number }[] = await db.unsafe(`SELECT seq FROM ${table} ORDER BY seq`)
  return rows.map((row) => Number(row.seq))
}

describe('outbox sequence across nodes', () => {
  test('writers on separate connections: a reader polling seq > last misses nothing, and the sequence has no gaps or repeats', async () => {
    const url = await cluster.createDatabase('order')
    await migrated(url)
    const nodes: EventsNode[] = []
    for (let i = 0; i < WRITERS; i++) {
      const node = await startEventsNode(url, `node-${i}`, { deliver: false })
      // Runs after the outbox hook, inside the transaction that holds its numbers: commits are spread out.
      node.ingest.addHook(async () => {
        await Bun.sleep(Math.random() * 3)
      })
      nodes.push(node)
    }
    const reader = new SQL({ url, max: 1 })
    try {
      const poll = pollingReader(reader, 'outbox')
      await Promise.all(
        nodes.map(async (node, n) => {
          for (let i = 0; i < EVENTS_PER_WRITER; i++) {
            node.message(`96650000000${n}`, `n${n}-m${i}`)
            // Some events alone, some in groups: both paths of the ingest take numbers.
            if (i % 7 === 0) await node.ingest.idle()
            else await Bun.sleep(Math.random() * 2)
          }
          await node.ingest.idle()
        }),
      )
      const seen = await poll.stop()
      const stored = await allSeqs(reader, 'outbox')
      // Each message is two envelopes (message, message.any).
      expect(stored.length).toBe(2 * WRITERS * EVENTS_PER_WRITER)
      // One integer order, no repeats, no holes (the counter rolls back with its transaction).
      expect(stored).toEqual(Array.from({ length: stored.length }, (_, i) => i + 1))
      // The reader saw every one of them, each once, in order.
      expect(seen).toEqual(stored)
      // Each node's envelopes are in the order it published them.
      for (let n = 0; n < WRITERS; n++) {
        const entries = await nodes[0]!.outbox.replay(`96650000000${n}`, 0, 1000)
        const ids = entries.filter((entry) => entry.event === 'message').map((entry) => JSON.parse(entry.body).payload.id as string)
        expect(ids).toEqual(Array.from({ length: EVENTS_PER_WRITER }, (_, i) => `n${n}-m${i}`))
      }
    } finally {
      await reader.close()
      for (const node of nodes) await node.close()
    }
  }, 120_000)

  test('a node booting beside running ones continues the sequence, never reusing a number', async () => {
    const url = await cluster.createDatabase('boot')
    await migrated(url)
    const first = await startEventsNode(url, 'first', { deliver: false })
    try {
      for (let i = 0; i < 5; i++) first.message('966500000001', `a${i}`)
      await first.ingest.idle()
      // Pruned envelopes leave the counter where it was.
      await first.db`DELETE FROM outbox`
      const second = await startEventsNode(url, 'second', { deliver: false })
      try {
        second.message('966500000002', 'b0')
        await second.ingest.idle()
        first.message('966500000001', 'a5')
        await first.ingest.idle()
        // Five messages were envelopes 1–10; the new node and the old one continue after them.
        expect(await allSeqs(first.db, 'outbox')).toEqual([11, 12, 13, 14])
        expect(second.outbox.lastSeq).toBeGreaterThanOrEqual(12)
      } finally {
        await second.close()
      }
    } finally {
      await first.close()
    }
  }, 60_000)

  test('control: numbers from a plain SEQUENCE, taken without ordering the commits, make the same reader miss rows', async () => {
    const url = await cluster.createDatabase('control')
    const db = new SQL({ url, max: WRITERS + 1 })
    const reader = new SQL({ url, max: 1 })
    try {
      await db.unsafe('CREATE SEQUENCE control_seq')
      await db.unsafe('CREATE TABLE control (seq BIGINT PRIMARY KEY)')
      const poll = pollingReader(reader, 'control')
      await Promise.all(
        Array.from({ length: WRITERS }, async () => {
          for (let i = 0; i < EVENTS_PER_WRITER; i++) {
            await db.begin(async (tx) => {
              await tx`INSERT INTO control (seq) VALUES (nextval('control_seq'))`
              await Bun.sleep(Math.random() * 3)
            })
          }
        }),
      )
      const seen = await poll.stop()
      const stored = await allSeqs(reader, 'control')
      expect(stored.length).toBe(WRITERS * EVENTS_PER_WRITER)
      expect(seen.length).toBeLessThan(stored.length)
    } finally {
      await reader.close()
      await db.close()
    }
  }, 120_000)
})
