import { afterEach, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { openStorage, type Storage } from '../../src/storage/db'
import { MIGRATIONS } from '../../src/storage/migrations'
import { tempDir } from '../helpers/app'

let storage: Storage | undefined
let dir: string | undefined
afterEach(async () => {
  await storage?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

async function open(): Promise<Storage> {
  dir = tempDir('wws-db-')
  storage = await openStorage(`sqlite://${join(dir, 'test.db')}`)
  return storage
}

test('a plain statement issued while another transaction is open is not rolled back with it', async () => {
  const { db } = await open()
  await db.unsafe('CREATE TABLE t (v TEXT)')
  const failing = db
    .begin(async (tx) => {
      await tx`INSERT INTO t VALUES ('inside')`
      await Bun.sleep(30)
      throw new Error('roll back')
    })
    .catch(() => 'rolled back')
  await Bun.sleep(5)
  await db`INSERT INTO t VALUES ('plain')`
  expect(await failing).toBe('rolled back')
  expect((await db`SELECT v FROM t`).map((row: { v: string }) => row.v)).toEqual(['plain'])
})

test('helpers inside queries and unsafe statements still work', async () => {
  const { db } = await open()
  await db.unsafe('CREATE TABLE t (v TEXT)')
  await db`INSERT INTO t ${db([{ v: 'a' }, { v: 'b' }])}`
  expect((await db`SELECT v FROM t WHERE v IN ${db(['a', 'z'])}`).length).toBe(1)
  expect((await db.unsafe('SELECT count(*) AS n FROM t'))[0].n).toBe(2)
  // A query composed into another as a fragment is not executed on its own.
  const onlyA = db`WHERE v = ${'a'}`
  const none = db``
  expect((await db`SELECT v FROM t ${onlyA}`).length).toBe(1)
  expect((await db`SELECT v FROM t ${none}`).length).toBe(2)
})

test('migrations are applied once, in order, and recorded', async () => {
  const { db } = await open()
  const applied = (await db`SELECT id FROM schema_migrations ORDER BY id`).map((row: { id: number }) => Number(row.id))
  expect(applied).toEqual(MIGRATIONS.map((m) => m.id).sort((a, b) => a - b))
  expect(new Set(applied).size).toBe(applied.length)
  const journal = await db.unsafe('PRAGMA journal_mode')
  expect(journal[0].journal_mode).toBe('wal')
})
