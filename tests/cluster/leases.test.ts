/**
 * The lease table and the fencing check on a real Postgres, without server processes:
 * placement on the least-loaded live node, an epoch bumped by every takeover, concurrent
 * claimers each taking a session once (SKIP LOCKED), writes refused once the lease moved,
 * released leases free at once; and the login snapshots' two generations with a checksum.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { LeaseTable, type NodeIdentity } from '../../src/cluster/leases'
import { ClusterMember } from '../../src/cluster/member'
import { LeaseLostError } from '../../src/lib/errors'
import { silentLogger } from '../../src/lib/logger'
import type { LeasedSessionRunner } from '../../src/sessions/placement'
import { openStorage, type Storage } from '../../src/storage/db'
import { EngineSnapshotsRepository } from '../../src/storage/engine-snapshots-repo'
import { waitFor } from '../helpers/app'
import { startPostgres, type PostgresCluster } from '../helpers/postgres'

let postgres: PostgresCluster
const opened: Storage[] = []

beforeAll(async () => {
  postgres = await startPostgres()
})
afterAll(async () => {
  for (const storage of opened) await storage.close().catch(() => undefined)
  await postgres?.stop()
})

async function storage(): Promise<Storage> {
  const opened1 = await openStorage(await postgres.createDatabase('leases'))
  opened.push(opened1)
  return opened1
}

const node = (id: string, capacity = 0): NodeIdentity => ({ id, url: `http://${id}.internal:3000`, capacity })

async function wantRunning(db: Storage['db'], ...numbers: string[]): Promise<void> {
  for (const phone of numbers) {
    await db`INSERT INTO sessions (phone_number, account_id, engine, desired_state, created_at, updated_at)
             VALUES (${phone}, NULL, 'simulator', 'running', ${Date.now()}, ${Date.now()})`
  }
}

describe('session leases on Postgres', () => {
  test('a start goes to the least-loaded live node with room; a live lease stays where it is; a full cluster has no room', async () => {
    const { db } = await storage()
    const table = new LeaseTable(db, 60_000)
    for (const id of ['a', 'b']) await table.heartbeat(node(id), true)
    await wantRunning(db, '1001', '1002', '1003', '1004')
    expect((await table.place('1001', node('a')))?.nodeId).toBe('a') // tie: the node asked
    expect((await table.place('1002', node('a')))?.nodeId).toBe('b')
    expect((await table.place('1001', node('b')))).toMatchObject({ nodeId: 'a', epoch: 1 }) // held live: unchanged
    // Capacity: with both full, there is no room.
    const full = new LeaseTable(db, 60_000)
    await full.heartbeat(node('a', 1), false)
    await full.heartbeat(node('b', 1), false)
    expect(await full.place('1003', node('a', 1))).toBeUndefined()
  })

  test('a run-out lease is taken over with the next epoch; the old holder fails the fencing check, inside its transaction', async () => {
    const { db } = await storage()
    const short = new LeaseTable(db, 1000)
    await short.heartbeat(node('a'), true)
    await wantRunning(db, '2001')
    const first = (await short.claimOrphans(node('a'), 10))[0]!
    expect(first).toEqual({ phoneNumber: '2001', epoch: 1 })
    expect(await db.begin((tx) => short.holds(tx, '2001', 'a', 1))).toBe(true)
    await waitFor(async () => (await short.claimOrphans(node('b'), 10)).length === 1, 5000, 50)
    expect(await db.begin((tx) => short.holds(tx, '2001', 'a', 1))).toBe(false)
    expect(await db.begin((tx) => short.holds(tx, '2001', 'b', 2))).toBe(true)
    // A's renewal no longer covers it.
    expect(await short.renew('a')).toEqual([])
  })

  test('claimers racing for the same orphans each take every session exactly once (SKIP LOCKED)', async () => {
    const { db } = await storage()
    const table = new LeaseTable(db, 60_000)
    const numbers = Array.from({ length: 40 }, (_, i) => String(3000 + i))
    await wantRunning(db, ...numbers)
    const results = await Promise.all(['a', 'b', 'c', 'd'].map((id) => table.claimOrphans(node(id), 40)))
    const claimed = results.flat().map((lease) => lease.phoneNumber).sort()
    expect(claimed).toEqual(numbers)
    const rows: Array<{ n: string }> = await db`SELECT COUNT(*) AS n FROM session_leases WHERE expires_at > now()`
    expect(Number(rows[0]!.n)).toBe(40)
  })

  test('a released lease is free at once (a peer claims it without waiting it out); a stopped session is not renewed', async () => {
    const { db } = await storage()
    const table = new LeaseTable(db, 60_000)
    await wantRunning(db, '4001', '4002')
    await table.claimOrphans(node('a'), 10)
    await table.release('4001', 'a', 1)
    expect(await table.claimOrphans(node('b'), 10)).toEqual([{ phoneNumber: '4001', epoch: 2 }])
    await db`UPDATE sessions SET desired_state = 'stopped' WHERE phone_number = '4002'`
    expect(await table.renew('a')).toEqual([])
  })

  test('a member whose lease moved refuses the write, rolls it back, and stops the engine here', async () => {
    const { db } = await storage()
    await wantRunning(db, '5001')
    const stopped: string[] = []
    const runner: LeasedSessionRunner = { runLeased: async () => undefined, stopUnleased: async (phone) => void stopped.push(phone) }
    const member = new ClusterMember({ db, node: node('a'), leaseTtlMs: 60_000, logger: silentLogger, writesSettled: async () => undefined })
    await member.start(runner)
    expect(member.holds('5001')).toBe(true)
    await db`CREATE TABLE probe (v TEXT)`
    await member.fenced('5001', (tx) => tx`INSERT INTO probe VALUES ('while held')`)
    // Another node takes it over (its lease was made to run out).
    await db`UPDATE session_leases SET expires_at = now() - interval '1 second'`
    await new LeaseTable(db, 60_000).claimOrphans(node('b'), 10)
    const refused = await member.fenced('5001', (tx) => tx`INSERT INTO probe VALUES ('after the takeover')`).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(LeaseLostError)
    expect((await db`SELECT v FROM probe`).map((row: { v: string }) => row.v)).toEqual(['while held'])
    expect(member.holds('5001')).toBe(false)
    await waitFor(() => stopped.includes('5001'), 2000)
    await member.close()
  })
})

describe('a member with NODE_CAPACITY', () => {
  test('claims no more sessions than its capacity; a start beyond it, with no other node, is 503', async () => {
    const { db } = await storage()
    await wantRunning(db, '7001', '7002', '7003')
    const started: string[] = []
    const runner: LeasedSessionRunner = { runLeased: async (phone) => void started.push(phone), stopUnleased: async () => undefined }
    const member = new ClusterMember({ db, node: node('a', 2), leaseTtlMs: 60_000, logger: silentLogger, writesSettled: async () => undefined })
    await member.start(runner)
    await waitFor(() => started.length === 2, 2000)
    expect(member.heldSessions().sort()).toEqual(started.sort())
    const refused = await member.acquire('7003', 'simulator').catch((error: unknown) => error)
    expect(refused).toMatchObject({ statusCode: 503, code: 'ENGINE_UNAVAILABLE' })
    await member.close()
    // Closing released both: they are free for any node at once.
    expect(await new LeaseTable(db, 60_000).claimOrphans(node('b'), 10)).toHaveLength(3)
  })
})

describe('login snapshots', () => {
  test('two generations are kept; a corrupt newest one falls back to the one before; clear removes all', async () => {
    const { db } = await storage()
    const snapshots = new EngineSnapshotsRepository(db)
    expect(await snapshots.load('6001', 'webjs')).toBeUndefined()
    const big = new Uint8Array(2.5 * 1024 * 1024).map((_, i) => i % 251)
    await snapshots.save('6001', 'webjs', new Uint8Array([1, 2, 3]))
    await snapshots.save('6001', 'webjs', big)
    expect((await snapshots.load('6001', 'webjs'))?.archive).toEqual(big)
    await snapshots.save('6001', 'webjs', new Uint8Array([7, 7, 7]))
    const generations: Array<{ generation: string }> = await db`SELECT generation FROM engine_snapshots WHERE phone_number = '6001' ORDER BY generation`
    expect(generations.map((row) => Number(row.generation))).toEqual([2, 3])
    // A torn write of the newest generation: its bytes no longer match the checksum.
    await db`UPDATE engine_snapshot_chunks SET data = ${new Uint8Array([9, 9, 9])} WHERE phone_number = '6001' AND generation = 3`
    expect((await snapshots.load('6001', 'webjs'))?.archive).toEqual(big)
    await snapshots.clear('6001')
    expect(await snapshots.load('6001', 'webjs')).toBeUndefined()
  })
})
