/**
 * Engine profile snapshots (a browser engine's login as an archive), in the database so
 * any node can restore them: chunked bytes with a SHA-256 over the whole, two generations.
 * A save writes generation n+1 completely before dropping generation n-1; a load takes
 * the newest generation whose bytes match their checksum, else the one before.
 */
import { createHash } from 'node:crypto'
import type { Database, DbInteger } from './db'

/** Postgres bytea values are best kept well under its 1 GB limit and the wire's buffers. */
const CHUNK_BYTES = 1024 * 1024

interface SnapshotRow {
  generation: DbInteger
  sha256: string
  size: DbInteger
  chunks: number
  created_at: DbInteger
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

export class EngineSnapshotsRepository {
  constructor(private readonly db: Database) {}

  /** Stores a new generation (inside `tx` when given: the cluster's fenced write); keeps it and the one before. */
  async save(phoneNumber: string, engine: string, archive: Uint8Array, tx: Database = this.db): Promise<number> {
    const rows: { newest: DbInteger | null }[] = await tx`
      SELECT MAX(generation) AS newest FROM engine_snapshots WHERE phone_number = ${phoneNumber} AND engine = ${engine}`
    const generation = Number(rows[0]?.newest ?? 0) + 1
    const chunks = Math.max(1, Math.ceil(archive.byteLength / CHUNK_BYTES))
    for (let idx = 0; idx < chunks; idx++) {
      const data = archive.subarray(idx * CHUNK_BYTES, (idx + 1) * CHUNK_BYTES)
      await tx`
        INSERT INTO engine_snapshot_chunks (phone_number, engine, generation, idx, data)
        VALUES (${phoneNumber}, ${engine}, ${generation}, ${idx}, ${data})`
    }
    await tx`
      INSERT INTO engine_snapshots (phone_number, engine, generation, sha256, size, chunks, created_at)
      VALUES (${phoneNumber}, ${engine}, ${generation}, ${sha256(archive)}, ${archive.byteLength}, ${chunks}, ${Date.now()})`
    await tx`DELETE FROM engine_snapshot_chunks WHERE phone_number = ${phoneNumber} AND engine = ${engine} AND generation < ${generation - 1}`
    await tx`DELETE FROM engine_snapshots WHERE phone_number = ${phoneNumber} AND engine = ${engine} AND generation < ${generation - 1}`
    return generation
  }

  /** The newest intact archive and when it was saved (epoch ms), or undefined when there is none. */
  async load(phoneNumber: string, engine: string): Promise<{ archive: Uint8Array; savedAt: number } | undefined> {
    const snapshots: SnapshotRow[] = await this.db`
      SELECT generation, sha256, size, chunks, created_at FROM engine_snapshots
      WHERE phone_number = ${phoneNumber} AND engine = ${engine} ORDER BY generation DESC`
    for (const snapshot of snapshots) {
      const parts: { idx: number; data: Uint8Array }[] = await this.db`
        SELECT idx, data FROM engine_snapshot_chunks
        WHERE phone_number = ${phoneNumber} AND engine = ${engine} AND generation = ${Number(snapshot.generation)} ORDER BY idx`
      if (parts.length !== Number(snapshot.chunks)) continue
      const archive = new Uint8Array(Number(snapshot.size))
      let offset = 0
      let fits = true
      for (const part of parts) {
        const bytes = new Uint8Array(part.data)
        if (offset + bytes.byteLength > archive.byteLength) {
          fits = false
          break
        }
        archive.set(bytes, offset)
        offset += bytes.byteLength
      }
      if (fits && offset === archive.byteLength && sha256(archive) === snapshot.sha256) return { archive, savedAt: Number(snapshot.created_at) }
    }
    return undefined
  }

  async clear(phoneNumber: string, engine?: string, tx: Database = this.db): Promise<void> {
    if (engine === undefined) {
      await tx`DELETE FROM engine_snapshot_chunks WHERE phone_number = ${phoneNumber}`
      await tx`DELETE FROM engine_snapshots WHERE phone_number = ${phoneNumber}`
    } else {
      await tx`DELETE FROM engine_snapshot_chunks WHERE phone_number = ${phoneNumber} AND engine = ${engine}`
      await tx`DELETE FROM engine_snapshots WHERE phone_number = ${phoneNumber} AND engine = ${engine}`
    }
  }
}
