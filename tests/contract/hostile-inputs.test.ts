/**
 * §3 over the whole route table (taken from the OpenAPI document, not hand-picked):
 * hostile path params, bodies of every wrong shape and type, and odd query strings never
 * get a 5xx other than 501/502, and every non-2xx is the error envelope with no stack.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { createTestServer, type TestServer } from '../helpers/app'

const A = '966500000001'
const B = '966500000002'
let server: TestServer
let doc: { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { examples?: unknown[]; properties?: Record<string, unknown>; anyOf?: unknown[] } }> } }>> }
const good: Record<string, string> = { phoneNumber: A, chatId: `${B}@c.us`, contactId: `${B}@c.us`, id: 'wh_x' }

beforeAll(async () => {
  server = await createTestServer({ RATE_LIMIT_PER_MINUTE: '0', RATE_LIMIT_SENDS_PER_MINUTE: '0', OUTBOUND_ALLOW_CIDRS: '127.0.0.1/32' })
  await server.link(A)
  await server.link(B)
  const sent = await server.call<{ messageId: string }>('POST', `/${A}/send-text`, { body: { chatId: B, text: 'hello' } })
  good.messageId = sent.body.messageId
  const group = await server.call<{ groupId: string }>('POST', `/${A}/group/create`, { body: { name: 'Probe', participants: [B] } })
  good.groupId = group.body.groupId
  doc = (await server.call<typeof doc>('GET', '/swagger/json', { key: null })).body
})
afterAll(async () => {
  await server.close()
})

// Routes that end or unlink the session under test run with hostile params only.
const DESTRUCTIVE = /\/(stop|restart|logout|leave|sandbox\/crash)$|^\/api\/whatsapp\/\{phoneNumber\}$/
const HOSTILE_PARAMS = ['..%2F..%2Fetc%2Fpasswd', '%00', 'x'.repeat(3000), encodeURIComponent('😀ü'), '-1', '1e400', '%20', 'null', `${B}%40c.us%2F..`]
const BODIES: Array<[string, string, string | undefined]> = [
  ['malformed', '{"a":', 'application/json'],
  ['array', '[1,2]', 'application/json'],
  ['null', 'null', 'application/json'],
  ['string', '"x"', 'application/json'],
  ['number', '12', 'application/json'],
  ['text', 'hello', 'text/plain'],
  ['form', 'chatId=1&text=2&latitude=x', 'application/x-www-form-urlencoded'],
  ['no content type', '{"chatId":1}', undefined],
  ['octets', '\u0000\u0001', 'application/octet-stream'],
]
const VALUES: unknown[] = [null, 123, -1, 1e308, '', 'x'.repeat(70_000), [], {}, '../../etc/passwd', '\u0000', true, [{}], 'http://127.0.0.1:1/x', 'data:;base64,', '=====']
const QUERIES = ['?limit=-1', '?limit=abc', '?limit=99999999999999999999', '?page=0', '?limit=5&limit=6', '?before=..%2F..', '?archived=maybe', '?page=1.5', '?events=bogus']

const problems: string[] = []

async function probe(method: string, path: string, options: { rawBody?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const response = await server.request(method, path, options)
  const text = await response.text()
  let json: { error?: unknown; code?: unknown; statusCode?: unknown } | undefined
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  const label = `${method} ${path.slice(0, 120)} ${options.rawBody?.slice(0, 30) ?? JSON.stringify(options.body)?.slice(0, 60) ?? ''}`
  if (response.status >= 500 && response.status !== 501 && response.status !== 502) problems.push(`${response.status} ${label}: ${text.slice(0, 200)}`)
  else if (response.status >= 400 && !(json && typeof json.error === 'string' && typeof json.code === 'string' && json.statusCode === response.status)) {
    problems.push(`not an envelope: ${response.status} ${label}: ${text.slice(0, 200)}`)
  }
  if (/\n\s+at .+:\d+/.test(text)) problems.push(`stack trace: ${label}`)
}

test('no 5xx (but 501/502) and only envelopes, across the route table', async () => {
  const operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ path, method: method.toUpperCase(), operation })))
  expect(operations.length).toBeGreaterThan(50)
  for (const { path, method, operation } of operations) {
    if (path.includes('/events')) continue // a stream; its errors are covered by the events tests
    const concrete = (overrides: Record<string, string> = {}) => path.replace('/api/whatsapp', '').replace(/\{(\w+)\}/g, (_, name: string) => overrides[name] ?? good[name] ?? 'x')
    const names = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!)
    for (const name of names) {
      for (const value of HOSTILE_PARAMS) await probe(method, concrete({ [name]: value }), method === 'GET' || method === 'DELETE' ? {} : { rawBody: '{}' })
    }
    if (DESTRUCTIVE.test(path)) continue
    if (method === 'GET') {
      for (const query of QUERIES) await probe(method, `${concrete()}${query}`)
      continue
    }
    if (method === 'DELETE') continue
    for (const [, rawBody, type] of BODIES) await probe(method, concrete(), { rawBody, headers: type ? { 'content-type': type } : {} })
    const schema = operation.requestBody?.content['application/json']?.schema
    // The documented examples name example.com: point their URLs at a closed loopback port (tests never leave 127.0.0.1).
    const example = Object.fromEntries(
      Object.entries((schema?.examples?.[0] as Record<string, unknown> | undefined) ?? {}).map(([key, value]) => [key, typeof value === 'string' && /^https?:\/\//.test(value) ? 'http://127.0.0.1:9/x' : value]),
    )
    for (const property of Object.keys(schema?.properties ?? {})) {
      for (const value of VALUES) await probe(method, concrete(), { body: { ...example, [property]: value } })
    }
  }
  expect(problems).toEqual([])
}, 120_000)
