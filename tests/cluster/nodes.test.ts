/**
 * Two real server processes on 127.0.0.1 sharing a throwaway Postgres (API.md §10): every
 * route of a number is answered through either node by the node that runs it (named in
 * X-Session-Node), SSE and media downloads stream through a hop, and simulator numbers
 * run by different nodes message each other, acks included.
 *
 * Who runs a session is the lease row's word (the cluster places each start on the
 * least-loaded node); the test reads it from the database.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { SQL } from 'bun'
import { ADMIN_KEY, tempDir, testEnv, waitFor } from '../helpers/app'
import { startPostgres, type PostgresCluster } from '../helpers/postgres'
import { startServerProcess, type ServerProcess } from '../helpers/process'
import { SseReader } from '../helpers/sse'
import { PNG_BASE64 } from '../helpers/whatsapp'
import openapi from '../../openapi/openapi.json'

const SECRET = 'nodes-test-cluster-secret-0123456789abcdef'
const N1 = '15551110001'
const N2 = '15551110002'

interface Node {
  id: string
  server: ServerProcess
  api: string
}

let postgres: PostgresCluster
let db: SQL
const nodes: Node[] = []
const owners = new Map<string, string>()

function freePort(): number {
  const probe = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('') })
  const port = probe.port!
  probe.stop(true)
  return port
}

async function startNode(id: string, databaseUrl: string): Promise<Node> {
  const port = freePort()
  const env = testEnv(tempDir(), {
    DATABASE_URL: databaseUrl,
    CLUSTER_SECRET: SECRET,
    NODE_ID: id,
    NODE_URL: `http://127.0.0.1:${port}`,
    PORT: String(port),
    LOG_LEVEL: 'info',
    OUTBOUND_ALLOW_CIDRS: '127.0.0.1/32',
  })
  const server = await startServerProcess(env, 40_000)
  return { id, server, api: server.baseUrl }
}

async function call(node: Node, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(`${node.api}${path}`, {
    method,
    headers: { 'x-api-key': ADMIN_KEY, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
  const text = await response.text()
  let parsed: unknown = text
  try {
    parsed = JSON.parse(text)
  } catch {
    // not JSON
  }
  return { status: response.status, body: parsed as Record<string, unknown>, headers: response.headers }
}

async function liveOwner(phoneNumber: string): Promise<string | undefined> {
  const rows: Array<{ node_id: string }> = await db`SELECT node_id FROM session_leases WHERE phone_number = ${phoneNumber} AND expires_at > now()`
  return rows[0]?.node_id
}

/** Starts and links a number through `via`; returns the node that runs it. */
async function link(via: Node, phoneNumber: string): Promise<string> {
  expect((await call(via, 'POST', `/${phoneNumber}/start`)).status).toBe(200)
  await waitFor(async () => (await call(via, 'GET', `/${phoneNumber}/state`)).body.status === 'SCAN_QR_CODE', 20_000, 50)
  const scanned = await call(via, 'POST', `/${phoneNumber}/sandbox/scan`)
  expect(scanned.body.status).toBe('WORKING')
  let owner: string | undefined
  await waitFor(async () => (owner = await liveOwner(phoneNumber)) !== undefined, 20_000, 50)
  owners.set(phoneNumber, owner!)
  return owner!
}

beforeAll(async () => {
  postgres = await startPostgres()
  const url = await postgres.createDatabase()
  db = new SQL(url)
  // One after the other: the first migrates the database.
  nodes.push(await startNode('node-a', url))
  nodes.push(await startNode('node-b', url))
  await link(nodes[0]!, N1)
  await link(nodes[1]!, N2)
}, 120_000)

afterAll(async () => {
  await Promise.all(nodes.map((node) => node.server.stop()))
  await db?.close()
  await postgres?.stop()
})

