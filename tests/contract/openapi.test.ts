/**
 * Contract §9: the OpenAPI document shows every route with its schemas and examples, and
 * says what the server really does. Found by the audit: the media download was documented
 * as JSON, the event stream as text/plain and the QR without its PNG form (the routes'
 * own `detail.responses` were silently replaced by the plugin), request bodies were
 * offered as URL-encoded and multipart forms too (where numbers, booleans and arrays
 * cannot validate), and several 2xx responses had no example.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createTestServer, type TestServer } from '../helpers/app'

interface Media {
  schema?: Record<string, unknown>
  example?: unknown
  examples?: unknown
}
interface Operation {
  requestBody?: { required?: boolean; content: Record<string, Media> }
  responses: Record<string, { description?: string; content?: Record<string, Media> }>
}
interface Document {
  paths: Record<string, Record<string, Operation>>
}

let server: TestServer
let doc: Document

beforeAll(async () => {
  server = await createTestServer()
  doc = (await server.call<Document>('GET', '/swagger/json', { key: null })).body
})
afterAll(async () => {
  await server.close()
})

const op = (path: string, method: string): Operation => doc.paths[`/api/whatsapp${path}`]![method]!

/** An example at the top, or on a property (Swagger UI composes the example from those). */
function schemaHasExample(schema: unknown, depth = 0): boolean {
  if (!schema || typeof schema !== 'object' || depth > 6) return false
  const node = schema as Record<string, unknown>
  if (node.example !== undefined || node.examples !== undefined) return true
  const children = [
    ...Object.values((node.properties as Record<string, unknown> | undefined) ?? {}),
    node.items,
    ...((node.anyOf as unknown[] | undefined) ?? []),
  ]
  return children.some((child) => schemaHasExample(child, depth + 1))
}

function hasExample(media: Media): boolean {
  return media.example !== undefined || media.examples !== undefined || schemaHasExample(media.schema)
}

describe('responses that are not JSON', () => {
  test('media download: the bytes, not JSON', () => {
    const content = op('/{phoneNumber}/messages/{chatId}/{messageId}/media', 'get').responses['200']!.content!
    expect(Object.keys(content)).not.toContain('application/json')
    expect(content['application/octet-stream']?.schema).toMatchObject({ type: 'string', format: 'binary' })
    // The errors stay JSON envelopes.
    expect(Object.keys(op('/{phoneNumber}/messages/{chatId}/{messageId}/media', 'get').responses['404']!.content!)).toEqual(['application/json'])
  })

  test('event stream: text/event-stream', () => {
    expect(Object.keys(op('/{phoneNumber}/events', 'get').responses['200']!.content!)).toEqual(['text/event-stream'])
  })

  test('QR: JSON, or the PNG itself with Accept: image/png', () => {
    const content = op('/{phoneNumber}/qr', 'get').responses['200']!.content!
    expect(content['application/json']?.schema).toMatchObject({ required: ['qrCode', 'value'] })
    expect(content['image/png']?.schema).toMatchObject({ type: 'string', format: 'binary' })
  })
})

describe('request bodies', () => {
  test('every route with a body schema documents exactly that schema as JSON, with an example', () => {
    const routes = server.app.routes.filter((route) => route.hooks.body && route.path.startsWith('/api/whatsapp/'))
    expect(routes.length).toBeGreaterThan(30)
    for (const route of routes) {
      const id = `${route.method} ${route.path}`
      const operation = doc.paths[route.path.replace(/:(\w+)/g, '{$1}')]![route.method.toLowerCase()]!
      expect(Object.keys(operation.requestBody?.content ?? {}), id).toEqual(['application/json'])
      const media = operation.requestBody!.content['application/json']!
      // An object schema, or a union of them (the WAHA envelopes, keyed by `event`).
      const members = (media.schema?.anyOf as Array<Record<string, unknown>> | undefined) ?? [media.schema ?? {}]
      for (const member of members) {
        expect(member.type, id).toBe('object')
        expect(member.properties, id).toBeDefined()
      }
      expect(hasExample(media), `${id} has an example`).toBe(true)
    }
  })
})

describe('examples', () => {
  test('every 2xx response has an example', () => {
    const missing: string[] = []
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        for (const [status, response] of Object.entries(operation.responses)) {
          if (!status.startsWith('2')) continue
          for (const [type, media] of Object.entries(response.content ?? {})) {
            if (type === 'image/png' || type === 'application/octet-stream') continue
            if (!hasExample(media)) missing.push(`${method.toUpperCase()} ${path} ${status} ${type}`)
          }
        }
      }
    }
    expect(missing).toEqual([])
  })
})
