/**
 * Turns media into what WhatsApp itself produces, so it plays on every phone:
 * voice notes as mono 48 kHz OGG/Opus (with their duration and a 64-point waveform),
 * videos as H.264/AAC MP4 with the index up front, stickers as 512×512 WebP (padded with
 * transparency; animated when the source is a GIF). Input that already has the target
 * form is passed through untouched.
 *
 * ffmpeg and ffprobe run as subprocesses on temporary files (an MP4 may keep its index at
 * the end, so input must be seekable, and `+faststart` rewrites the output), under a
 * deadline, with the output capped at the kind's size limit. Anything the tools refuse
 * (not audio, a corrupt file, too slow) is the client's input: a 400 naming the field and
 * the problem, never a 500.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { BadRequestError, EngineUnavailableError, PayloadTooLargeError } from '../errors'
import type { MediaFile } from '../providers/engine'

export interface MediaConvertSettings {
  /** ffmpeg to run; unset: the binary shipped by `@ffmpeg-installer/ffmpeg`. */
  ffmpegPath?: string
  /** ffprobe to run; unset: the binary shipped by `@ffprobe-installer/ffprobe`. */
  ffprobePath?: string
  /** Deadline of one conversion (every tool run it takes), in ms. */
  timeoutMs: number
}

/** A push-to-talk note as WhatsApp records it. */
export interface VoiceNote {
  media: MediaFile
  durationSeconds: number
  /** 64 loudness samples, 0–100, as WhatsApp draws under a voice note. */
  waveform: number[]
}

/** Where the media came from, for messages and limits. */
export interface ConvertInput {
  media: MediaFile
  /** The request field, named in errors (`audioUrl`). */
  field: string
  /** Largest output allowed, in bytes (the kind's media limit). */
  maxBytes: number
}

interface ProbeStream {
  codec_type?: string
  codec_name?: string
  width?: number
  height?: number
  pix_fmt?: string
}

interface Probe {
  streams: ProbeStream[]
  format: { format_name?: string; duration?: string }
}

const WAVEFORM_POINTS = 64
const WAVEFORM_SAMPLE_RATE = 8000
const STICKER_SIZE = 512
const STICKER_FILTER =
  `scale=${STICKER_SIZE}:${STICKER_SIZE}:force_original_aspect_ratio=decrease,format=rgba,` +
  `pad=${STICKER_SIZE}:${STICKER_SIZE}:(ow-iw)/2:(oh-ih)/2:color=0x00000000`

class ToolFailure extends Error {
  constructor(
    readonly reason: 'failed' | 'timeout' | 'too-large',
    message: string,
  ) {
    super(message)
  }
}

/** Width, height and animation of a WebP, from its header (ffprobe cannot decode animated WebP). */
export function webpInfo(bytes: Uint8Array): { width: number; height: number; animated: boolean } | undefined {
  const text = (offset: number, length: number) => String.fromCharCode(...bytes.subarray(offset, offset + length))
  if (bytes.byteLength < 30 || text(0, 4) !== 'RIFF' || text(8, 4) !== 'WEBP') return undefined
  const chunk = text(12, 4)
  const u24 = (offset: number) => bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16)
  if (chunk === 'VP8X') return { animated: (bytes[20]! & 0x02) !== 0, width: u24(24) + 1, height: u24(27) + 1 }
  if (chunk === 'VP8 ') return { animated: false, width: (bytes[26]! | (bytes[27]! << 8)) & 0x3fff, height: (bytes[28]! | (bytes[29]! << 8)) & 0x3fff }
  if (chunk === 'VP8L') {
    const bits = bytes[21]! | (bytes[22]! << 8) | (bytes[23]! << 16) | (bytes[24]! << 24)
    return { animated: false, width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 }
  }
  return undefined
}

/** The last thing ffmpeg said that explains a failure, without our temporary paths. */
function toolMessage(stderr: string, directory: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.split(directory).join('').replace(/\/?(input|output)\.[a-z0-9]+/g, '$1').trim())
    .filter((line) => line !== '' && !/^(Conversion failed!|Exiting normally)/.test(line))
  return (lines.at(-1) ?? 'no output').slice(0, 300)
}

