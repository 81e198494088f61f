/**
 * Media in an S3-compatible bucket (MEDIA_S3_BUCKET): written once per content, served by
 * any node from the bucket (not a node's disk), removed with the message or the number,
 * against a local stand-in of the S3 API. And the settings are checked at boot.
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError, loadConfig } from '../../src/config'
import { S3MediaStorage } from '../../src/messaging/media-s3'
import { createTestServer, testEnv, tempDir, type TestServer } from '../helpers/app'
import { startFakeS3, type FakeS3 } from '../helpers/fake-s3'
import { A, B, historyWhen, jid, PNG, PNG_BASE64 } from '../helpers/whatsapp'

const cleanup: Array<() => Promise<void>> = []

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined)
})

function s3(): FakeS3 {
  const started = startFakeS3()
  cleanup.push(() => started.close())
  return started
}

function storage(fake: FakeS3): S3MediaStorage {
  return new S3MediaStorage({ bucket: fake.bucket, endpoint: fake.url, region: 'us-east-1', accessKeyId: 'test-key', secretAccessKey: 'test-secret' })
}

describe('media in an S3 bucket', () => {
  test('bytes are written once per content, read back whole, and removed one by one or per number', async () => {
    const fake = s3()
    const media = storage(fake)
    const data = crypto.getRandomValues(new Uint8Array(200_000))
    const sha = await media.write(A, data)
    expect([...fake.objects.keys()]).toEqual([`${A}/${sha}`])
    const puts = () => fake.requests.filter((r) => r.method === 'PUT').length
    expect(puts()).toBe(1)
    // A repeated write (an event ingested again) sends nothing.
    expect(await media.write(A, data)).toBe(sha)
    expect(puts()).toBe(1)

    const read = await media.file(A, sha)
    expect(read?.size).toBe(data.byteLength)
    expect(new Uint8Array(await read!.blob.arrayBuffer())).toEqual(data)
    expect(await media.file(B, sha)).toBeUndefined()

    const other = await media.write(A, new TextEncoder().encode('other'))
    await media.write(B, new TextEncoder().encode('kept'))
    await media.remove(A, sha)
    expect(await media.file(A, sha)).toBeUndefined()
    expect(await media.file(A, other)).toBeDefined()
    await media.removeAll(A)
    expect([...fake.objects.keys()].every((key) => key.startsWith(`${B}/`))).toBe(true)
    expect(fake.objects.size).toBe(1)
    expect(media.file('../x', sha)).rejects.toThrow('invalid phone number')
  })

  test('a server with MEDIA_S3_BUCKET keeps received media in the bucket, not on its disk, and serves it', async () => {
    const fake = s3()
    const server: TestServer = await createTestServer({
      MEDIA_S3_BUCKET: fake.bucket,
      MEDIA_S3_ENDPOINT: fake.url,
      MEDIA_S3_REGION: 'us-east-1',
      MEDIA_S3_ACCESS_KEY_ID: 'test-key',
      MEDIA_S3_SECRET_ACCESS_KEY: 'test-secret',
    })
    cleanup.push(() => server.close())
    await server.link(A)
    await server.link(B)
    const sent = await server.call('POST', `/${A}/send-image`, { body: { chatId: B, imageUrl: PNG_BASE64, mimeType: 'image/png' } })
    expect(sent.status).toBe(200)
    const [received] = await historyWhen(server, B, jid(A), (messages) => messages.length === 1)
    const download = await server.request('GET', new URL(received!.media!.url).pathname.replace('/api/whatsapp', ''))
    expect(download.status).toBe(200)
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(PNG)
    expect([...fake.objects.values()].some((bytes) => bytes.byteLength === PNG.byteLength)).toBe(true)
    const mediaDir = join(server.dataDir, 'media')
    expect(existsSync(mediaDir) ? readdirSync(mediaDir, { recursive: true }).length : 0).toBe(0)
    // Deleting the number deletes its objects.
    expect((await server.call('DELETE', `/${B}`)).status).toBe(200)
    expect([...fake.objects.keys()].some((key) => key.startsWith(`${B}/`))).toBe(false)
  }, 60_000)

  test('the settings are checked at boot, one message per problem', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(testEnv(tempDir(), env))
        return []
      } catch (error) {
        return (error as ConfigError).problems
      }
    }
    expect(problems({ MEDIA_S3_BUCKET: 'Not_A_Bucket' }).join('\n')).toContain('MEDIA_S3_BUCKET must be a bucket name')
    expect(problems({ MEDIA_S3_BUCKET: 'media', MEDIA_S3_ACCESS_KEY_ID: 'k' }).join('\n')).toContain('go together')
    expect(problems({ MEDIA_S3_ENDPOINT: 'http://127.0.0.1:9000' }).join('\n')).toContain('need MEDIA_S3_BUCKET')
    expect(problems({ MEDIA_S3_BUCKET: 'media', MEDIA_S3_ENDPOINT: 'ftp://x' }).join('\n')).toContain('MEDIA_S3_ENDPOINT')
    expect(loadConfig(testEnv(tempDir(), { MEDIA_S3_BUCKET: 'media', MEDIA_S3_ENDPOINT: 'http://127.0.0.1:9000/' })).mediaS3).toEqual({
      bucket: 'media',
      endpoint: 'http://127.0.0.1:9000',
    })
  })
})
