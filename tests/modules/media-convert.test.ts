/**
 * Media WhatsApp accepts, through HTTP on the simulator: voice notes become mono 48 kHz
 * OGG/Opus with duration and waveform, videos H.264/AAC MP4, stickers 512×512 WebP. The
 * samples are made by ffmpeg in the test; what the server stored and the other side
 * received is probed with ffprobe. Input that cannot be converted is a 400 naming the
 * field; a conversion past its deadline too; a result over the size limit a 413.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { loadConfig, type ConfigError } from '../../src/config'
import { webpInfo } from '../../src/messaging/media-convert'
import { createTestServer, tempDir, testEnv, type TestServer } from '../helpers/app'
import { FFPROBE, probe, sample, sampleBase64, type SampleName } from '../helpers/media'
import { A, B, history, jid, type Msg } from '../helpers/whatsapp'

interface Sent {
  messageId: string
}

async function download(server: TestServer, phone: string, chatId: string, messageId: string): Promise<{ bytes: Uint8Array; type: string | null }> {
  const response = await server.request('GET', `/${phone}/messages/${chatId}/${encodeURIComponent(messageId)}/media`)
  expect(response.status).toBe(200)
  return { bytes: new Uint8Array(await response.arrayBuffer()), type: response.headers.get('content-type') }
}

/** The message as B received it (the simulator delivers at once; B's store may lag a moment). */
async function received(server: TestServer, type: string): Promise<Msg> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const found = (await history(server, B, A)).messages.find((message) => message.type === type)
    if (found) return found
    await server.deps.ingest.idle()
    await Bun.sleep(10)
  }
  throw new Error(`B never received a ${type}`)
}

