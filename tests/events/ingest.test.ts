/** The ingest's group commit: order, per-event atomicity through savepoints, fewer transactions under load. */
import { afterEach, expect, test } from 'bun:test'
import type { SQL } from 'bun'
import { EventBus, type SessionEvent } from '../../src/events/bus'
import { EventIngest } from '../../src/events/ingest'
import { silentLogger } from '../../src/lib/logger'
import { openStorage, type Storage } from '../../src/storage/db'
import { tempDir } from '../helpers/app'

const cleanup: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step()
})

function event(n: number): SessionEvent {
  return { session: '966500000001', engine: 'simulator', receivedAt: n, event: { type: 'call.received', id: `c${n}`, from: 'x@c.us', isVideo: false, isGroup: false, timestamp: n } }
}

async function setup(): Promise<{ storage: Storage; ingest: EventIngest; bus: EventBus; transactions: () => number }> {
  const storage = await openStorage(`sqlite://${tempDir()}/ingest.db`)
  await storage.db.unsafe('CREATE TABLE seen (n INTEGER PRIMARY KEY)')
  let transactions = 0
  // Counts transactions without changing them.
  const counting = new Proxy(storage.db, {
    get(target, property, receiver) {
      if (property === 'begin') {
        return (...args: Parameters<SQL['begin']>) => {
          transactions++
          return (target.begin as (...a: unknown[]) => unknown).apply(target, args)
        }
      }
      const value: unknown = Reflect.get(target, property, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  const ingest = new EventIngest(counting, silentLogger)
  const bus = new EventBus()
  ingest.attach(bus)
  cleanup.push(async () => {
    await ingest.close()
    await storage.close()
  })
  return { storage, ingest, bus, transactions: () => transactions }
}

test('a burst is written in few transactions, in order; a failing event rolls back alone', async () => {
  const { storage, ingest, bus, transactions } = await setup()
  ingest.addHook(async (tx, e) => {
    const n = e.receivedAt
    await tx`INSERT INTO seen (n) VALUES (${n})`
    if (n === 7) throw new Error('hook failed for event 7')
  })
  const committed: number[] = []
  ingest.onCommitted((e) => committed.push(e.receivedAt))
  for (let n = 1; n <= 50; n++) bus.publish(event(n))
  await ingest.idle()
  const expected = Array.from({ length: 50 }, (_, i) => i + 1).filter((n) => n !== 7)
  expect(committed).toEqual(expected)
  const rows: Array<{ n: number }> = await storage.db`SELECT n FROM seen ORDER BY n`
  expect(rows.map((r) => Number(r.n))).toEqual(expected)
  // The first event starts a transaction of its own; the 49 queued behind it share the next one.
  expect(transactions()).toBeLessThanOrEqual(3)
})

test('a lone failing event is rolled back and reported; the next one is stored', async () => {
  const { storage, ingest, bus } = await setup()
  ingest.addHook(async (tx, e) => {
    await tx`INSERT INTO seen (n) VALUES (${e.receivedAt})`
    if (e.receivedAt === 1) throw new Error('boom')
  })
  const committed: number[] = []
  ingest.onCommitted((e) => committed.push(e.receivedAt))
  bus.publish(event(1))
  await ingest.idle()
  bus.publish(event(2))
  await ingest.idle()
  expect(committed).toEqual([2])
  const rows: Array<{ n: number }> = await storage.db`SELECT n FROM seen`
  expect(rows.map((r) => Number(r.n))).toEqual([2])
})

test('without hooks, listeners still run in order', async () => {
  const { ingest, bus, transactions } = await setup()
  const committed: number[] = []
  ingest.onCommitted((e) => committed.push(e.receivedAt))
  for (let n = 1; n <= 5; n++) bus.publish(event(n))
  await ingest.idle()
  expect(committed).toEqual([1, 2, 3, 4, 5])
  expect(transactions()).toBe(0)
})
