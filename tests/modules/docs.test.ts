import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildOpenApiDocument, OPENAPI_FILE } from '../../scripts/openapi'
import { createApp } from '../../src/app'
import { chromiumPath, CLOSED_NETWORK_FLAGS, withoutChromium } from '../helpers/chromium'
import { createTestServer, type TestServer } from '../helpers/app'

let server: TestServer
beforeAll(async () => {
  server = await createTestServer()
})
afterAll(async () => {
  await server.close()
})

interface Operation {
  tags?: string[]
  summary?: string
  description?: string
  responses?: Record<string, unknown>
  security?: unknown[]
}

/** Routes API.md §2 makes public (besides the docs themselves): no credential, so no 401. */
const PUBLIC_ROUTES = new Set([
  '/api/whatsapp/health',
  '/api/whatsapp/dashboard',
  '/api/whatsapp/link/:token',
  '/api/whatsapp/link/:token/state',
  '/api/whatsapp/link/:token/events',
  '/api/whatsapp/link/:token/pairing-code',
])

describe('OpenAPI document', () => {
  test('the committed openapi/openapi.json is up to date (run `bun run openapi` after changing routes)', async () => {
    expect(readFileSync(OPENAPI_FILE, 'utf8')).toBe(await buildOpenApiDocument())
  })

  test('every route is documented with a tag, summary, description and error responses', async () => {
    const spec = (await server.call<{ paths: Record<string, Record<string, Operation>> }>('GET', '/swagger/json', { key: null })).body
    const documented = new Set(Object.entries(spec.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`)))
    // Static assets (hidden from the document) are not operations.
    const routes = server.app.routes.filter(
      (route) => route.path.startsWith('/api/whatsapp/') && !route.path.startsWith('/api/whatsapp/swagger') && !(route.hooks as { detail?: { hide?: boolean } }).detail?.hide,
    )
    expect(routes.length).toBeGreaterThan(5)
    for (const route of routes) {
      const key = `${route.method} ${route.path.replace(/:(\w+)/g, '{$1}')}`
      expect(documented.has(key), key).toBe(true)
      const operation = spec.paths[route.path.replace(/:(\w+)/g, '{$1}')]![route.method.toLowerCase()]!
      expect(operation.tags?.length, key).toBeGreaterThan(0)
      expect(operation.summary, key).toBeTruthy()
      expect(operation.description, key).toBeTruthy()
      if (!PUBLIC_ROUTES.has(route.path)) expect(Object.keys(operation.responses ?? {}), key).toContain('401')
      else expect(operation.security, key).toEqual([])
    }
  })

  test('both auth schemes are declared; health is public', async () => {
    const spec = (await server.call<{ components: { securitySchemes: Record<string, { type: string }> }; security: unknown[]; paths: Record<string, Record<string, Operation>> }>('GET', '/swagger/json', { key: null })).body
    expect(spec.components.securitySchemes.bearerAuth?.type).toBe('http')
    expect(spec.components.securitySchemes.apiKey?.type).toBe('apiKey')
    expect(spec.security).toEqual([{ bearerAuth: [] }, { apiKey: [] }])
    expect(spec.paths['/api/whatsapp/health']!.get!.security).toEqual([])
  })
})

describe('Swagger UI', () => {
  test('the page and its assets are served by this server, with nothing from a CDN', async () => {
    const page = await server.request('GET', '/swagger', { key: null })
    expect(page.status).toBe(200)
    const html = await page.text()
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!)
    expect(urls.length).toBeGreaterThan(0)
    for (const url of urls) expect(url).toStartWith('/api/whatsapp/swagger/')
    expect(html).toContain('"url":"/api/whatsapp/swagger/json"')
    for (const asset of ['swagger-ui.css', 'swagger-ui-bundle.js']) {
      const response = await server.request('GET', `/swagger/assets/${asset}`, { key: null })
      expect(response.status, asset).toBe(200)
      expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(1000)
    }
    expect((await server.request('GET', '/swagger/assets/..%2Fpackage.json', { key: null })).status).toBe(404)
  })

  test.skipIf(withoutChromium(import.meta.path))('headless Chromium renders the operations with the network otherwise closed', async () => {
    const listening = createApp(server.deps).listen({ port: 0, hostname: '127.0.0.1' })
    const profile = mkdtempSync(join(tmpdir(), 'wws-chromium-'))
    try {
      const url = `http://127.0.0.1:${listening.server!.port}/api/whatsapp/swagger`
      const browser = Bun.spawn(
        [
          chromiumPath(),
          ...CLOSED_NETWORK_FLAGS,
          `--user-data-dir=${profile}`,
          // Every host but this server's is unresolvable: a CDN asset would fail to load.
          '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
          '--virtual-time-budget=15000',
          '--dump-dom',
          url,
        ],
        { stdout: 'pipe', stderr: 'pipe' },
      )
      const timer = setTimeout(() => browser.kill(), 45_000)
      const dom = await new Response(browser.stdout).text()
      clearTimeout(timer)
      await browser.exited
      expect(dom).toContain('swagger-ui')
      expect(dom).toContain('opblock-summary')
      expect(dom).toContain('/api/whatsapp/{phoneNumber}/start')
      expect(dom).toContain('Start a session')
      expect(dom).toContain('Authorize')
    } finally {
      await listening.stop()
      rmSync(profile, { recursive: true, force: true })
    }
  }, 60_000)
})

describe('request bodies', () => {
  test('every route with a body documents it as JSON and answers malformed JSON with 400', async () => {
    const spec = (await server.call<{ paths: Record<string, Record<string, { requestBody?: { content: Record<string, unknown> } }>> }>('GET', '/swagger/json', { key: null })).body
    const withBody = Object.entries(spec.paths).flatMap(([path, operations]) =>
      Object.entries(operations)
        .filter(([, operation]) => operation.requestBody)
        .map(([method, operation]) => ({ method: method.toUpperCase(), path, operation })),
    )
    expect(withBody.length).toBeGreaterThan(2)
    for (const { method, path, operation } of withBody) {
      expect(Object.keys(operation.requestBody!.content), `${method} ${path}`).toContain('application/json')
      const concrete = path.replace('/api/whatsapp', '').replace(/\{phoneNumber\}/g, '966500000009').replace(/\{(\w+)\}/g, 'x1')
      const response = await server.call(method, concrete, { rawBody: '{"broken":' })
      expect(response.status, `${method} ${path}`).toBe(400)
      expect(response.body, `${method} ${path}`).toMatchObject({ code: 'BAD_REQUEST' })
    }
  })
})