describe('conversion on send', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await createTestServer()
    await server.link(A)
    await server.link(B)
  })
  afterAll(async () => {
    await server.close()
  })

  async function send(route: string, body: Record<string, unknown>): Promise<string> {
    const sent = await server.call<Sent>('POST', `/${A}/${route}`, { body: { chatId: B, ...body } })
    if (sent.status !== 200) throw new Error(`${route}: ${sent.status} ${JSON.stringify(sent.body)}`)
    return sent.body.messageId
  }

  for (const [name, mimeType] of [['wav', 'audio/wav'], ['mp3', 'audio/mpeg'], ['m4a', 'audio/mp4'], ['vorbis', 'audio/ogg']] as Array<[SampleName, string]>) {
    test(`a voice note from ${name} is mono 48 kHz OGG/Opus with its duration and waveform`, async () => {
      const id = await send('send-voice', { audioUrl: `data:${mimeType};base64,${sampleBase64(name)}` })
      const mine = await download(server, A, B, id)
      expect(mine.type).toStartWith('audio/ogg')
      const probed = probe(mine.bytes)
      expect(probed.formatName).toBe('ogg')
      expect(probed.streams).toHaveLength(1)
      expect(probed.streams[0]).toMatchObject({ codecType: 'audio', codecName: 'opus', channels: 1, sampleRate: 48000 })
      expect(probed.duration!).toBeGreaterThan(1.3)
      expect(probed.duration!).toBeLessThan(1.7)

      const stored = (await history(server, A, B)).messages.find((message) => message.id === id) as Msg & { durationSeconds?: number; waveform?: number[] }
      expect(stored.type).toBe('voice')
      expect(stored.durationSeconds).toBe(2)
      expect(stored.waveform).toHaveLength(64)
      // A steady tone: loud from start to end, the loudest point scaled to 100.
      expect(Math.max(...stored.waveform!)).toBe(100)
      expect(stored.waveform!.filter((point) => point > 50).length).toBeGreaterThan(48)

      // What the other side received is the converted note too.
      const theirs = await received(server, 'voice')
      expect(probe((await download(server, B, A, theirs.id)).bytes).streams[0]?.codecName).toBe('opus')
      await server.call('POST', `/${B}/messages/${encodeURIComponent(theirs.id)}/delete`, { body: {} })
    })
  }

  test('a voice note that already is OGG/Opus is sent as it is, with duration and waveform measured', async () => {
    const id = await send('send-voice', { audioUrl: sampleBase64('opus'), mimeType: 'audio/ogg' })
    expect((await download(server, A, B, id)).bytes).toEqual(sample('opus'))
    const stored = (await history(server, A, B)).messages.find((message) => message.id === id) as Msg & { durationSeconds?: number; waveform?: number[] }
    expect(stored.durationSeconds).toBe(1)
    expect(stored.waveform).toHaveLength(64)
  })

  test('a video that is not H.264/AAC MP4 (an MPEG-4 part 2 AVI) becomes one, index first', async () => {
    const input = probe(sample('avi'))
    expect(input.streams.map((stream) => stream.codecName).sort()).toEqual(['mp3', 'mpeg4'])
    const id = await send('send-video', { videoUrl: sampleBase64('avi'), mimeType: 'video/x-msvideo', caption: 'converted' })
    const mine = await download(server, A, B, id)
    expect(mine.type).toBe('video/mp4')
    const probed = probe(mine.bytes)
    expect(probed.formatName).toContain('mp4')
    expect(probed.streams.map((stream) => `${stream.codecType}:${stream.codecName}`).sort()).toEqual(['audio:aac', 'video:h264'])
    expect(probed.streams.find((stream) => stream.codecType === 'video')?.pixFmt).toBe('yuv420p')
    // +faststart: the index (moov) comes before the media data (mdat).
    const text = Buffer.from(mine.bytes).toString('latin1')
    expect(text.indexOf('moov')).toBeGreaterThan(0)
    expect(text.indexOf('moov')).toBeLessThan(text.indexOf('mdat'))
    const theirs = await received(server, 'video')
    expect(theirs.body).toBe('converted')
    expect(probe((await download(server, B, A, theirs.id)).bytes).streams.map((stream) => stream.codecName).sort()).toEqual(['aac', 'h264'])
  })

  test('an H.264/AAC MP4 is sent untouched', async () => {
    const id = await send('send-video', { videoUrl: sampleBase64('mp4'), mimeType: 'video/mp4' })
    expect((await download(server, A, B, id)).bytes).toEqual(sample('mp4'))
  })

  test('an H.264 MP4 in 4:4:4 chroma, which phones cannot decode, is converted to 4:2:0', async () => {
    expect(probe(sample('mp4yuv444')).streams[0]).toMatchObject({ codecName: 'h264', pixFmt: 'yuv444p' })
    const id = await send('send-video', { videoUrl: sampleBase64('mp4yuv444'), mimeType: 'video/mp4' })
    const probed = probe((await download(server, A, B, id)).bytes)
    expect(probed.streams).toEqual([expect.objectContaining({ codecName: 'h264', pixFmt: 'yuv420p' })])
  })

  for (const [name, mimeType] of [['png', 'image/png'], ['jpg', 'image/jpeg']] as Array<[SampleName, string]>) {
    test(`a sticker from ${name} is a 512×512 WebP with transparent padding`, async () => {
      const id = await send('send-sticker', { stickerUrl: sampleBase64(name), mimeType })
      const mine = await download(server, A, B, id)
      expect(mine.type).toBe('image/webp')
      const probed = probe(mine.bytes)
      expect(probed.streams[0]).toMatchObject({ codecName: 'webp', width: 512, height: 512 })
      // Padded with an alpha channel, not with black.
      expect(probed.streams[0]?.pixFmt).toBe('yuva420p')
    })
  }

  test('a sticker from an animated GIF is an animated 512×512 WebP', async () => {
    const id = await send('send-sticker', { stickerUrl: sampleBase64('gif'), mimeType: 'image/gif' })
    const { bytes } = await download(server, A, B, id)
    // ffmpeg cannot decode animated WebP, so its header is read: VP8X with the animation flag, and ANIM/ANMF chunks.
    expect(webpInfo(bytes)).toEqual({ width: 512, height: 512, animated: true })
    const text = Buffer.from(bytes).toString('latin1')
    expect(text).toContain('ANIM')
    expect(text.split('ANMF').length - 1).toBeGreaterThan(1)
  })

  test('a 512×512 WebP sticker is sent as it is', async () => {
    const first = await send('send-sticker', { stickerUrl: sampleBase64('png'), mimeType: 'image/png' })
    const webp = (await download(server, A, B, first)).bytes
    const again = await send('send-sticker', { stickerUrl: Buffer.from(webp).toString('base64'), mimeType: 'image/webp' })
    expect((await download(server, A, B, again)).bytes).toEqual(webp)
  })

  test('a video posted to Status is converted too', async () => {
    const sent = await server.call<Sent>('POST', `/${A}/status`, { body: { type: 'video', videoUrl: sampleBase64('avi'), mimeType: 'video/x-msvideo' } })
    expect(sent.status).toBe(200)
    const { bytes } = await download(server, A, 'status@broadcast', sent.body.messageId)
    expect(probe(bytes).streams.map((stream) => stream.codecName).sort()).toEqual(['aac', 'h264'])
  })

  test('a voice note posted to Status is converted too', async () => {
    const sent = await server.call<Sent>('POST', `/${A}/status`, { body: { type: 'voice', audioUrl: sampleBase64('mp3'), mimeType: 'audio/mpeg' } })
    expect(sent.status).toBe(200)
    const { bytes } = await download(server, A, 'status@broadcast', sent.body.messageId)
    expect(probe(bytes).streams[0]).toMatchObject({ codecName: 'opus', channels: 1, sampleRate: 48000 })
  })

  test('input that is not what it claims is a 400 naming the field, and nothing is sent', async () => {
    const before = (await history(server, B, A)).messages.length
    const garbage = Buffer.from('this is not audio at all, just text '.repeat(20)).toString('base64')
    for (const [route, field, mimeType, target] of [
      ['send-voice', 'audioUrl', 'audio/mpeg', 'a voice note'],
      ['send-video', 'videoUrl', 'video/mp4', 'an MP4 video'],
      ['send-sticker', 'stickerUrl', 'image/png', 'a sticker'],
    ] as const) {
      const response = await server.call<{ error: string; code: string; statusCode: number; details: { field: string } }>('POST', `/${A}/${route}`, {
        body: { chatId: B, [field]: garbage, mimeType },
      })
      expect(response.status).toBe(400)
      expect(response.body.code).toBe('BAD_REQUEST')
      expect(response.body.details.field).toBe(field)
      expect(response.body.error).toStartWith(`${field} could not be converted to ${target}`)
      // No temporary path, no stack.
      expect(response.body.error).not.toContain('/tmp')
      expect(response.body.error).not.toContain('wws-convert')
    }
    // Audio without sound: a PNG sent as a voice note.
    const image = await server.call<{ error: string }>('POST', `/${A}/send-voice`, { body: { chatId: B, audioUrl: sampleBase64('png'), mimeType: 'audio/ogg' } })
    expect(image.status).toBe(400)
    expect(image.body.error).toBe('audioUrl has no audio to make a voice note of')
    await server.deps.ingest.idle()
    expect((await history(server, B, A)).messages.length).toBe(before)
  })
})

