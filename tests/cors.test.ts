import { afterEach, expect, test } from 'bun:test'
import { BASE, createTestServer, type TestServer } from './helpers/app'
import { loadConfig, ConfigError } from '../src/config'

let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
})

const preflight = (origin: string) =>
  new Request(`${BASE}/sessions`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
  })

test('without CORS_ORIGINS no CORS headers are sent: same-origin only', async () => {
  server = await createTestServer()
  const response = await server.request('GET', '/sessions', { headers: { origin: 'https://app.example.com' } })
  expect(response.status).toBe(200)
  expect(response.headers.get('access-control-allow-origin')).toBeNull()
})

test('an allowed origin gets its preflight answered without credentials, and readable limit headers', async () => {
  server = await createTestServer({ CORS_ORIGINS: 'https://app.example.com,http://localhost:5173' })
  const ok = await server.app.handle(preflight('https://app.example.com'))
  expect(ok.status).toBeLessThan(300)
  expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example.com')
  expect(ok.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization')
  expect(ok.headers.get('access-control-allow-credentials')).toBeNull()

  const actual = await server.request('GET', '/sessions', { headers: { origin: 'http://localhost:5173' } })
  expect(actual.status).toBe(200)
  expect(actual.headers.get('access-control-allow-origin')).toBe('http://localhost:5173')
  expect(actual.headers.get('access-control-expose-headers')).toContain('RateLimit-Remaining')
  expect(actual.headers.get('access-control-expose-headers')).toContain('X-Session-Node')

  const other = await server.app.handle(preflight('https://evil.example.net'))
  expect(other.headers.get('access-control-allow-origin')).toBeNull()
  // CORS never replaces authentication.
  expect((await server.request('GET', '/sessions', { key: null, headers: { origin: 'https://app.example.com' } })).status).toBe(401)
})

test('CORS_ORIGINS accepts * or origins only', () => {
  expect(loadConfig({ CORS_ORIGINS: '*' }).corsOrigins).toEqual(['*'])
  for (const bad of ['app.example.com', 'https://app.example.com/path', 'ftp://x.example', '*,https://a.example']) {
    expect(() => loadConfig({ CORS_ORIGINS: bad }), bad).toThrow(ConfigError)
  }
})
