/**
 * Media bytes in the shared Postgres (`media_chunks`), so every node of a cluster serves
 * what any node received or sent (API.md §10). Cut in chunks of `MEDIA_CHUNK_BYTES`: no
 * single value approaches Postgres' 1 GB field limit, and rows stay a size the pool moves
 * comfortably. A write is one transaction, so a reader sees all of the chunks or none;
 * every chunk row carries the total size, which a read checks before serving.
 */
import { createHash } from 'node:crypto'
import type { SQL } from 'bun'
import { checkMediaName, type MediaStorage } from './media-storage'

export const MEDIA_CHUNK_BYTES = 1024 * 1024

interface ChunkRow {
  chunk: number
  size: number | string
  /** bytea, as Bun.SQL returns it. */
  data: Uint8Array<ArrayBuffer>
}

export class PostgresMediaStorage implements MediaStorage {
  constructor(
    private readonly db: SQL,
    private readonly chunkBytes = MEDIA_CHUNK_BYTES,
  ) {}

  async write(phoneNumber: string, data: Uint8Array): Promise<string> {
    const sha256 = createHash('sha256').update(data).digest('hex')
    checkMediaName(phoneNumber, sha256)
    const existing: { stored: number | string | null }[] = await this.db`
      SELECT SUM(octet_length(data)) AS stored FROM media_chunks WHERE session = ${phoneNumber} AND sha256 = ${sha256}`
    if (Number(existing[0]?.stored ?? -1) === data.byteLength) return sha256
    await this.db.begin(async (tx) => {
      // Whatever is there is incomplete (a chunk lost, or another cut): replaced whole.
      await tx`DELETE FROM media_chunks WHERE session = ${phoneNumber} AND sha256 = ${sha256}`
      const count = Math.max(1, Math.ceil(data.byteLength / this.chunkBytes))
      for (let chunk = 0; chunk < count; chunk++) {
        const part = data.subarray(chunk * this.chunkBytes, Math.min(data.byteLength, (chunk + 1) * this.chunkBytes))
        await tx`INSERT INTO media_chunks (session, sha256, chunk, size, data)
                 VALUES (${phoneNumber}, ${sha256}, ${chunk}, ${data.byteLength}, ${Buffer.from(part.buffer, part.byteOffset, part.byteLength)})
                 ON CONFLICT (session, sha256, chunk) DO NOTHING`
      }
    })
    return sha256
  }

  async file(phoneNumber: string, sha256: string): Promise<{ blob: Blob; size: number } | undefined> {
    checkMediaName(phoneNumber, sha256)
    const rows: ChunkRow[] = await this.db`
      SELECT chunk, size, data FROM media_chunks WHERE session = ${phoneNumber} AND sha256 = ${sha256} ORDER BY chunk`
    if (rows.length === 0) return undefined
    const size = Number(rows[0]!.size)
    const parts = rows.map((row) => row.data)
    const stored = parts.reduce((total, part) => total + part.byteLength, 0)
    if (stored !== size || rows.some((row, index) => Number(row.chunk) !== index)) return undefined
    return { blob: new Blob(parts), size }
  }

  async remove(phoneNumber: string, sha256: string): Promise<void> {
    checkMediaName(phoneNumber, sha256)
    await this.db`DELETE FROM media_chunks WHERE session = ${phoneNumber} AND sha256 = ${sha256}`
  }

  async removeAll(phoneNumber: string): Promise<void> {
    checkMediaName(phoneNumber)
    await this.db`DELETE FROM media_chunks WHERE session = ${phoneNumber}`
  }
}
