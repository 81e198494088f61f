/** The webjs settings in src/config.ts: defaults, overrides, and refusals naming the variable. */
import { describe, expect, test } from 'bun:test'
import { ConfigError, loadConfig } from '../../../src/config'

describe('WEBJS_* settings', () => {
  test('defaults', () => {
    expect(loadConfig({}).webjs).toEqual({
      initTimeoutMs: 120_000,
      healthIntervalMs: 60_000,
      healthTimeoutMs: 30_000,
      qrMaxRetries: 0,
      destroyTimeoutMs: 10_000,
      eagerMediaMaxBytes: 64 * 1024 * 1024,
      chrome: { args: [], lean: true },
    })
  })

  test('overrides, including 0 to turn the health probe off', () => {
    expect(
      loadConfig({
        WEBJS_INIT_TIMEOUT_MS: '5000',
        WEBJS_HEALTH_INTERVAL_MS: '0',
        WEBJS_HEALTH_TIMEOUT_MS: '2500',
        WEBJS_QR_MAX_RETRIES: '5',
        WEBJS_DESTROY_TIMEOUT_MS: '3000',
        WEBJS_EAGER_MEDIA_MAX_BYTES: '1048576',
        WEBJS_LEAN_CHROMIUM: 'false',
      }).webjs,
    ).toEqual({ initTimeoutMs: 5000, healthIntervalMs: 0, healthTimeoutMs: 2500, qrMaxRetries: 5, destroyTimeoutMs: 3000, eagerMediaMaxBytes: 1_048_576, chrome: { args: [], lean: false } })
  })

  test('bad values are refused, each named', () => {
    let error: unknown
    try {
      loadConfig({ WEBJS_INIT_TIMEOUT_MS: '10', WEBJS_QR_MAX_RETRIES: '-1', WEBJS_HEALTH_INTERVAL_MS: 'often', WEBJS_LEAN_CHROMIUM: 'maybe' })
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(ConfigError)
    const problems = (error as ConfigError).problems.join('\n')
    expect(problems).toContain('WEBJS_INIT_TIMEOUT_MS must be a whole number from 1000')
    expect(problems).toContain('WEBJS_QR_MAX_RETRIES')
    expect(problems).toContain('WEBJS_HEALTH_INTERVAL_MS')
    expect(problems).toContain('WEBJS_LEAN_CHROMIUM')
  })
})