/** Loudness envelope of 16-bit mono PCM: peak per bucket, scaled so the loudest is 100. */
export function waveformOf(pcm: Uint8Array, points = WAVEFORM_POINTS): number[] {
  const samples = new Int16Array(pcm.buffer, pcm.byteOffset, Math.floor(pcm.byteLength / 2))
  const peaks = new Array<number>(points).fill(0)
  if (samples.length === 0) return peaks
  for (let index = 0; index < samples.length; index++) {
    const bucket = Math.min(points - 1, Math.floor((index * points) / samples.length))
    const value = Math.abs(samples[index]!)
    if (value > peaks[bucket]!) peaks[bucket] = value
  }
  const loudest = Math.max(...peaks)
  return loudest === 0 ? peaks : peaks.map((peak) => Math.round((peak / loudest) * 100))
}

/** At most `limit` holders at once; the others wait in arrival order. */
class Slots {
  private active = 0
  private readonly waiting: Array<() => void> = []

  constructor(private readonly limit: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve))
    else this.active++
    try {
      return await work()
    } finally {
      const next = this.waiting.shift()
      if (next) next()
      else this.active--
    }
  }
}

export class MediaConverter {
  private tools?: Promise<{ ffmpeg: string; ffprobe: string }>
  /** ffmpeg takes a core while it runs: a burst of sends converts one per core, the rest queue. */
  private readonly slots = new Slots(Math.max(1, availableParallelism()))

  constructor(private readonly settings: MediaConvertSettings) {}

  /** A voice note: OGG/Opus as is, anything audible converted to it; always with duration and waveform. */
  async voiceNote(input: ConvertInput): Promise<VoiceNote> {
    return this.inWorkspace(input, 'a voice note', async (work) => {
      const probe = await work.probe()
      const audio = probe.streams.find((stream) => stream.codec_type === 'audio')
      if (!audio) throw new BadRequestError(`${input.field} has no audio to make a voice note of`, { field: input.field })
      const alreadyOpus = audio.codec_name === 'opus' && (probe.format.format_name ?? '').split(',').includes('ogg')
      let media: MediaFile = { ...input.media, mimeType: 'audio/ogg; codecs=opus' }
      let probed = probe
      if (!alreadyOpus) {
        await work.ffmpeg(['-vn', '-map_metadata', '-1', '-c:a', 'libopus', '-b:a', '32k', '-ac', '1', '-ar', '48000', '-application', 'voip', '-f', 'ogg'], 'ogg')
        media = { data: await work.output(), mimeType: 'audio/ogg; codecs=opus', filename: renamed(input.media.filename, 'ogg') ?? 'voice.ogg' }
        probed = await work.probe('output')
      }
      const pcm = await work.ffmpegToMemory(['-vn', '-ac', '1', '-ar', String(WAVEFORM_SAMPLE_RATE), '-f', 's16le'], alreadyOpus ? 'input' : 'output')
      const duration = Number(probed.format.duration)
      const durationSeconds = Number.isFinite(duration) && duration > 0 ? Math.max(1, Math.round(duration)) : Math.max(1, Math.round(pcm.byteLength / 2 / WAVEFORM_SAMPLE_RATE))
      return { media, durationSeconds, waveform: waveformOf(pcm) }
    })
  }

