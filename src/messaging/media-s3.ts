/**
 * Media bytes in an S3-compatible bucket (AWS S3, MinIO, Cloudflare R2…) through Bun's S3
 * client, when MEDIA_S3_BUCKET is set: every node of a cluster reads the same objects, and
 * the database stays small. Objects are named `<phoneNumber>/<sha256>`, content-addressed
 * like the files on disk; an object exists whole or not at all (a PUT is atomic in S3). A
 * read fetches the object through this node.
 */
import { createHash } from 'node:crypto'
import { S3Client } from 'bun'
import type { MediaS3Config } from '../config'
import { checkMediaName, type MediaStorage } from './media-storage'

export class S3MediaStorage implements MediaStorage {
  private readonly client: S3Client

  constructor(config: MediaS3Config) {
    // Every option is given explicitly: the client would otherwise fall back to S3_* / AWS_* variables.
    this.client = new S3Client({
      bucket: config.bucket,
      ...(config.endpoint && { endpoint: config.endpoint }),
      ...(config.region && { region: config.region }),
      ...(config.accessKeyId && { accessKeyId: config.accessKeyId }),
      ...(config.secretAccessKey && { secretAccessKey: config.secretAccessKey }),
    })
  }

  private key(phoneNumber: string, sha256: string): string {
    checkMediaName(phoneNumber, sha256)
    return `${phoneNumber}/${sha256}`
  }

  async write(phoneNumber: string, data: Uint8Array): Promise<string> {
    const sha256 = createHash('sha256').update(data).digest('hex')
    const key = this.key(phoneNumber, sha256)
    const size = await this.client.size(key).catch(() => undefined)
    if (size === data.byteLength) return sha256
    await this.client.write(key, data, { type: 'application/octet-stream' })
    return sha256
  }

  async file(phoneNumber: string, sha256: string): Promise<{ blob: Blob; size: number } | undefined> {
    const key = this.key(phoneNumber, sha256)
    const object = this.client.file(key)
    // Read through this node, not handed out as the S3File: a Response of one is a redirect to the
    // bucket, which clients of this API usually cannot reach (and should not need credentials for).
    const bytes = await object.arrayBuffer().catch((error: unknown) => {
      if ((error as { code?: unknown }).code === 'NoSuchKey') return undefined
      throw error
    })
    if (bytes === undefined) return undefined
    return { blob: new Blob([bytes]), size: bytes.byteLength }
  }

  async remove(phoneNumber: string, sha256: string): Promise<void> {
    await this.client.unlink(this.key(phoneNumber, sha256))
  }

  async removeAll(phoneNumber: string): Promise<void> {
    checkMediaName(phoneNumber)
    let continuationToken: string | undefined
    do {
      const page = await this.client.list({ prefix: `${phoneNumber}/`, ...(continuationToken && { continuationToken }) })
      for (const object of page.contents ?? []) await this.client.unlink(object.key)
      continuationToken = page.isTruncated ? page.nextContinuationToken : undefined
    } while (continuationToken)
  }
}
