/**
 * The engine relay on a real Postgres (what the simulator's network spans nodes with): a
 * payload is taken exactly once even when two nodes take at the same time, in the order it
 * was posted, and a post wakes the other nodes through NOTIFY (the poll is set far away
 * here, so only the notification can).
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { SQL } from 'bun'
import { openStorage, type Storage } from '../../src/storage/db'
import { EngineRelayRepository } from '../../src/storage/engine-relay-repo'
import { waitFor } from '../helpers/app'
import { startPostgres, type PostgresCluster } from '../helpers/postgres'

let postgres: PostgresCluster
let storage: Storage
let second: SQL
let nodeA: EngineRelayRepository
let nodeB: EngineRelayRepository
const errors: unknown[] = []

beforeAll(async () => {
  postgres = await startPostgres()
  const url = await postgres.createDatabase('relay')
  storage = await openStorage(url)
  second = new SQL(url)
  nodeA = new EngineRelayRepository(storage.db, (error) => errors.push(error), 60_000)
  nodeB = new EngineRelayRepository(second, (error) => errors.push(error), 60_000)
}, 60_000)

afterAll(async () => {
  await nodeA?.close()
  await nodeB?.close()
  await second?.close()
  await storage?.close()
  await postgres?.stop()
})

test('two nodes taking at once get every payload once, each in posting order', async () => {
  const a = nodeA.of('simulator')
  const b = nodeB.of('simulator')
  for (let i = 0; i < 300; i++) await a.post('15550009001', String(i))
  const takenBy: string[][] = [[], []]
  await Promise.all(
    [a, b].map(async (relay, index) => {
      for (;;) {
        const batch = await relay.take(['15550009001'])
        if (batch.length === 0) return
        takenBy[index]!.push(...batch.map((item) => item.payload))
      }
    }),
  )
  const all = [...takenBy[0]!, ...takenBy[1]!].map(Number).sort((x, y) => x - y)
  expect(all).toEqual(Array.from({ length: 300 }, (_, i) => i))
  for (const taken of takenBy) expect(taken.map(Number)).toEqual([...taken.map(Number)].sort((x, y) => x - y))
  // Another engine's and another number's mailboxes are untouched.
  await a.post('15550009002', 'other number')
  await nodeA.of('waha').post('15550009001', 'other engine')
  expect(await b.take(['15550009001'])).toEqual([])
  expect(await b.take(['15550009002'])).toEqual([{ to: '15550009002', payload: 'other number' }])
})

test('a post on one node wakes a watcher on the other (NOTIFY); members are shared', async () => {
  let woken = 0
  const stop = nodeB.of('simulator').watch(() => woken++)
  try {
    // The LISTEN is set up asynchronously; posts keep coming until one wakes the watcher.
    await waitFor(async () => {
      await nodeA.of('simulator').post('15550009003', 'wake up')
      return woken > 0
    }, 10_000, 200)
  } finally {
    stop()
  }
  await nodeA.of('simulator').announce('15550009004')
  expect(await nodeB.of('simulator').members()).toContain('15550009004')
  expect(await nodeB.of('waha').members()).not.toContain('15550009004')
  expect(errors).toEqual([])
})
