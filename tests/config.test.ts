import { describe, expect, test } from 'bun:test'
import { ConfigError, loadConfig, splitArgs } from '../src/config'
import { runServerToExit } from './helpers/process'

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env)
  } catch (error) {
    if (error instanceof ConfigError) return error.problems
    throw error
  }
  return []
}

describe('configuration', () => {
  test('defaults', () => {
    const config = loadConfig({})
    expect(config.port).toBe(3000)
    expect(config.host).toBe('127.0.0.1')
    expect(config.defaultEngine).toBe('webjs')
    expect(config.dataDir).toEndWith('/data')
    expect(config.databaseUrl).toBe(`sqlite://${config.dataDir}/whatsapp-web-server.db`)
    expect(config.apiKey).toBeUndefined()
    expect(config.jwt).toBeUndefined()
  })

  const invalid: Array<[string, Record<string, string>, string]> = [
    ['PORT not a number', { PORT: 'abc' }, 'PORT must be a whole number from 0 to 65535'],
    ['PORT out of range', { PORT: '70000' }, 'PORT must be a whole number'],
    ['HOST with spaces', { HOST: 'local host' }, 'HOST must be a host name or IP address'],
    ['DATABASE_URL of another kind', { DATABASE_URL: 'mysql://x' }, 'DATABASE_URL must be a URL starting with sqlite:// or postgres://'],
    ['WA_ENGINE unknown', { WA_ENGINE: 'baileys' }, 'WA_ENGINE must be one of webjs, simulator, waha'],
    ['API_KEY too short', { API_KEY: 'short' }, 'API_KEY must be at least 16 characters'],
    ['API_KEY bad hash', { API_KEY: 'sha256:xyz' }, 'API_KEY in hashed form must be sha256: followed by 64 hex digits'],
    ['two JWT sources', { JWT_SECRET: 'x'.repeat(32), JWT_JWKS_URL: 'https://idp.example/jwks' }, 'Set only one of JWT_JWKS_URL, JWT_PUBLIC_KEY, JWT_SECRET'],
    ['short JWT_SECRET', { JWT_SECRET: 'x'.repeat(31) }, 'JWT_SECRET must be at least 32 bytes'],
    ['JWKS not a URL', { JWT_JWKS_URL: 'not a url' }, 'JWT_JWKS_URL must be a URL'],
    ['JWT_PUBLIC_KEY not a key', { JWT_PUBLIC_KEY: 'hello' }, 'JWT_PUBLIC_KEY must be a PEM'],
    ['issuer without key', { JWT_ISSUER: 'https://idp.example' }, 'JWT_ISSUER, JWT_AUDIENCE and JWT_ACCOUNT_CLAIM need one of'],
    ['waha without URL', { WA_ENGINE: 'waha' }, 'WA_ENGINE=waha needs WAHA_URL'],
    ['WAHA_URL not http', { WAHA_URL: 'ftp://x' }, 'WAHA_URL must be a URL starting with http:// or https://'],
    ['WAHA_URL without its key', { WAHA_URL: 'http://waha:3000' }, 'WAHA_URL needs WAHA_API_KEY'],
    ['PUBLIC_URL not http', { PUBLIC_URL: 'gateway.example' }, 'PUBLIC_URL must be a URL starting with http:// or https://'],
    ['WAHA_POLL_MS too small', { WAHA_POLL_MS: '5' }, 'WAHA_POLL_MS must be a whole number from 10'],
    ['WAHA_TIMEOUT_MS not a number', { WAHA_TIMEOUT_MS: '1s' }, 'WAHA_TIMEOUT_MS must be a whole number'],
    ['WAHA_MEDIA_MAX_BYTES too small', { WAHA_MEDIA_MAX_BYTES: '10' }, 'WAHA_MEDIA_MAX_BYTES must be a whole number'],
    ['CHROME_ARGS unbalanced', { CHROME_ARGS: '--a="b' }, 'CHROME_ARGS has an unbalanced " quote'],
    ['CHROME_ARGS not flags', { CHROME_ARGS: 'foo' }, 'CHROME_ARGS must be flags starting with --'],
    ['LOG_LEVEL unknown', { LOG_LEVEL: 'loud' }, 'LOG_LEVEL must be one of'],
    ['MAX_BODY_BYTES too small', { MAX_BODY_BYTES: '10' }, 'MAX_BODY_BYTES must be a whole number'],
    ['PRINT_QR not boolean', { PRINT_QR: 'maybe' }, 'PRINT_QR must be true or false'],
    ['Postgres without CLUSTER_SECRET', { DATABASE_URL: 'postgres://db/app' }, 'CLUSTER_SECRET is required with a Postgres DATABASE_URL'],
    ['CLUSTER_SECRET too short', { CLUSTER_SECRET: 'x'.repeat(31) }, 'CLUSTER_SECRET must be at least 32 characters'],
    ['NODE_ID with a slash', { NODE_ID: 'node/1' }, 'NODE_ID must be 1 to 128 letters'],
    ['NODE_URL not http', { NODE_URL: 'node-a:3000' }, 'NODE_URL must be a URL starting with http:// or https://'],
    ['NODE_CAPACITY negative', { NODE_CAPACITY: '-1' }, 'NODE_CAPACITY must be a whole number'],
    ['LEASE_TTL_MS too short', { LEASE_TTL_MS: '500' }, 'LEASE_TTL_MS must be a whole number from 1000'],
    ['restart attempts negative', { ENGINE_RESTART_MAX_ATTEMPTS: '-1' }, 'ENGINE_RESTART_MAX_ATTEMPTS must be a whole number'],
  ]
  for (const [label, env, message] of invalid) {
    test(`rejects ${label}`, () => {
      const problems = problemsOf(env)
      expect(problems.some((problem) => problem.includes(message)), problems.join('; ')).toBe(true)
    })
  }

  test('PUBLIC_URL defaults to the listen address; a trailing slash is dropped; WAHA settings have defaults', () => {
    expect(loadConfig({}).publicUrl).toBe('http://127.0.0.1:3000')
    expect(loadConfig({ HOST: '::1', PORT: '8080' }).publicUrl).toBe('http://[::1]:8080')
    expect(loadConfig({ PUBLIC_URL: 'https://gw.example/base/' }).publicUrl).toBe('https://gw.example/base')
    expect(loadConfig({ WAHA_URL: 'http://waha:3000', WAHA_API_KEY: 'k' }).waha).toEqual({
      url: 'http://waha:3000',
      apiKey: 'k',
      timeoutMs: 30_000,
      pollMs: 5_000,
      mediaMaxBytes: 100 * 1024 * 1024,
    })
  })

  test('cluster settings: node id and URL from the listen address, no capacity limit, a 15 s lease; trailing slash dropped', () => {
    const defaults = loadConfig({ PORT: '8080' }).cluster
    expect(defaults.nodeId).toEndWith(':8080')
    expect(defaults).toMatchObject({ nodeUrl: 'http://127.0.0.1:8080', capacity: 0, leaseTtlMs: 15_000 })
    expect(defaults.secret).toBeUndefined()
    const secret = 's'.repeat(32)
    const set = loadConfig({ DATABASE_URL: 'postgres://db/app', CLUSTER_SECRET: secret, NODE_ID: 'node-a', NODE_URL: 'http://10.0.0.5:3000/', NODE_CAPACITY: '40', LEASE_TTL_MS: '3000' })
    expect(set.cluster).toEqual({ nodeId: 'node-a', nodeUrl: 'http://10.0.0.5:3000', secret, capacity: 40, leaseTtlMs: 3000 })
  })

  test('reports every problem at once', () => {
    expect(problemsOf({ PORT: 'x', WA_ENGINE: 'y', LOG_LEVEL: 'z' })).toHaveLength(3)
  })

  test('CHROME_ARGS keeps a quoted value with spaces as one flag', () => {
    expect(splitArgs('--host-resolver-rules="MAP web.whatsapp.com 127.0.0.1:8443" --ignore-certificate-errors')).toEqual([
      '--host-resolver-rules=MAP web.whatsapp.com 127.0.0.1:8443',
      '--ignore-certificate-errors',
    ])
    expect(splitArgs(" --a='x y'   --b ")).toEqual(['--a=x y', '--b'])
    expect(loadConfig({ CHROME_ARGS: '--proxy-server="http://127.0.0.1:8080" --lang=en' }).webjs.chrome.args).toEqual(['--proxy-server=http://127.0.0.1:8080', '--lang=en'])
  })

  test('a bad value stops boot with a message naming the variable and a non-zero exit', async () => {
    const result = await runServerToExit({ PORT: 'eighty', WA_ENGINE: 'nope', DATA_DIR: '/tmp/wws-config-test' })
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain('Invalid configuration')
    expect(result.stderr).toContain('PORT must be a whole number from 0 to 65535 (got "eighty")')
    expect(result.stderr).toContain('WA_ENGINE must be one of webjs, simulator, waha (got "nope")')
    expect(result.stderr).not.toContain('    at ')
  })
})
