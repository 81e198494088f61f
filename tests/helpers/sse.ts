/** Reads a `text/event-stream` body frame by frame, as an EventSource would. */
export interface SseFrame {
  id?: string
  event?: string
  data?: string
  comments: string[]
  retry?: number
}

export class SseReader {
  readonly frames: SseFrame[] = []
  private buffer = ''
  private readonly decoder = new TextDecoder()
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>
  private pumping: Promise<void>
  ended = false

  constructor(response: Response) {
    if (!response.body) throw new Error('no body')
    this.reader = response.body.getReader()
    this.pumping = this.pump()
  }

  private async pump(): Promise<void> {
    try {
      for (;;) {
        const { done, value } = await this.reader.read()
        if (done) break
        this.buffer += this.decoder.decode(value, { stream: true })
        let boundary = this.buffer.indexOf('\n\n')
        while (boundary >= 0) {
          const block = this.buffer.slice(0, boundary)
          this.buffer = this.buffer.slice(boundary + 2)
          this.frames.push(parseBlock(block))
          boundary = this.buffer.indexOf('\n\n')
        }
      }
    } catch {
      // the stream was cancelled or errored
    } finally {
      this.ended = true
    }
  }

  /** Frames that carry an event (not only comments). */
  get events(): Array<{ id: string; event: string; data: { id: string; event: string; payload: Record<string, unknown>; [key: string]: unknown } }> {
    return this.frames
      .filter((frame) => frame.data !== undefined)
      .map((frame) => ({ id: frame.id ?? '', event: frame.event ?? 'message', data: JSON.parse(frame.data!) }))
  }

  get comments(): string[] {
    return this.frames.flatMap((frame) => frame.comments)
  }

  async close(): Promise<void> {
    await this.reader.cancel().catch(() => undefined)
    await this.pumping
  }
}

function parseBlock(block: string): SseFrame {
  const frame: SseFrame = { comments: [] }
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) {
      frame.comments.push(line.slice(1).trim())
      continue
    }
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
    if (field === 'id') frame.id = value
    else if (field === 'event') frame.event = value
    else if (field === 'data') frame.data = frame.data === undefined ? value : `${frame.data}\n${value}`
    else if (field === 'retry') frame.retry = Number(value)
  }
  return frame
}