describe('limits and settings', () => {
  test('a conversion past MEDIA_CONVERT_TIMEOUT_MS is a 400 saying so', async () => {
    const slow = join(tempDir(), 'slow-ffprobe')
    writeFileSync(slow, '#!/bin/sh\nexec sleep 30\n')
    chmodSync(slow, 0o755)
    const server = await createTestServer({ FFPROBE_PATH: slow, MEDIA_CONVERT_TIMEOUT_MS: '300' })
    try {
      await server.link(A)
      await server.link(B)
      const response = await server.call<{ error: string; details: { field: string; reason: string } }>('POST', `/${A}/send-voice`, {
        body: { chatId: B, audioUrl: sampleBase64('mp3'), mimeType: 'audio/mpeg' },
      })
      expect(response.status).toBe(400)
      expect(response.body.error).toBe('audioUrl could not be converted to a voice note: the conversion took longer than 300 ms')
      expect(response.body.details).toEqual({ field: 'audioUrl', reason: 'timeout' })
    } finally {
      await server.close()
    }
  })

  test('a burst of conversions runs one per core at a time; the rest wait their turn', async () => {
    const dir = tempDir()
    const log = join(dir, 'probes.log')
    // ffprobe that notes when each run starts and ends, and stays a while so runs could overlap.
    const probeScript = join(dir, 'logging-ffprobe')
    writeFileSync(probeScript, `#!/bin/sh\necho start >> '${log}'\nsleep 0.3\n'${FFPROBE}' "$@"\nstatus=$?\necho end >> '${log}'\nexit $status\n`)
    chmodSync(probeScript, 0o755)
    const server = await createTestServer({ FFPROBE_PATH: probeScript })
    try {
      await server.link(A)
      await server.link(B)
      const cores = Math.max(1, availableParallelism())
      const sends = Array.from({ length: cores + 2 }, () =>
        server.call('POST', `/${A}/send-video`, { body: { chatId: B, videoUrl: sampleBase64('mp4'), mimeType: 'video/mp4' } }),
      )
      expect((await Promise.all(sends)).map((response) => response.status)).toEqual(sends.map(() => 200))
      let running = 0
      let most = 0
      for (const line of readFileSync(log, 'utf8').trim().split('\n')) {
        running += line === 'start' ? 1 : -1
        most = Math.max(most, running)
      }
      expect(running).toBe(0)
      expect(most).toBeLessThanOrEqual(cores)
    } finally {
      await server.close()
    }
  })

  test('an ffprobe that answers nonsense is a 400 about the input, not a 500', async () => {
    const liar = join(tempDir(), 'lying-ffprobe')
    writeFileSync(liar, '#!/bin/sh\necho not json\n')
    chmodSync(liar, 0o755)
    const server = await createTestServer({ FFPROBE_PATH: liar })
    try {
      await server.link(A)
      await server.link(B)
      const response = await server.call<{ error: string }>('POST', `/${A}/send-voice`, { body: { chatId: B, audioUrl: sampleBase64('mp3'), mimeType: 'audio/mpeg' } })
      expect(response.status).toBe(400)
      expect(response.body.error).toBe('audioUrl could not be converted to a voice note: ffmpeg cannot read it (ffprobe gave no readable description of it)')
    } finally {
      await server.close()
    }
  })

  test('a conversion whose result is over the size limit is a 413', async () => {
    const server = await createTestServer({ MEDIA_MAX_STICKER_BYTES: String(sample('gif').byteLength + 100) })
    try {
      await server.link(A)
      await server.link(B)
      const response = await server.call<{ error: string; code: string }>('POST', `/${A}/send-sticker`, { body: { chatId: B, stickerUrl: sampleBase64('gif'), mimeType: 'image/gif' } })
      expect(response.status).toBe(413)
      expect(response.body.code).toBe('PAYLOAD_TOO_LARGE')
      expect(response.body.error).toContain('stickerUrl converted to a sticker is over the size limit')
    } finally {
      await server.close()
    }
  })

  test('FFMPEG_PATH pointing at nothing makes conversions 503, not 500', async () => {
    const server = await createTestServer({ FFMPEG_PATH: join(tempDir(), 'no-ffmpeg-here') })
    try {
      await server.link(A)
      await server.link(B)
      const response = await server.call<{ error: string; code: string }>('POST', `/${A}/send-voice`, { body: { chatId: B, audioUrl: sampleBase64('mp3'), mimeType: 'audio/mpeg' } })
      expect(response.status).toBe(503)
      expect(response.body.code).toBe('ENGINE_UNAVAILABLE')
      expect(response.body.error).toContain('FFMPEG_PATH')
      // Sends that need no conversion still work.
      expect((await server.call('POST', `/${A}/send-image`, { body: { chatId: jid(B), imageUrl: sampleBase64('png'), mimeType: 'image/png' } })).status).toBe(200)
    } finally {
      await server.close()
    }
  })
})

describe('settings', () => {
  test('FFMPEG_PATH, FFPROBE_PATH and MEDIA_CONVERT_TIMEOUT_MS are checked at boot', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(testEnv(tempDir(), env))
        return []
      } catch (error) {
        return (error as ConfigError).problems
      }
    }
    expect(problems({ FFMPEG_PATH: '/usr/bin/ffmpeg', FFPROBE_PATH: '/usr/bin/ffprobe', MEDIA_CONVERT_TIMEOUT_MS: '5000' })).toEqual([])
    expect(problems({ FFMPEG_PATH: 'ff\nmpeg' }).join()).toContain('FFMPEG_PATH must be the path of the executable')
    expect(problems({ FFPROBE_PATH: 'ff\tprobe' }).join()).toContain('FFPROBE_PATH must be the path of the executable')
    expect(problems({ MEDIA_CONVERT_TIMEOUT_MS: 'soon' }).join()).toContain('MEDIA_CONVERT_TIMEOUT_MS')
    expect(problems({ MEDIA_CONVERT_TIMEOUT_MS: '5' }).join()).toContain('MEDIA_CONVERT_TIMEOUT_MS')
  })
})