  /** A video every phone plays: H.264 (4:2:0) and AAC in MP4, index first; an MP4 that already is one as is. */
  async playableVideo(input: ConvertInput): Promise<MediaFile> {
    return this.inWorkspace(input, 'an MP4 video', async (work) => {
      const probe = await work.probe()
      const video = probe.streams.find((stream) => stream.codec_type === 'video')
      if (!video) throw new BadRequestError(`${input.field} has no video stream`, { field: input.field })
      const audio = probe.streams.filter((stream) => stream.codec_type === 'audio')
      const isMp4 = (probe.format.format_name ?? '').split(',').includes('mp4')
      // Phones decode H.264 in 4:2:0 only (High 4:4:4 and 10-bit files play nowhere).
      const playable = video.codec_name === 'h264' && video.pix_fmt === 'yuv420p' && audio.every((stream) => stream.codec_name === 'aac')
      if (isMp4 && playable) return input.media
      await work.ffmpeg(
        [
          '-map', '0:v:0', '-map', '0:a:0?', '-map_metadata', '-1',
          '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '26', '-pix_fmt', 'yuv420p',
          // H.264 with 4:2:0 chroma needs even dimensions.
          '-vf', 'scale=trunc(iw/2)*2:trunc(ih/2)*2',
          '-c:a', 'aac', '-b:a', '128k', '-movflags', '+faststart', '-f', 'mp4',
        ],
        'mp4',
      )
      return { data: await work.output(), mimeType: 'video/mp4', filename: renamed(input.media.filename, 'mp4') ?? 'video.mp4' }
    })
  }

  /** A sticker: 512×512 WebP, the image scaled to fit and padded with transparency; GIFs stay animated. */
  async sticker(input: ConvertInput): Promise<MediaFile> {
    const existing = webpInfo(input.media.data)
    if (existing && existing.width === STICKER_SIZE && existing.height === STICKER_SIZE) return { ...input.media, mimeType: 'image/webp' }
    return this.inWorkspace(input, 'a sticker', async (work) => {
      const probe = await work.probe()
      const video = probe.streams.find((stream) => stream.codec_type === 'video')
      if (!video) throw new BadRequestError(`${input.field} is not an image`, { field: input.field })
      const animated = video.codec_name === 'gif' || (existing?.animated ?? false)
      const encoder = animated ? ['-c:v', 'libwebp_anim', '-loop', '0'] : ['-frames:v', '1', '-c:v', 'libwebp']
      await work.ffmpeg(['-an', '-vf', STICKER_FILTER, ...encoder, '-lossless', '0', '-q:v', '75', '-f', 'webp'], 'webp')
      return { data: await work.output(), mimeType: 'image/webp', filename: renamed(input.media.filename, 'webp') ?? 'sticker.webp' }
    })
  }

  private resolveTools(): Promise<{ ffmpeg: string; ffprobe: string }> {
    this.tools ??= (async () => ({
      ffmpeg: this.settings.ffmpegPath ?? (await import('@ffmpeg-installer/ffmpeg')).default.path,
      ffprobe: this.settings.ffprobePath ?? (await import('@ffprobe-installer/ffprobe')).default.path,
    }))().catch((error: unknown) => {
      this.tools = undefined
      throw new EngineUnavailableError('ffmpeg', `Media conversion is unavailable: ffmpeg/ffprobe not found (${String(error).slice(0, 200)}); set FFMPEG_PATH and FFPROBE_PATH`)
    })
    return this.tools
  }

  /**
   * Runs one conversion in a private temporary directory holding the input, under one
   * deadline; tool failures become 400s naming the field, the directory is always removed.
   */
  private async inWorkspace<T>(input: ConvertInput, target: string, convert: (work: Workspace) => Promise<T>): Promise<T> {
    const tools = await this.resolveTools()
    // The deadline starts once a slot is free: waiting behind other conversions is not this input's fault.
    return this.slots.run(() => this.convertIn(tools, input, target, convert))
  }

