/** Media input decoding, typing and limits, with a fake fetcher (URL fetching itself is tested against real servers). */
import { describe, expect, test } from 'bun:test'
import { BadRequestError, PayloadTooLargeError, UpstreamError } from '../../src/errors'
import type { SafeFetcher, SafeFetchInit } from '../../src/lib/safe-fetch'
import { MediaResolver } from '../../src/messaging/media-input'
import { PDF, PNG, PNG_BASE64 } from '../helpers/whatsapp'

const LIMITS = { image: 1000, video: 1000, audio: 1000, document: 1000, sticker: 100 }

function fetcher(respond: (url: string, init?: SafeFetchInit) => { status?: number; body: Uint8Array; contentType?: string | null; url?: string }) {
  const calls: Array<{ url: string; init?: SafeFetchInit }> = []
  const fake: SafeFetcher = {
    async fetch(url, init) {
      calls.push({ url: String(url), ...(init && { init }) })
      const r = respond(String(url), init)
      return { status: r.status ?? 200, headers: new Headers(), body: r.body, url: r.url ?? String(url), contentType: r.contentType ?? null }
    },
  }
  return { fake, calls }
}

const none = fetcher(() => {
  throw new Error('no fetch expected')
}).fake

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a rejection')
}

describe('MediaResolver', () => {
  const resolver = new MediaResolver(none, LIMITS)

  test('raw base64 with mimeType', async () => {
    expect(await resolver.resolve('image', { value: PNG_BASE64, field: 'imageUrl', mimeType: 'image/png' })).toEqual({ data: PNG, mimeType: 'image/png' })
  })

  test('raw base64 needs mimeType', async () => {
    const error = await rejection(resolver.resolve('image', { value: PNG_BASE64, field: 'imageUrl' }))
    expect(error).toBeInstanceOf(BadRequestError)
    expect(error.message).toBe('mimeType is required when imageUrl is raw base64')
  })

  test('base64 is strict: no stray characters, no missing padding', async () => {
    for (const value of ['iVBORw0KGgo*', 'iVBORw0KGgo', 'iVBO Rw0K Ggo=!', '====']) {
      expect(await rejection(resolver.resolve('image', { value, field: 'imageUrl', mimeType: 'image/png' }))).toBeInstanceOf(BadRequestError)
    }
  })

  test('a data URL gives its own type; parameters are dropped; an explicit mimeType wins', async () => {
    expect((await resolver.resolve('image', { value: `data:image/png;base64,${PNG_BASE64}`, field: 'imageUrl' })).mimeType).toBe('image/png')
    expect((await resolver.resolve('audio', { value: 'data:audio/ogg;codecs=opus;base64,T2dnUwAC', field: 'audioUrl' })).mimeType).toBe('audio/ogg')
    expect((await resolver.resolve('document', { value: `data:application/octet-stream;base64,${Buffer.from(PDF).toString('base64')}`, field: 'fileUrl' })).mimeType).toBe('application/pdf')
    expect((await resolver.resolve('document', { value: `data:application/pdf;base64,${PNG_BASE64}`, field: 'fileUrl', mimeType: 'application/x-custom' })).mimeType).toBe('application/x-custom')
  })

  test('the kind is checked against the type', async () => {
    const error = await rejection(resolver.resolve('video', { value: `data:image/png;base64,${PNG_BASE64}`, field: 'videoUrl' }))
    expect(error.message).toBe('videoUrl must be a video (got image/png)')
    expect((await resolver.resolve('sticker', { value: `data:image/png;base64,${PNG_BASE64}`, field: 'stickerUrl' })).mimeType).toBe('image/png')
    expect((await resolver.resolve('document', { value: `data:image/png;base64,${PNG_BASE64}`, field: 'fileUrl' })).filename).toBe('file.png')
  })

  test('over the limit is a 413, refused before decoding when the text alone shows it', async () => {
    const big = Buffer.alloc(101).toString('base64')
    const error = await rejection(resolver.resolve('sticker', { value: big, field: 'stickerUrl', mimeType: 'image/webp' }))
    expect(error).toBeInstanceOf(PayloadTooLargeError)
    expect((error as PayloadTooLargeError).details).toEqual({ field: 'stickerUrl', size: 101, limit: 100 })
    const exact = Buffer.alloc(100, 1).toString('base64')
    expect((await resolver.resolve('sticker', { value: exact, field: 'stickerUrl', mimeType: 'image/webp' })).data.byteLength).toBe(100)
    // Invalid base64 that would be large is still refused as too large first (no decode).
    expect(await rejection(resolver.resolve('sticker', { value: `${'A'.repeat(400)}*`, field: 'stickerUrl', mimeType: 'image/webp' }))).toBeInstanceOf(PayloadTooLargeError)
  })

  test('empty media and other URL schemes are refused', async () => {
    expect((await rejection(resolver.resolve('image', { value: 'data:image/png;base64,', field: 'imageUrl' }))).message).toBe('imageUrl is empty')
    for (const value of ['ftp://example.com/a.png', 'file:///etc/passwd', 'javascript:alert(1)', 'gopher://x']) {
      expect((await rejection(resolver.resolve('image', { value, field: 'imageUrl' }))).message).toContain('must be an http(s) URL, a data URL or base64')
    }
  })

  test('a URL is fetched with the kind\'s limit, redirects followed, and typed by the response', async () => {
    const { fake, calls } = fetcher(() => ({ body: PNG, contentType: 'image/png; charset=binary', url: 'https://cdn.example.com/img/cat.png' }))
    const media = await new MediaResolver(fake, LIMITS).resolve('image', { value: ' https://example.com/cat ', field: 'imageUrl' })
    expect(media).toEqual({ data: PNG, mimeType: 'image/png', filename: 'cat.png' })
    expect(calls[0]!.url).toBe('https://example.com/cat')
    expect(calls[0]!.init).toMatchObject({ followRedirects: true, maxBytes: 1000 })
  })

  test('a URL answering with a generic type is typed by its bytes', async () => {
    const { fake } = fetcher(() => ({ body: PDF, contentType: 'application/octet-stream' }))
    expect((await new MediaResolver(fake, LIMITS).resolve('document', { value: 'https://example.com/download?id=1', field: 'fileUrl' })).mimeType).toBe('application/pdf')
  })

  test('URL failures name the field and keep their status', async () => {
    const notFound = fetcher(() => ({ status: 404, body: new Uint8Array(0) })).fake
    const error = await rejection(new MediaResolver(notFound, LIMITS).resolve('image', { value: 'https://example.com/x.png', field: 'imageUrl' }))
    expect(error).toBeInstanceOf(UpstreamError)
    expect(error.message).toBe('imageUrl: the media URL answered HTTP 404')
    const blocked: SafeFetcher = { fetch: async () => Promise.reject(new BadRequestError('URL host 127.0.0.1 is not allowed (loopback address)')) }
    const refused = await rejection(new MediaResolver(blocked, LIMITS).resolve('image', { value: 'http://127.0.0.1/x.png', field: 'imageUrl' }))
    expect(refused).toBeInstanceOf(BadRequestError)
    expect(refused.message).toBe('imageUrl: URL host 127.0.0.1 is not allowed (loopback address)')
    const tooBig: SafeFetcher = { fetch: async () => Promise.reject(new PayloadTooLargeError('Remote body exceeds the limit of 1000 bytes')) }
    const large = await rejection(new MediaResolver(tooBig, LIMITS).resolve('image', { value: 'https://example.com/x.png', field: 'imageUrl' }))
    expect(large).toBeInstanceOf(PayloadTooLargeError)
    expect((large as PayloadTooLargeError).details).toEqual({ field: 'imageUrl', limit: 1000 })
  })
})
