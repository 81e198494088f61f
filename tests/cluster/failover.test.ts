/**
 * The cluster (API.md §10) with three real server processes on one throwaway Postgres,
 * the simulator engine and 3 s leases: sessions spread over the nodes; a node killed with
 * SIGKILL has its sessions WORKING elsewhere within 30 s without a QR and without losing an
 * accepted message; a node stalled (SIGSTOP) past its lease writes nothing once resumed
 * and stops its engines; SIGTERM releases the leases at once; no session ever runs on two
 * nodes beyond the self-stop margin.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { waitFor } from '../helpers/app'
import { call, ClusterDb, startNode, workingOwner, type ClusterNodeProcess } from '../helpers/cluster'
import { startPostgres, type PostgresCluster } from '../helpers/postgres'

const OUTSIDER = '966511111111'
const NUMBERS = ['966500000101', '966500000102', '966500000103', '966500000104', '966500000105', '966500000106']
const TTL_MS = 3000

let postgres: PostgresCluster
let db: ClusterDb
let nodes: ClusterNodeProcess[] = []
const byId = (id: string) => nodes.find((node) => node.id === id)!
const alive = () => nodes.filter((node) => node.proc.proc.exitCode === null && node.proc.proc.signalCode === null)

beforeAll(async () => {
  postgres = await startPostgres()
  const url = await postgres.createDatabase('cluster')
  db = new ClusterDb(url)
  nodes = await Promise.all(['node-a', 'node-b', 'node-c'].map((id) => startNode(id, url, { LEASE_TTL_MS: String(TTL_MS) })))
}, 90_000)

afterAll(async () => {
  if (process.env.SHOW_NODE_ERRORS) for (const node of nodes) console.log(node.id, node.proc.output().split('\n').filter((line) => /"level":(40|50)/.test(line)).join('\n'))
  for (const node of nodes) {
    node.proc.proc.kill('SIGCONT')
    await node.proc.stop('SIGKILL')
  }
  await db?.close()
  await postgres?.stop()
})

/** Which nodes report the number WORKING right now (each answers for its own engine only). */
/** The nodes that answer for themselves (X-Session-Node: their own id) that the session is WORKING; any node answers, forwarding to the owner. */
async function runningOn(phoneNumber: string, among = alive()): Promise<string[]> {
  const states = await Promise.all(among.map(async (node) => ({ node, state: await call<{ status: string }>(node, 'GET', `/${phoneNumber}/state`).catch(() => undefined) })))
  return states.filter(({ node, state }) => state?.body.status === 'WORKING' && state.headers.get('x-session-node') === node.id).map(({ node }) => node.id)
}

async function linkEverywhere(): Promise<void> {
  const entry = byId('node-a')
  for (const phoneNumber of NUMBERS) {
    const started = await call<{ status: string }>(entry, 'POST', `/${phoneNumber}/start`)
    expect(started.status).toBe(200)
  }
  for (const phoneNumber of NUMBERS) {
    let ownerNode: ClusterNodeProcess | undefined
    await waitFor(async () => {
      const owner = await db.owner(phoneNumber)
      ownerNode = owner && byId(owner.nodeId)
      return ownerNode !== undefined && (await call<{ status: string }>(ownerNode, 'GET', `/${phoneNumber}/state`)).body.status === 'SCAN_QR_CODE'
    }, 15_000, 50)
    const scanned = await call<{ status: string }>(ownerNode!, 'POST', `/${phoneNumber}/sandbox/scan`)
    expect(scanned.body.status).toBe('WORKING')
  }
}

