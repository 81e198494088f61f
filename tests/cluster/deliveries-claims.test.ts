/**
 * Webhook deliveries claimed by any node (issue 10): a node sends only what it claimed
 * (its own new deliveries, claimed as they are written; others' with SKIP LOCKED once due
 * and unclaimed or their claim ran out). A dead node's deliveries are taken over, a
 * stopping node hands its deliveries over at once, and a node does not overtake another
 * that holds an earlier delivery of the same endpoint and session.
 */
import { describe, expect, test } from 'bun:test'
import { migrated, startEventsNode, webhookRecord, type EventsNode, usePostgresCluster } from '../helpers/cluster-events'
import { startReceiver, type Receiver } from '../helpers/receiver'
import { waitFor } from '../helpers/app'

const postgres = usePostgresCluster()
const cleanup = postgres.cleanup

const S = '966500000001'
const T = '966500000002'

async function database(): Promise<string> {
  const url = await postgres.cluster().createDatabase('claims')
  await migrated(url)
  return url
}

async function node(url: string, id: string, options: Parameters<typeof startEventsNode>[2] = {}): Promise<EventsNode> {
  const started = await startEventsNode(url, id, options)
  cleanup.push(() => started.close())
  return started
}

function receiver(respond?: Receiver['respond']): Receiver {
  const started = startReceiver(respond)
  cleanup.push(() => started.close())
  return started
}

const ids = (r: Receiver, path = '/') => r.received.filter((x) => x.path === path).map((x) => x.json.payload.id as string)

interface ClaimRow {
  seq: string | number
  state: string
  claimed_by: string | null
}

async function claims(db: EventsNode['db'], webhookId: string): Promise<ClaimRow[]> {
  return db`SELECT seq, state, claimed_by FROM webhook_deliveries WHERE webhook_id = ${webhookId} ORDER BY seq`
}

/** Waits until every node knows the webhook (a change on one node is announced to all). */
async function addWebhook(on: EventsNode, everyone: EventsNode[], id: string, session: string, url: string): Promise<void> {
  await on.webhooks.insert(webhookRecord(id, session, url))
  await waitFor(() => everyone.every((n) => n.webhooks.get(id) !== undefined), 10_000)
}