describe('two nodes, one database', () => {
  test('the numbers run on different nodes', () => {
    expect(new Set([owners.get(N1), owners.get(N2)]).size).toBe(2)
  })

  test('a number on one node messages a number on the other, through either node; the reply and the acks come back', async () => {
    const [a, b] = nodes as [Node, Node]
    // Sent through the node that does not run N1.
    const notOwner = owners.get(N1) === a.id ? b : a
    const sent = await call(notOwner, 'POST', `/${N1}/send-text`, { chatId: N2, text: 'hello across nodes' })
    expect(sent.status).toBe(200)
    expect(sent.headers.get('x-session-node')).toBe(owners.get(N1)!)
    const messageId = sent.body.messageId as string

    // N2's history (on its node) shows it, read through each node.
    for (const node of nodes) {
      await waitFor(async () => {
        const history = await call(node, 'GET', `/${N2}/messages/${N1}@c.us?limit=5`)
        return history.status === 200 && JSON.stringify(history.body).includes('hello across nodes')
      }, 15_000, 50)
    }
    // The receipt travelled back: N1's copy is acknowledged by the device (ack ≥ 2).
    await waitFor(async () => {
      const own = await call(a, 'GET', `/${N1}/messages/${N2}@c.us/${encodeURIComponent(messageId)}`)
      return own.status === 200 && Number(own.body.ack) >= 2
    }, 15_000, 50)

    const reply = await call(a, 'POST', `/${N2}/send-text`, { chatId: N1, text: 'hello back' })
    expect(reply.status).toBe(200)
    expect(reply.headers.get('x-session-node')).toBe(owners.get(N2)!)
    await waitFor(async () => JSON.stringify((await call(b, 'GET', `/${N1}/messages/${N2}@c.us?limit=5`)).body).includes('hello back'), 15_000, 50)
  })

  test('a media download streams through the node that does not hold it', async () => {
    const image = await call(nodes[0]!, 'POST', `/${N1}/send-image`, { chatId: N2, imageUrl: PNG_BASE64, mimeType: 'image/png' })
    expect(image.status).toBe(200)
    const ownId = image.body.messageId as string
    const key = ownId.split('_')[2]!
    let receivedId = ''
    await waitFor(async () => {
      const history = await call(nodes[0]!, 'GET', `/${N2}/messages/${N1}@c.us?limit=10`)
      const list = (Array.isArray(history.body) ? history.body : ((history.body as { messages?: unknown[] }).messages ?? [])) as Array<{ id: string }>
      receivedId = list.find((message) => message.id.includes(key))?.id ?? ''
      return receivedId !== ''
    }, 15_000, 50)
    for (const node of nodes) {
      const response = await fetch(`${node.api}/${N2}/messages/${N1}@c.us/${encodeURIComponent(receivedId)}/media`, { headers: { 'x-api-key': ADMIN_KEY } })
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toContain('image/png')
      expect(response.headers.get('x-session-node')).toBe(owners.get(N2)!)
      expect(Buffer.from(await response.arrayBuffer()).equals(Buffer.from(PNG_BASE64, 'base64'))).toBe(true)
    }
  })

  test('SSE of a number, opened on either node, streams its events live', async () => {
    for (const node of nodes) {
      const response = await fetch(`${node.api}/${N1}/events`, { headers: { 'x-api-key': ADMIN_KEY, accept: 'text/event-stream' } })
      expect(response.status).toBe(200)
      const reader = new SseReader(response)
      try {
        const marker = `sse via ${node.id}`
        await call(node, 'POST', `/${N1}/sandbox/incoming`, { from: '966511111111', text: marker })
        await waitFor(() => reader.events.some((event) => JSON.stringify(event.data).includes(marker)), 15_000, 50)
      } finally {
        await reader.close()
      }
    }
  })

  test("a link invite's public page works through either node: the owner's QR streams through a hop", async () => {
    const N3 = '15551110003'
    const [a] = nodes as [Node, Node]
    expect((await call(a, 'POST', `/${N3}/start`)).status).toBe(200)
    let owner: string | undefined
    await waitFor(async () => (owner = await liveOwner(N3)) !== undefined && (await call(a, 'GET', `/${N3}/state`)).body.status === 'SCAN_QR_CODE', 20_000, 50)
    const invite = await call(a, 'POST', `/${N3}/link-invites`, { expiresInSeconds: 600 })
    expect(invite.status).toBe(201)
    const path = new URL(invite.body.url as string).pathname.replace('/api/whatsapp', '')
    for (const node of nodes) {
      const state = await fetch(`${node.api}${path}/state`)
      expect(state.status).toBe(200)
      expect(state.headers.get('x-session-node')).toBe(owner!)
      const events = await fetch(`${node.api}${path}/events`)
      expect(events.status).toBe(200)
      expect(events.headers.get('x-session-node')).toBe(owner!)
      const reader = new SseReader(events)
      try {
        await waitFor(() => reader.frames.some((frame) => frame.event === 'qr'), 15_000, 50)
      } finally {
        await reader.close()
      }
    }
    // A wrong token is the owner's business only once it opens an invite: here it opens none.
    expect((await fetch(`${nodes[1]!.api}/link/wli_0000000000000000_${'x'.repeat(43)}/state`)).status).toBe(404)
  })

  test('every GET route of a number answers the same through both nodes, from the node that runs it', async () => {
    const paths = Object.entries(openapi.paths as Record<string, Record<string, unknown>>)
      .filter(([path, methods]) => path.startsWith('/api/whatsapp/{phoneNumber}') && 'get' in methods && !path.endsWith('/events'))
      .map(([path]) => path)
    expect(paths.length).toBeGreaterThan(15)
    for (const number of [N1, N2]) {
      const peer = number === N1 ? N2 : N1
      for (const template of paths) {
        const path = template
          .replace('/api/whatsapp', '')
          .replace('{phoneNumber}', number)
          .replace('{chatId}', `${peer}@c.us`)
          .replace('{contactId}', `${peer}@c.us`)
          .replace('{messageId}', 'false_unknown')
          .replace('{groupId}', '120363000000000000@g.us')
          .replace('{id}', 'unknown')
        const answers = await Promise.all(nodes.map((node) => call(node, 'GET', path)))
        for (const answer of answers) {
          expect({ path, node: answer.headers.get('x-session-node') }).toEqual({ path, node: owners.get(number)! })
          expect(answer.status).not.toBe(500)
        }
        expect({ path, statuses: answers.map((answer) => answer.status) }).toEqual({ path, statuses: answers.map(() => answers[0]!.status) })
      }
    }
  })
})
