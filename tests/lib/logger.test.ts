import { describe, expect, test } from 'bun:test'
import { Writable } from 'node:stream'
import { loadConfig } from '../../src/config'
import { createLogger, resolveLogFormat } from '../../src/lib/logger'

/** A destination that keeps what was written. */
function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = []
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(chunk.toString())
      done()
    },
  })
  return { stream, text: () => chunks.join('') }
}

async function settled(): Promise<void> {
  await Bun.sleep(20)
}

describe('log format', () => {
  test('auto: pretty on a terminal, JSON otherwise; json and pretty are what they say', () => {
    expect(resolveLogFormat('auto', true)).toBe('pretty')
    expect(resolveLogFormat('auto', false)).toBe('json')
    expect(resolveLogFormat('json', true)).toBe('json')
    expect(resolveLogFormat('pretty', false)).toBe('pretty')
  })

  test('stdout not a terminal: one JSON object per line', async () => {
    const out = sink()
    const logger = createLogger('info', { format: 'auto', isTTY: false, destination: out.stream })
    logger.info({ session: '966500000001' }, 'session status')
    await settled()
    const lines = out.text().trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, msg: 'session status', session: '966500000001', time: expect.any(String) })
  })

  test('stdout a terminal: human-readable lines from pino-pretty, not JSON', async () => {
    const out = sink()
    const logger = createLogger('info', { format: 'auto', isTTY: true, destination: out.stream })
    logger.info({ session: '966500000001' }, 'session status')
    await settled()
    // Colours, as on a terminal; the words without them.
    const text = out.text().replace(/\u001b\[\d+m/g, '')
    expect(out.text()).toContain('\u001b[')
    expect(text).toContain('session status')
    expect(text).toContain('INFO')
    expect(text).toContain('session: "966500000001"')
    expect(() => JSON.parse(text.trim())).toThrow()
  })

  test('LOG_FORMAT is validated and defaults to auto', () => {
    expect(loadConfig({}).logFormat).toBe('auto')
    expect(loadConfig({ LOG_FORMAT: 'json' }).logFormat).toBe('json')
    expect(() => loadConfig({ LOG_FORMAT: 'xml' })).toThrow('LOG_FORMAT must be one of auto, json, pretty')
  })
})
