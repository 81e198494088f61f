/** Checks that a PNG (a screenshot) shows something, by decoding its pixels (zlib + PNG filters; no image library needed). */
import { readFileSync } from 'node:fs'
import { inflateSync } from 'node:zlib'

/** Throws unless the PNG at `path` has at least a few distinct colours (a blank page has one). */
export async function assertNotBlank(path: string, minColours = 3): Promise<void> {
  const colours = distinctColours(readFileSync(path))
  if (colours < minColours) throw new Error(`${path} looks blank: ${colours} colour(s)`)
}

/** Distinct RGBA values of an 8-bit RGB/RGBA, non-interlaced PNG (what Chromium writes), up to 1000. */
export function distinctColours(png: Buffer): number {
  if (png.readUInt32BE(12) !== 0x49484452) throw new Error('not a PNG')
  const width = png.readUInt32BE(16)
  const height = png.readUInt32BE(20)
  const bitDepth = png[24]
  const colourType = png[25]
  if (bitDepth !== 8 || (colourType !== 2 && colourType !== 6) || png[28] !== 0) throw new Error(`unsupported PNG (depth ${bitDepth}, type ${colourType})`)
  const channels = colourType === 6 ? 4 : 3
  const chunks: Buffer[] = []
  for (let offset = 8; offset < png.length; ) {
    const length = png.readUInt32BE(offset)
    const type = png.toString('latin1', offset + 4, offset + 8)
    if (type === 'IDAT') chunks.push(png.subarray(offset + 8, offset + 8 + length))
    offset += 12 + length
  }
  const raw = inflateSync(Buffer.concat(chunks))
  const stride = width * channels
  const previous = Buffer.alloc(stride)
  const current = Buffer.alloc(stride)
  const seen = new Set<string>()
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1))
    for (let x = 0; x < stride; x++) {
      const left = x >= channels ? current[x - channels]! : 0
      const up = previous[x]!
      const upLeft = x >= channels ? previous[x - channels]! : 0
      let value = line[x]!
      if (filter === 1) value += left
      else if (filter === 2) value += up
      else if (filter === 3) value += (left + up) >> 1
      else if (filter === 4) {
        const p = left + up - upLeft
        const pa = Math.abs(p - left)
        const pb = Math.abs(p - up)
        const pc = Math.abs(p - upLeft)
        value += pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft
      }
      current[x] = value & 0xff
    }
    // Sample every 4th pixel: enough to tell a page from a blank one.
    for (let x = 0; x < width; x += 4) seen.add(current.subarray(x * channels, x * channels + channels).toString('hex'))
    if (seen.size >= 1000) return seen.size
    current.copy(previous)
  }
  return seen.size
}
