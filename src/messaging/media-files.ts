/**
 * Media bytes on disk: `DATA_DIR/media/<phoneNumber>/<sha256>`, content-addressed, so the
 * same image sent twice is stored once and a repeated write is harmless (events may be
 * ingested again). Files are written to a temporary name and renamed into place, so a
 * reader never sees half a file.
 */
import { randomBytes, createHash } from 'node:crypto'
import { mkdir, realpath, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join, sep } from 'node:path'

const PHONE = /^[0-9]{7,15}$/
const SHA256 = /^[0-9a-f]{64}$/

export class MediaFiles {
  constructor(readonly root: string) {}

  private dir(phoneNumber: string): string {
    if (!PHONE.test(phoneNumber)) throw new Error(`media: invalid phone number ${JSON.stringify(phoneNumber)}`)
    return join(this.root, phoneNumber)
  }

  private path(phoneNumber: string, sha256: string): string {
    if (!SHA256.test(sha256)) throw new Error('media: invalid content hash')
    return join(this.dir(phoneNumber), sha256)
  }

  /** Stores the bytes; returns their SHA-256 (hex), which names the file. */
  async write(phoneNumber: string, data: Uint8Array): Promise<string> {
    const sha256 = createHash('sha256').update(data).digest('hex')
    const target = this.path(phoneNumber, sha256)
    const existing = await stat(target).catch(() => undefined)
    if (existing?.size === data.byteLength) return sha256
    await mkdir(this.dir(phoneNumber), { recursive: true })
    const temporary = `${target}.${randomBytes(6).toString('hex')}.tmp`
    await writeFile(temporary, data)
    await rename(temporary, target)
    return sha256
  }

  /** The stored file, to stream (a response body reads it with sendfile); undefined when missing. */
  async file(phoneNumber: string, sha256: string): Promise<{ blob: Blob; size: number } | undefined> {
    const path = this.path(phoneNumber, sha256)
    const info = await stat(path).catch(() => undefined)
    return info?.isFile() ? { blob: Bun.file(path), size: info.size } : undefined
  }

  async remove(phoneNumber: string, sha256: string): Promise<void> {
    await rm(this.path(phoneNumber, sha256), { force: true })
  }

  /** Deletes every media file of a number, refusing anything that resolves outside the media root. */
  async removeAll(phoneNumber: string): Promise<void> {
    let root: string
    let target: string
    try {
      root = await realpath(this.root)
      target = await realpath(this.dir(phoneNumber))
    } catch {
      return
    }
    if (!target.startsWith(root + sep)) throw new Error(`Refusing to delete ${target}: outside ${root}`)
    await rm(target, { recursive: true, force: true })
  }
}
