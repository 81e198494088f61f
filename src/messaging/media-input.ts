/**
 * Turns a media field of a request into bytes an engine can send: an `http(s)` URL
 * (fetched through the one safe fetcher: public addresses only unless allowlisted,
 * redirects re-checked, size capped while streaming, deadline), a data URL, or raw
 * base64 with `mimeType`. Base64 is decoded strictly, and the decoded size is checked
 * against WhatsApp's limit for the kind of media (413 above it) — estimated before
 * decoding, so an oversized body is refused without allocating it twice.
 */
import { AppError, BadRequestError, PayloadTooLargeError, UpstreamError } from '../errors'
import type { MediaLimits } from '../config'
import { decodeBase64Strict, parseDataUrl } from '../lib/base64'
import { cleanMimeType, extensionFor, filenameFromUrl, mimeTypeFromFilename, sniffMimeType } from '../lib/mime'
import type { SafeFetcher } from '../lib/safe-fetch'
import type { MediaFile } from '../providers/engine'

export type MediaKind = keyof MediaLimits

export interface MediaInput {
  /** The URL, data URL or base64 as the client sent it. */
  value: string
  /** The request field it came from, for error messages (`imageUrl`). */
  field: string
  mimeType?: string
  filename?: string
}

const KIND_WORDS: Record<MediaKind, string> = {
  image: 'an image',
  video: 'a video',
  audio: 'an audio file',
  document: 'a file',
  sticker: 'an image (stickers are images, ideally 512×512 WebP)',
}

const ACCEPT: Record<MediaKind, string> = {
  image: 'image/*',
  video: 'video/*',
  audio: 'audio/*',
  document: '*/*',
  sticker: 'image/webp,image/*',
}

const GENERIC_TYPES = new Set(['application/octet-stream', 'binary/octet-stream', 'application/binary', 'application/unknown'])

function fitsKind(kind: MediaKind, mimeType: string): boolean {
  switch (kind) {
    case 'image':
    case 'sticker':
      return mimeType.startsWith('image/')
    case 'video':
      return mimeType.startsWith('video/')
    case 'audio':
      return mimeType.startsWith('audio/') || mimeType === 'application/ogg'
    case 'document':
      return true
  }
}

/** Decoded size of base64 text, without decoding it. */
function decodedLength(base64: string): number {
  const compact = base64.replace(/\s+/g, '')
  const padding = compact.endsWith('==') ? 2 : compact.endsWith('=') ? 1 : 0
  return Math.floor((compact.length * 3) / 4) - padding
}

export class MediaResolver {
  constructor(
    private readonly fetcher: SafeFetcher,
    readonly limits: MediaLimits,
  ) {}

  async resolve(kind: MediaKind, input: MediaInput): Promise<MediaFile> {
    const { field } = input
    const limit = this.limits[kind]
    const explicitType = input.mimeType === undefined ? undefined : cleanMimeType(input.mimeType)
    if (input.mimeType !== undefined && explicitType === undefined) {
      throw new BadRequestError(`mimeType must look like type/subtype (got "${input.mimeType.slice(0, 80)}")`, { field: 'mimeType' })
    }
    const value = input.value.trim()
    let data: Uint8Array
    let declaredType: string | undefined
    let urlFilename: string | undefined
    if (/^https?:\/\//i.test(value)) {
      const fetched = await this.fetch(kind, field, value, limit)
      data = fetched.data
      declaredType = fetched.contentType
      urlFilename = filenameFromUrl(fetched.url)
    } else if (/^data:/i.test(value)) {
      const comma = value.indexOf(',')
      if (comma > 0) this.checkSize(kind, field, decodedLength(value.slice(comma + 1)), limit)
      const parsed = parseDataUrl(value, field)!
      data = parsed.data
      declaredType = cleanMimeType(parsed.mimeType)
    } else if (/^[a-z][a-z0-9+.-]*:/i.test(value)) {
      throw new BadRequestError(`${field} must be an http(s) URL, a data URL or base64 (got a ${value.split(':')[0]}: URL)`, { field })
    } else {
      if (explicitType === undefined) throw new BadRequestError(`mimeType is required when ${field} is raw base64`, { field: 'mimeType' })
      this.checkSize(kind, field, decodedLength(value), limit)
      data = decodeBase64Strict(value, field)
    }
    if (data.byteLength === 0) throw new BadRequestError(`${field} is empty`, { field })
    this.checkSize(kind, field, data.byteLength, limit)

    const sniffed = sniffMimeType(data)
    const declared = declaredType && !GENERIC_TYPES.has(declaredType) ? declaredType : undefined
    const mimeType = explicitType ?? declared ?? sniffed ?? mimeTypeFromFilename(input.filename ?? urlFilename) ?? 'application/octet-stream'
    if (!fitsKind(kind, mimeType)) throw new BadRequestError(`${field} must be ${KIND_WORDS[kind]} (got ${mimeType})`, { field, mimeType })
    const filename = input.filename ?? urlFilename ?? (kind === 'document' ? `file.${extensionFor(mimeType)}` : undefined)
    return { data, mimeType, ...(filename !== undefined && { filename }) }
  }

  private checkSize(kind: MediaKind, field: string, size: number, limit: number): void {
    if (size > limit) {
      throw new PayloadTooLargeError(`${field} is ${size} bytes; WhatsApp's limit for ${kind} media here is ${limit} bytes`, { field, size, limit })
    }
  }

  private async fetch(kind: MediaKind, field: string, url: string, limit: number): Promise<{ data: Uint8Array; contentType?: string; url: string }> {
    try {
      const response = await this.fetcher.fetch(url, { followRedirects: true, maxBytes: limit, headers: { accept: ACCEPT[kind] } })
      if (response.status < 200 || response.status > 299) {
        throw new UpstreamError(`${field}: the media URL answered HTTP ${response.status}`, { field, status: response.status })
      }
      return { data: response.body, url: response.url, ...(cleanMimeType(response.contentType) && { contentType: cleanMimeType(response.contentType)! }) }
    } catch (error) {
      if (error instanceof PayloadTooLargeError) {
        throw new PayloadTooLargeError(`${field}: the media at the URL is over WhatsApp's limit for ${kind} media here (${limit} bytes)`, { field, limit })
      }
      if (error instanceof AppError && error.message.startsWith(`${field}:`)) throw error
      // Keep the status and code; say which field the URL came from.
      if (error instanceof BadRequestError) throw new BadRequestError(`${field}: ${error.message}`, { field })
      if (error instanceof UpstreamError) throw new UpstreamError(`${field}: ${error.message}`, { field, ...(error.details as object | undefined) })
      throw error
    }
  }
}
