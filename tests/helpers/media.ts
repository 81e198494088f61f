/**
 * Real sample media, made by ffmpeg itself when a test asks for it (nothing binary is
 * checked in), and ffprobe to check what the server produced.
 */
import ffmpeg from '@ffmpeg-installer/ffmpeg'
import ffprobe from '@ffprobe-installer/ffprobe'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const FFMPEG = ffmpeg.path
export const FFPROBE = ffprobe.path

/** What each sample is made of: ffmpeg's generators (`lavfi`) and the encoder arguments. */
const RECIPES = {
  /** 1.5 s of a 440 Hz tone, PCM WAV. */
  wav: { extension: 'wav', args: ['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1.5', '-ar', '44100'] },
  /** The same tone as MP3. */
  mp3: { extension: 'mp3', args: ['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1.5', '-c:a', 'libmp3lame'] },
  /** The same tone as AAC in an M4A (what iPhones record). */
  m4a: { extension: 'm4a', args: ['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1.5', '-c:a', 'aac'] },
  /** The same tone as OGG/Vorbis: OGG, but not what WhatsApp plays as a voice note. */
  vorbis: { extension: 'ogg', args: ['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1.5', '-c:a', 'libvorbis'] },
  /** A short OGG/Opus voice note, already what WhatsApp records. */
  opus: { extension: 'ogg', args: ['-f', 'lavfi', '-i', 'sine=frequency=300:duration=0.5', '-c:a', 'libopus', '-ac', '1', '-ar', '48000', '-f', 'ogg'] },
  /** A tiny AVI: MPEG-4 part 2 video with MP3 audio (not what WhatsApp plays). */
  avi: { extension: 'avi', args: ['-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10:duration=1', '-f', 'lavfi', '-i', 'sine=duration=1', '-c:v', 'mpeg4', '-c:a', 'libmp3lame', '-shortest'] },
  /** A tiny H.264/AAC MP4, already playable everywhere. */
  mp4: { extension: 'mp4', args: ['-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10:duration=1', '-f', 'lavfi', '-i', 'sine=duration=1', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', '-movflags', '+faststart'] },
  /** H.264 in MP4 too, but 4:4:4 (High 4:4:4 profile), which phones do not play. */
  mp4yuv444: { extension: 'mp4', args: ['-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10:duration=1', '-c:v', 'libx264', '-pix_fmt', 'yuv444p'] },
  /** A 100×60 PNG. */
  png: { extension: 'png', args: ['-f', 'lavfi', '-i', 'testsrc=size=100x60:rate=1:duration=1', '-frames:v', '1'] },
  /** A 100×60 JPEG. */
  jpg: { extension: 'jpg', args: ['-f', 'lavfi', '-i', 'testsrc=size=100x60:rate=1:duration=1', '-frames:v', '1'] },
  /** A 5-frame animated GIF. */
  gif: { extension: 'gif', args: ['-f', 'lavfi', '-i', 'testsrc=size=100x60:rate=5:duration=1'] },
} as const

export type SampleName = keyof typeof RECIPES

const cache = new Map<SampleName, Uint8Array>()

function withTempDir<T>(work: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'wws-sample-'))
  try {
    return work(dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export function sample(name: SampleName): Uint8Array {
  const cached = cache.get(name)
  if (cached) return cached
  const recipe = RECIPES[name]
  const bytes = withTempDir((dir) => {
    const output = join(dir, `sample.${recipe.extension}`)
    const result = Bun.spawnSync([FFMPEG, '-hide_banner', '-loglevel', 'error', '-y', ...recipe.args, output])
    if (result.exitCode !== 0) throw new Error(`ffmpeg could not make the ${name} sample: ${result.stderr.toString()}`)
    return new Uint8Array(readFileSync(output))
  })
  cache.set(name, bytes)
  return bytes
}

export function sampleBase64(name: SampleName): string {
  return Buffer.from(sample(name)).toString('base64')
}

export interface ProbeResult {
  formatName: string
  duration?: number
  streams: Array<{ codecType: string; codecName: string; width?: number; height?: number; channels?: number; sampleRate?: number; pixFmt?: string }>
}

/** What ffprobe says of some bytes. */
export function probe(bytes: Uint8Array): ProbeResult {
  return withTempDir((dir) => {
    const file = join(dir, 'probed')
    writeFileSync(file, bytes)
    const result = Bun.spawnSync([FFPROBE, '-v', 'error', '-show_entries', 'stream=codec_type,codec_name,width,height,channels,sample_rate,pix_fmt:format=format_name,duration', '-of', 'json', file])
    if (result.exitCode !== 0) throw new Error(`ffprobe: ${result.stderr.toString()}`)
    const parsed = JSON.parse(result.stdout.toString()) as {
      format?: { format_name?: string; duration?: string }
      streams?: Array<{ codec_type?: string; codec_name?: string; width?: number; height?: number; channels?: number; sample_rate?: string; pix_fmt?: string }>
    }
    return {
      formatName: parsed.format?.format_name ?? '',
      ...(parsed.format?.duration !== undefined && { duration: Number(parsed.format.duration) }),
      streams: (parsed.streams ?? []).map((stream) => ({
        codecType: stream.codec_type ?? '',
        codecName: stream.codec_name ?? '',
        ...(stream.width !== undefined && { width: stream.width }),
        ...(stream.height !== undefined && { height: stream.height }),
        ...(stream.channels !== undefined && { channels: stream.channels }),
        ...(stream.sample_rate !== undefined && { sampleRate: Number(stream.sample_rate) }),
        ...(stream.pix_fmt !== undefined && { pixFmt: stream.pix_fmt }),
      })),
    }
  })
}