  private async convertIn<T>(tools: { ffmpeg: string; ffprobe: string }, input: ConvertInput, target: string, convert: (work: Workspace) => Promise<T>): Promise<T> {
    const directory = await mkdtemp(join(tmpdir(), 'wws-convert-'))
    const deadline = Date.now() + this.settings.timeoutMs
    try {
      const inputPath = join(directory, 'input.bin')
      await writeFile(inputPath, input.media.data)
      let outputPath = ''
      const work: Workspace = {
        probe: async (which = 'input') => {
          const { stdout } = await run([tools.ffprobe, '-v', 'error', '-show_entries', 'stream=codec_type,codec_name,width,height,pix_fmt:format=format_name,duration', '-of', 'json', which === 'input' ? inputPath : outputPath], deadline, directory)
          let parsed: Partial<Probe>
          try {
            parsed = JSON.parse(new TextDecoder().decode(stdout)) as Partial<Probe>
          } catch {
            throw new ToolFailure('failed', 'ffprobe gave no readable description of it')
          }
          return { streams: Array.isArray(parsed.streams) ? parsed.streams : [], format: parsed.format ?? {} }
        },
        ffmpeg: async (args, extension) => {
          outputPath = join(directory, `output.${extension}`)
          await run([tools.ffmpeg, '-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-i', inputPath, ...args, '-fs', String(input.maxBytes + 1), outputPath], deadline, directory)
        },
        ffmpegToMemory: async (args, which) => {
          const { stdout } = await run([tools.ffmpeg, '-hide_banner', '-nostdin', '-loglevel', 'error', '-i', which === 'input' ? inputPath : outputPath, ...args, 'pipe:1'], deadline, directory)
          return stdout
        },
        output: async () => {
          const data = new Uint8Array(await readFile(outputPath))
          if (data.byteLength === 0) throw new ToolFailure('failed', 'the conversion produced nothing')
          if (data.byteLength > input.maxBytes) throw new ToolFailure('too-large', `${data.byteLength}`)
          return data
        },
      }
      return await convert(work)
    } catch (error) {
      if (!(error instanceof ToolFailure)) throw error
      const { field } = input
      if (error.reason === 'timeout') {
        throw new BadRequestError(`${field} could not be converted to ${target}: the conversion took longer than ${this.settings.timeoutMs} ms`, { field, reason: 'timeout' })
      }
      if (error.reason === 'too-large') {
        throw new PayloadTooLargeError(`${field} converted to ${target} is over the size limit for it here (${input.maxBytes} bytes)`, { field, limit: input.maxBytes })
      }
      throw new BadRequestError(`${field} could not be converted to ${target}: ffmpeg cannot read it (${error.message})`, { field, reason: 'unreadable' })
    } finally {
      await rm(directory, { recursive: true, force: true })
    }
  }
}

interface Workspace {
  probe(which?: 'input' | 'output'): Promise<Probe>
  /** Converts the input into `output.<extension>`, capped at the size limit. */
  ffmpeg(args: string[], extension: string): Promise<void>
  /** Decodes the input or output to stdout (raw PCM for the waveform). */
  ffmpegToMemory(args: string[], which: 'input' | 'output'): Promise<Uint8Array>
  /** The converted bytes, checked against the size limit. */
  output(): Promise<Uint8Array>
}

function renamed(filename: string | undefined, extension: string): string | undefined {
  if (!filename) return undefined
  const base = filename.replace(/\.[^.]*$/, '')
  return `${base || 'media'}.${extension}`
}

/** Runs a tool to completion before the deadline; a non-zero exit or the deadline is a ToolFailure. */
async function run(command: string[], deadline: number, directory: string): Promise<{ stdout: Uint8Array }> {
  const remaining = deadline - Date.now()
  if (remaining <= 0) throw new ToolFailure('timeout', 'deadline passed')
  let child: ReturnType<typeof Bun.spawn<'ignore', 'pipe', 'pipe'>>
  try {
    child = Bun.spawn(command, { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
  } catch (error) {
    throw new EngineUnavailableError('ffmpeg', `Media conversion is unavailable: cannot run ${command[0]} (${(error as Error).message}); check FFMPEG_PATH and FFPROBE_PATH`)
  }
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    child.kill('SIGKILL')
  }, remaining)
  try {
    const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).bytes(), new Response(child.stderr).text(), child.exited])
    if (timedOut) throw new ToolFailure('timeout', 'deadline passed')
    if (exitCode !== 0) throw new ToolFailure('failed', toolMessage(stderr, directory))
    return { stdout }
  } finally {
    clearTimeout(timer)
  }
}
