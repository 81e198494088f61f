/**
 * Where media bytes live: content-addressed per number (`<phoneNumber>/<sha256>`), so the
 * same bytes stored twice are kept once and a repeated write is harmless. On one node they
 * are files under DATA_DIR (media-files.ts); when nodes share a Postgres, in the database
 * (media-postgres.ts) or an S3-compatible bucket (media-s3.ts), so any node serves them.
 */
export interface MediaStorage {
  /** Stores the bytes; returns their SHA-256 (hex), which names them. */
  write(phoneNumber: string, data: Uint8Array): Promise<string>
  /** The stored bytes, to stream; undefined when missing. */
  file(phoneNumber: string, sha256: string): Promise<{ blob: Blob; size: number } | undefined>
  remove(phoneNumber: string, sha256: string): Promise<void>
  /** Deletes every media of a number. */
  removeAll(phoneNumber: string): Promise<void>
}

const PHONE = /^[0-9]{7,15}$/
const SHA256 = /^[0-9a-f]{64}$/

/** Refuses a number or hash that could name anything but one number's media (a path, a key prefix). */
export function checkMediaName(phoneNumber: string, sha256?: string): void {
  if (!PHONE.test(phoneNumber)) throw new Error(`media: invalid phone number ${JSON.stringify(phoneNumber)}`)
  if (sha256 !== undefined && !SHA256.test(sha256)) throw new Error('media: invalid content hash')
}