describe('a cluster of three nodes on one Postgres', () => {
  test('sessions started on one node are spread over the three; GET /cluster shows the nodes and where each session runs', async () => {
    await linkEverywhere()
    const owners = await Promise.all(NUMBERS.map(async (phoneNumber) => (await db.owner(phoneNumber))!.nodeId))
    // Least-loaded placement: two each.
    expect(owners.filter((id) => id === 'node-a')).toHaveLength(2)
    expect(owners.filter((id) => id === 'node-b')).toHaveLength(2)
    expect(owners.filter((id) => id === 'node-c')).toHaveLength(2)
    for (const phoneNumber of NUMBERS) expect(await runningOn(phoneNumber)).toEqual([(await db.owner(phoneNumber))!.nodeId])

    const view = await call<{ nodes: Array<{ id: string; url: string; sessions: number; self: boolean; live: boolean; capacity: number; lastSeenAt: string }>; sessions: Array<{ phoneNumber: string; node: string }> }>(byId('node-b'), 'GET', '/cluster')
    expect(view.status).toBe(200)
    expect(view.body.nodes.map((node) => [node.id, node.url, node.sessions, node.self, node.live, node.capacity])).toEqual([
      ['node-a', byId('node-a').url, 2, false, true, 0],
      ['node-b', byId('node-b').url, 2, true, true, 0],
      ['node-c', byId('node-c').url, 2, false, true, 0],
    ])
    expect(Number.isNaN(Date.parse(view.body.nodes[0]!.lastSeenAt))).toBe(false)
    expect(view.body.sessions).toEqual(NUMBERS.map((phoneNumber, index) => ({ phoneNumber, node: owners[index]! })))
  }, 60_000)

  test('GET /cluster is for the admin alone: no credential 401, an account key 403', async () => {
    const node = byId('node-a')
    const anonymous = await fetch(`${node.baseUrl}/cluster`)
    expect(anonymous.status).toBe(401)
    const created = await call<{ key: string }>(node, 'POST', '/api-keys', { name: 'backend', accountId: 'org_cluster' })
    expect(created.status).toBe(201)
    const asAccount = await fetch(`${node.baseUrl}/cluster`, { headers: { 'x-api-key': created.body.key } })
    expect(asAccount.status).toBe(403)
    expect(await asAccount.json()).toMatchObject({ code: 'FORBIDDEN', statusCode: 403 })
  })

  test('kill -9 of a node: its sessions are WORKING on the others within 30 s, without a QR, with every accepted message', async () => {
    const victim = byId('node-b')
    const moved: string[] = []
    for (const phoneNumber of NUMBERS) if ((await db.owner(phoneNumber))?.nodeId === victim.id) moved.push(phoneNumber)
    expect(moved).toHaveLength(2)
    const accepted = new Map<string, string>()
    for (const phoneNumber of moved) {
      const incoming = await call<{ messageId: string }>(victim, 'POST', `/${phoneNumber}/sandbox/incoming`, { from: OUTSIDER, text: `before the crash ${phoneNumber}` })
      expect(incoming.status).toBe(200)
      accepted.set(phoneNumber, incoming.body.messageId)
    }
    const epochs = new Map(await Promise.all(moved.map(async (phoneNumber) => [phoneNumber, (await db.owner(phoneNumber))!.epoch] as const)))

    victim.proc.proc.kill('SIGKILL')
    await victim.proc.proc.exited
    const seen: string[] = []
    for (const phoneNumber of moved) {
      const owner = await workingOwner(db, alive(), phoneNumber, 30_000, seen)
      expect(owner.id).not.toBe(victim.id)
      // A takeover is a new epoch: whatever the old owner might still write is fenced off.
      expect((await db.owner(phoneNumber))!.epoch).toBeGreaterThan(epochs.get(phoneNumber)!)
      const history = await call<{ messages: Array<{ id: string; body: string }> }>(owner, 'GET', `/${phoneNumber}/messages/${OUTSIDER}@c.us`)
      expect(history.status).toBe(200)
      expect(history.body.messages.map((message) => message.id)).toContain(accepted.get(phoneNumber)!)
      // And it keeps working on its new node.
      const after = await call(owner, 'POST', `/${phoneNumber}/sandbox/incoming`, { from: OUTSIDER, text: 'after the takeover' })
      expect(after.status).toBe(200)
    }
    expect(seen).not.toContain('SCAN_QR_CODE')
    for (const phoneNumber of NUMBERS) expect((await runningOn(phoneNumber)).length).toBeLessThanOrEqual(1)
    // Nothing the survivors wrote was refused or lost on the way (one outbox order across nodes, leases fenced correctly).
    for (const node of alive()) expect(node.proc.output()).not.toContain('"msg":"event could not be stored"')
  }, 60_000)

  test('a node stalled (SIGSTOP) past its lease, then resumed, writes nothing and stops its engines; its sessions run elsewhere, once', async () => {
    const victim = byId('node-c')
    const stalled: string[] = []
    for (const phoneNumber of NUMBERS) if ((await db.owner(phoneNumber))?.nodeId === victim.id) stalled.push(phoneNumber)
    expect(stalled.length).toBeGreaterThan(0)

    victim.proc.proc.kill('SIGSTOP')
    const others = alive().filter((node) => node.id !== victim.id)
    for (const phoneNumber of stalled) {
      const owner = await workingOwner(db, others, phoneNumber, 30_000)
      expect(owner.id).not.toBe(victim.id)
    }
    victim.proc.proc.kill('SIGCONT')
    // Straight after waking, it is asked to take a message for each of them: the request is
    // answered by the session's new node (forwarded), never by its old engine, so the
    // message is written once, by the new owner.
    const text = `from a stalled node ${Date.now()}`
    const answers = await Promise.all(stalled.map((phoneNumber) => call(victim, 'POST', `/${phoneNumber}/sandbox/incoming`, { from: OUTSIDER, text }).catch(() => undefined)))
    for (const answer of answers) if (answer?.status === 200) expect(answer.headers.get('x-session-node')).not.toBe(victim.id)
    // It stops its engines by itself: it no longer answers for them itself.
    await waitFor(async () => {
      for (const phoneNumber of stalled) {
        const state = await call<{ status: string }>(victim, 'GET', `/${phoneNumber}/state`)
        if (state.body.status === 'WORKING' && state.headers.get('x-session-node') === victim.id) return false
      }
      return true
    }, 15_000, 50)
    const written: unknown[] = await db.sql`SELECT id FROM messages WHERE body = ${text}`
    expect(written.length).toBe(answers.filter((answer) => answer?.status === 200).length)
    for (const phoneNumber of stalled) expect(await runningOn(phoneNumber)).toEqual([(await db.owner(phoneNumber))!.nodeId])
    // The node is still a member: it heartbeats again.
    await waitFor(async () => {
      const rows: Array<{ fresh: boolean }> = await db.sql`SELECT last_seen_at > now() - interval '2 seconds' AS fresh FROM cluster_nodes WHERE id = ${victim.id}`
      return rows[0]?.fresh === true
    }, 10_000, 100)
  }, 60_000)

  test('SIGTERM hands over at once: the leases are released on exit, and the sessions run on the other nodes without a QR', async () => {
    const leaving = byId('node-a')
    const handed: string[] = []
    for (const phoneNumber of NUMBERS) if ((await db.owner(phoneNumber))?.nodeId === leaving.id) handed.push(phoneNumber)
    expect(handed.length).toBeGreaterThan(0)
    expect(await leaving.proc.stop('SIGTERM')).toBe(0)
    // Released, not left to run out: no lease of the leaving node is live any more (or it has been taken already).
    const stillHeld: unknown[] = await db.sql`SELECT phone_number FROM session_leases WHERE node_id = ${leaving.id} AND expires_at > now()`
    expect(stillHeld).toEqual([])
    const seen: string[] = []
    for (const phoneNumber of handed) {
      const owner = await workingOwner(db, alive(), phoneNumber, 30_000, seen)
      expect(owner.id).not.toBe(leaving.id)
    }
    expect(seen).not.toContain('SCAN_QR_CODE')
    for (const phoneNumber of NUMBERS) expect((await runningOn(phoneNumber)).length).toBeLessThanOrEqual(1)
  }, 60_000)
})