describe('webhook deliveries across nodes', () => {
  test('two live nodes: each delivery is sent once, by the node that wrote it', async () => {
    const url = await database()
    const a = await node(url, 'node-a')
    const b = await node(url, 'node-b')
    const r = receiver()
    await addWebhook(b, [a, b], 'wh_1', S, r.url)
    for (let i = 0; i < 20; i++) a.message(S, `m${i}`)
    await a.ingest.idle()
    await waitFor(async () => (await claims(a.db, 'wh_1')).filter((row) => row.state === 'delivered').length === 20, 15_000)
    expect(ids(r).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`).sort())
    expect((await claims(a.db, 'wh_1')).every((row) => row.claimed_by === 'node-a')).toBe(true)
  }, 60_000)

  test("a dead node's claims run out and another node delivers them, in order", async () => {
    const url = await database()
    // A writes and claims, but never sends: it dies before its deliverer gets to them.
    const a = await node(url, 'node-a', { deliver: false, claimTtlMs: 1000 })
    const b = await node(url, 'node-b', { claimTtlMs: 1000 })
    const r = receiver()
    await addWebhook(a, [a, b], 'wh_dead', S, r.url)
    for (let i = 0; i < 10; i++) a.message(S, `d${i}`)
    await a.ingest.idle()
    expect((await claims(b.db, 'wh_dead')).map((row) => row.claimed_by)).toEqual(Array(10).fill('node-a'))
    await a.close()
    await waitFor(() => r.received.length >= 10, 20_000)
    expect(ids(r)).toEqual(Array.from({ length: 10 }, (_, i) => `d${i}`))
    await waitFor(async () => (await claims(b.db, 'wh_dead')).every((row) => row.state === 'delivered' && row.claimed_by === 'node-b'), 10_000)
  }, 60_000)

  test('a stopping node releases its claims: another node takes them over at once, not after they run out', async () => {
    const url = await database()
    let failing = true
    const r = receiver(() => new Response(failing ? 'down' : 'ok', { status: failing ? 500 : 200 }))
    // Claims that would last a minute: only their release lets B send within the test.
    const a = await node(url, 'node-a', { claimTtlMs: 60_000 })
    const b = await node(url, 'node-b', { claimTtlMs: 60_000 })
    await addWebhook(a, [a, b], 'wh_release', S, r.url)
    for (let i = 0; i < 3; i++) a.message(S, `r${i}`)
    await a.ingest.idle()
    await waitFor(() => r.received.length >= 3, 10_000)
    expect((await claims(b.db, 'wh_release')).every((row) => row.state === 'pending' && row.claimed_by === 'node-a')).toBe(true)
    await a.close()
    expect((await claims(b.db, 'wh_release')).every((row) => row.claimed_by === null || row.claimed_by === 'node-b')).toBe(true)
    failing = false
    await waitFor(async () => (await claims(b.db, 'wh_release')).every((row) => row.state === 'delivered' && row.claimed_by === 'node-b'), 15_000)
  }, 60_000)

  test('no node overtakes a live claim on an earlier delivery of the same endpoint and session', async () => {
    const url = await database()
    const a = await node(url, 'node-a', { deliver: false, claimTtlMs: 60_000 })
    const r = receiver()
    await addWebhook(a, [a], 'wh_order', S, `${r.url}/order`)
    await addWebhook(a, [a], 'wh_witness', T, `${r.url}/witness`)
    for (let i = 0; i < 3; i++) a.message(S, `o${i}`)
    a.message(T, 'w0')
    await a.ingest.idle()
    // A keeps its live claim on the first delivery only; the rest are free to claim.
    const first = Number((await claims(a.db, 'wh_order'))[0]!.seq)
    await a.db`UPDATE webhook_deliveries SET claimed_by = NULL, claimed_until = NULL WHERE NOT (webhook_id = 'wh_order' AND seq = ${first})`
    const b = await node(url, 'node-b', { claimTtlMs: 60_000 })
    await waitFor(() => b.webhooks.get('wh_order') !== undefined)
    // The witness (another session) shows B's claim query has run; the stream behind A's claim stayed untouched.
    await waitFor(() => ids(r, '/witness').length === 1, 10_000)
    await b.deliverer.flush()
    expect(ids(r, '/order')).toEqual([])
    expect((await claims(a.db, 'wh_order')).map((row) => row.claimed_by)).toEqual(['node-a', null, null])
    // A's claim runs out: B takes the whole stream, from its first delivery, in order.
    await a.db`UPDATE webhook_deliveries SET claimed_until = 0 WHERE webhook_id = 'wh_order' AND seq = ${first}`
    await waitFor(() => ids(r, '/order').length === 3, 10_000)
    expect(ids(r, '/order')).toEqual(['o0', 'o1', 'o2'])
  }, 60_000)

  test('a delivery whose row another transaction holds locked (a renewal, a release) is not overtaken by the ones behind it', async () => {
    const url = await database()
    const a = await node(url, 'node-a', { deliver: false, claimTtlMs: 60_000 })
    const r = receiver()
    await addWebhook(a, [a], 'wh_locked', S, `${r.url}/locked`)
    await addWebhook(a, [a], 'wh_witness', T, `${r.url}/witness`)
    for (let i = 0; i < 3; i++) a.message(S, `k${i}`)
    a.message(T, 'w0')
    await a.ingest.idle()
    // Every claim has run out; the first delivery's row is held by a transaction that stays open.
    await a.db`UPDATE webhook_deliveries SET claimed_until = 0`
    const first = Number((await claims(a.db, 'wh_locked'))[0]!.seq)
    let release!: () => void
    const released = new Promise<void>((resolve) => (release = resolve))
    let locked!: () => void
    const holding = new Promise<void>((resolve) => (locked = resolve))
    const holder = a.db.begin(async (tx) => {
      await tx`SELECT seq FROM webhook_deliveries WHERE webhook_id = 'wh_locked' AND seq = ${first} FOR UPDATE`
      locked()
      await released
    })
    await holding
    const b = await node(url, 'node-b', { claimTtlMs: 60_000 })
    await waitFor(() => b.webhooks.get('wh_locked') !== undefined)
    // B's claim query has run (the other session's delivery arrived) and skipped the locked row.
    await waitFor(() => ids(r, '/witness').length === 1, 10_000)
    await b.deliverer.flush()
    expect(ids(r, '/locked')).toEqual([])
    release()
    await holder
    await waitFor(() => ids(r, '/locked').length === 3, 10_000)
    expect(ids(r, '/locked')).toEqual(['k0', 'k1', 'k2'])
  }, 60_000)
})
