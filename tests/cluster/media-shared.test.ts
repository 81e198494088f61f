/**
 * Media readable from every node (issue 10): on Postgres the bytes live in the shared
 * database (chunked `bytea`), not on the disk of the node that received them, so another
 * node serves them, and after a takeover nothing is missing.
 */
import { describe, expect, test } from 'bun:test'
import { SQL } from 'bun'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { PostgresMediaStorage } from '../../src/messaging/media-postgres'
import { createTestServer, type TestServer } from '../helpers/app'
import { migrated, usePostgresCluster } from '../helpers/cluster-events'
import { A, B, historyWhen, jid, PNG, PNG_BASE64 } from '../helpers/whatsapp'

const postgres = usePostgresCluster()
const cleanup = postgres.cleanup

async function pool(): Promise<SQL> {
  const url = await postgres.cluster().createDatabase('media')
  await migrated(url)
  const db = new SQL({ url, max: 4 })
  cleanup.push(() => db.close())
  return db
}

describe('media in the shared database', () => {
  test('an image received on node A is served from the database, by node A over HTTP and by node B from its own store', async () => {
    const url = await postgres.cluster().createDatabase('media_nodes')
    const node = async (id: string): Promise<TestServer> => {
      const server = await createTestServer({ DATABASE_URL: url, NODE_ID: id })
      cleanup.push(() => server.close())
      return server
    }
    // B joins once A runs both numbers, so A keeps their leases.
    const a = await node('node-a')
    await a.link(A)
    await a.link(B)
    const sent = await a.call('POST', `/${A}/send-image`, { body: { chatId: B, imageUrl: PNG_BASE64, mimeType: 'image/png', caption: 'shared' } })
    expect(sent.status).toBe(200)
    const [received] = await historyWhen(a, B, jid(A), (messages) => messages.length === 1)
    expect(received).toMatchObject({ hasMedia: true, media: { mimetype: 'image/png', size: PNG.byteLength } })

    const download = await a.request('GET', new URL(received!.media!.url).pathname.replace('/api/whatsapp', ''))
    expect(download.status).toBe(200)
    expect(download.headers.get('content-type')).toBe('image/png')
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(PNG)

    // Node B never saw the message go by, yet has its bytes: they are in the database.
    const b = await node('node-b')
    const onB = await b.deps.messaging.store.media(B, received!.id)
    expect(onB).toBeDefined()
    expect(onB!.size).toBe(PNG.byteLength)
    expect(new Uint8Array(await onB!.blob.arrayBuffer())).toEqual(PNG)
    // …and not on node A's disk.
    const mediaDir = join(a.dataDir, 'media')
    expect(existsSync(mediaDir) ? readdirSync(mediaDir, { recursive: true }).length : 0).toBe(0)
  }, 60_000)

  test('large media is cut in chunks and read back whole; removing one or all of a number frees them', async () => {
    const db = await pool()
    const media = new PostgresMediaStorage(db, 64 * 1024)
    const other = new PostgresMediaStorage(db, 64 * 1024)
    const big = crypto.getRandomValues(new Uint8Array(3 * 64 * 1024 + 123))
    const small = new TextEncoder().encode('hello')
    const bigSha = await media.write(A, big)
    const smallSha = await media.write(A, small)
    // A repeated write (an event ingested again) changes nothing.
    expect(await other.write(A, big)).toBe(bigSha)
    const chunks: { count: string | number }[] = await db`SELECT COUNT(*) AS count FROM media_chunks WHERE sha256 = ${bigSha}`
    expect(Number(chunks[0]!.count)).toBe(4)

    const read = await other.file(A, bigSha)
    expect(read?.size).toBe(big.byteLength)
    expect(new Uint8Array(await read!.blob.arrayBuffer())).toEqual(big)
    // Per number: the same bytes of another number are not this one's.
    expect(await other.file(B, bigSha)).toBeUndefined()

    await other.remove(A, bigSha)
    expect(await media.file(A, bigSha)).toBeUndefined()
    expect(await media.file(A, smallSha)).toBeDefined()
    await media.removeAll(A)
    expect(await media.file(A, smallSha)).toBeUndefined()
  }, 60_000)

  test('a missing chunk is never served as if it were the whole file; names that are not a number or a hash are refused', async () => {
    const db = await pool()
    const media = new PostgresMediaStorage(db, 8)
    const sha = await media.write(A, new TextEncoder().encode('0123456789abcdefXYZ'))
    await db`DELETE FROM media_chunks WHERE sha256 = ${sha} AND chunk = 1`
    expect(await media.file(A, sha)).toBeUndefined()
    // Written again, it is whole again.
    await media.write(A, new TextEncoder().encode('0123456789abcdefXYZ'))
    expect(await new Response((await media.file(A, sha))!.blob).text()).toBe('0123456789abcdefXYZ')
    expect(media.file('../etc', sha)).rejects.toThrow('invalid phone number')
    expect(media.file(A, 'not-a-hash')).rejects.toThrow('invalid content hash')
  }, 60_000)
})
