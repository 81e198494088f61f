/**
 * Swagger's "Authorize": both schemes are declared, every authenticated operation accepts
 * either, public ones need none, and what the document promises is what the server does.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { ADMIN_KEY, createTestServer, type TestServer } from '../helpers/app'

interface Operation {
  security?: Record<string, string[]>[]
  responses?: Record<string, unknown>
  tags?: string[]
}
interface Document {
  security: Record<string, string[]>[]
  components: { securitySchemes: Record<string, Record<string, string>> }
  paths: Record<string, Record<string, Operation>>
}

let server: TestServer
let doc: Document

beforeAll(async () => {
  server = await createTestServer({ RATE_LIMIT_PER_MINUTE: '0' })
  const response = await server.call<Document>('GET', '/swagger/json', { key: null })
  expect(response.status).toBe(200)
  doc = response.body
})
afterAll(async () => {
  await server.close()
})

// A link invite's routes are public by their token (API.md §2): whoever holds the link needs no credential.
const PUBLIC = new Set([
  'get /api/whatsapp/health',
  'get /api/whatsapp/dashboard',
  'get /api/whatsapp/link/{token}',
  'get /api/whatsapp/link/{token}/state',
  'get /api/whatsapp/link/{token}/events',
  'post /api/whatsapp/link/{token}/pairing-code',
])

test('bearer and X-Api-Key are declared, and either one satisfies the document-wide requirement', () => {
  expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' })
  expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-Api-Key' })
  // Two alternatives (OR), not one requirement naming both (AND).
  expect(doc.security).toEqual([{ bearerAuth: [] }, { apiKey: [] }])
})

test('every operation but the public ones keeps that requirement and documents 401 and 429', () => {
  const operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ id: `${method} ${path}`, op })))
  expect(operations.length).toBeGreaterThan(10)
  for (const { id, op } of operations) {
    if (PUBLIC.has(id)) {
      expect({ id, security: op.security }).toEqual({ id, security: [] })
      continue
    }
    // No override: the operation inherits both schemes.
    expect({ id, security: op.security }).toEqual({ id, security: undefined })
    expect({ id, has401: '401' in (op.responses ?? {}), has429: '429' in (op.responses ?? {}) }).toEqual({ id, has401: true, has429: true })
  }
  expect(doc.paths['/api/whatsapp/api-keys']?.post?.tags).toEqual(['API keys'])
})

test('what "Authorize" sends works: the admin key as X-Api-Key or as Bearer', async () => {
  expect((await server.call('GET', '/sessions')).status).toBe(200)
  expect((await server.call('GET', '/sessions', { key: null, headers: { authorization: `Bearer ${ADMIN_KEY}` } })).status).toBe(200)
})
