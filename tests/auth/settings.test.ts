/** The identity settings added to the configuration: defaults, bounds, and their combinations. */
import { describe, expect, test } from 'bun:test'
import { ConfigError, loadConfig } from '../../src/config'

const base = { DATA_DIR: '/tmp/wws-settings-test' }

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...base, ...env })
    return []
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return (error as ConfigError).problems
  }
}

describe('rate limit settings', () => {
  test('defaults: 600 requests and 60 sends per minute per credential, 30 failed authentications per minute per IP', () => {
    expect(loadConfig(base).rateLimit).toEqual({ requestsPerMinute: 600, sendsPerMinute: 60, authFailuresPerMinute: 30 })
  })

  test('set from the environment; 0 turns a limit off', () => {
    const config = loadConfig({ ...base, RATE_LIMIT_PER_MINUTE: '0', RATE_LIMIT_SENDS_PER_MINUTE: '5', AUTH_FAILURES_PER_MINUTE: '100' })
    expect(config.rateLimit).toEqual({ requestsPerMinute: 0, sendsPerMinute: 5, authFailuresPerMinute: 100 })
  })

  test('bad values are reported, each naming its variable', () => {
    const found = problems({ RATE_LIMIT_PER_MINUTE: '-1', RATE_LIMIT_SENDS_PER_MINUTE: 'lots', AUTH_FAILURES_PER_MINUTE: '1.5' })
    expect(found).toHaveLength(3)
    expect(found.join('\n')).toMatch(/RATE_LIMIT_PER_MINUTE[\s\S]*RATE_LIMIT_SENDS_PER_MINUTE[\s\S]*AUTH_FAILURES_PER_MINUTE/)
  })
})

describe('JWT_JWKS_COOLDOWN_MS', () => {
  test('unset by default; set with a JWKS URL', () => {
    expect(loadConfig({ ...base, JWT_JWKS_URL: 'https://auth.example.test/jwks' }).jwt?.jwksCooldownMs).toBeUndefined()
    expect(loadConfig({ ...base, JWT_JWKS_URL: 'https://auth.example.test/jwks', JWT_JWKS_COOLDOWN_MS: '0' }).jwt?.jwksCooldownMs).toBe(0)
  })

  test('needs JWT_JWKS_URL, and a whole number of milliseconds', () => {
    expect(problems({ JWT_JWKS_COOLDOWN_MS: '1000' })).toEqual(['JWT_JWKS_COOLDOWN_MS needs JWT_JWKS_URL'])
    expect(problems({ JWT_JWKS_URL: 'https://auth.example.test/jwks', JWT_JWKS_COOLDOWN_MS: 'soon' })[0]).toMatch(/JWT_JWKS_COOLDOWN_MS must be a whole number/)
  })
})
