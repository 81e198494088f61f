/** Link invites: created by the number's owner, opened with no credential, dead once linked, revoked or expired. */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { createTestServer, waitFor, type TestServer } from '../helpers/app'
import { SseReader } from '../helpers/sse'

const PHONE = '966500000301'
let server: TestServer
let clock: number
const readers: SseReader[] = []

beforeEach(async () => {
  clock = Date.now()
  server = await createTestServer({}, { now: () => clock })
})

afterEach(async () => {
  for (const reader of readers.splice(0)) await reader.close()
  await server.close()
})

async function keyFor(accountId: string, phoneNumber?: string): Promise<string> {
  return (await server.call<{ key: string }>('POST', '/api-keys', { body: { name: accountId, accountId, ...(phoneNumber && { phoneNumber }) } })).body.key
}

/** The path of an invite URL below the API base, e.g. `/link/wli_…`. */
function linkPath(url: string): string {
  return new URL(url).pathname.replace('/api/whatsapp', '')
}

async function invite(key?: string, expiresInSeconds = 600) {
  const created = await server.call<{ id: string; url: string; expiresAt: string }>('POST', `/${PHONE}/link-invites`, { body: { expiresInSeconds }, ...(key && { key }) })
  expect(created.status).toBe(201)
  return created.body
}

describe('creating invites', () => {
  test("the number's account (or the admin) gets {id, url, expiresAt}; the token is random and kept only as a hash", async () => {
    const acme = await keyFor('acme')
    await server.call('POST', `/${PHONE}/start`, { key: acme })
    const first = await invite(acme)
    const second = await invite()
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/whatsapp\/link\/wli_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/)
    expect(first.url).not.toBe(second.url)
    expect(Date.parse(first.expiresAt)).toBe(clock + 600_000)
    const rows: Array<Record<string, unknown>> = await server.deps.storage.db`SELECT * FROM link_invites`
    const secret = /wli_[0-9a-f]{16}_([A-Za-z0-9_-]{43})$/.exec(first.url)![1]!
    expect(JSON.stringify(rows)).not.toContain(secret)
    expect(rows[0]!.secret_sha256).toMatch(/^[0-9a-f]{64}$/)
    const listed = await server.call<{ invites: Array<{ id: string; status: string }> }>('GET', `/${PHONE}/link-invites`, { key: acme })
    expect(listed.body.invites.map((entry) => entry.status)).toEqual(['active', 'active'])
    expect(JSON.stringify(listed.body)).not.toContain('wli_')
  })

  test('400 for bad bounds or numbers, 401 without a credential, 403 for another account, 404 for no session, 409 when linked', async () => {
    const acme = await keyFor('acme')
    const other = await keyFor('other')
    const elsewhere = await keyFor('acme', '966500000399')
    expect((await server.call('POST', `/${PHONE}/link-invites`, { body: { expiresInSeconds: 600 } })).status).toBe(404)
    await server.call('POST', `/${PHONE}/start`, { key: acme })
    for (const body of [{}, { expiresInSeconds: 59 }, { expiresInSeconds: 604_801 }, { expiresInSeconds: 1.5 }]) {
      const answer = await server.call('POST', `/${PHONE}/link-invites`, { body, key: acme })
      expect(answer.status, JSON.stringify(body)).toBe(400)
      expect(answer.body).toMatchObject({ code: 'BAD_REQUEST' })
    }
    expect((await server.call('POST', '/12/link-invites', { body: { expiresInSeconds: 600 } })).status).toBe(400)
    expect((await server.call('POST', `/${PHONE}/link-invites`, { body: { expiresInSeconds: 600 }, key: null })).status).toBe(401)
    expect((await server.call('POST', `/${PHONE}/link-invites`, { body: { expiresInSeconds: 600 }, key: other })).status).toBe(403)
    expect((await server.call('POST', `/${PHONE}/link-invites`, { body: { expiresInSeconds: 600 }, key: elsewhere })).status).toBe(403)
    expect((await server.call('GET', `/${PHONE}/link-invites`, { key: other })).status).toBe(403)
    await waitFor(async () => (await server.call('GET', `/${PHONE}/state`)).body.status === 'SCAN_QR_CODE')
    expect((await server.call('POST', `/${PHONE}/sandbox/scan`, { key: acme })).status).toBe(200)
    const linked = await server.call('POST', `/${PHONE}/link-invites`, { body: { expiresInSeconds: 600 }, key: acme })
    expect(linked.status).toBe(409)
    expect(linked.body).toMatchObject({ code: 'CONFLICT' })
  })
})

describe('the public link', () => {
  test('shows the number, its status, its live QR and a pairing code with no credential, and stops once linked', async () => {
    await server.call('POST', `/${PHONE}/start`)
    const { url } = await invite()
    const path = linkPath(url)
    const page = await server.request('GET', path, { key: null })
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
    expect(page.headers.get('referrer-policy')).toBe('no-referrer')
    await waitFor(async () => (await server.call('GET', `${path}/state`, { key: null })).body.status === 'SCAN_QR_CODE')
    const state = await server.call('GET', `${path}/state`, { key: null })
    expect(state.body).toMatchObject({ phoneNumber: PHONE, state: 'AUTHENTICATING', status: 'SCAN_QR_CODE', pairingCode: true })
    const code = await server.call<{ code: string }>('POST', `${path}/pairing-code`, { key: null })
    expect(code.status).toBe(200)
    expect(code.body.code).toMatch(/^[A-Z0-9]{4}-?[A-Z0-9]{4}$/)

    const response = await server.request('GET', `${path}/events`, { key: null })
    expect(response.status).toBe(200)
    const reader = new SseReader(response)
    readers.push(reader)
    await waitFor(() => reader.frames.some((frame) => frame.event === 'qr'))
    expect(JSON.parse(reader.frames.find((frame) => frame.event === 'qr')!.data!).qrCode).toStartWith('data:image/png;base64,')
    await server.call('POST', `/${PHONE}/sandbox/scan`)
    await waitFor(() => reader.ended)
    expect(JSON.parse(reader.frames.filter((frame) => frame.event === 'status').at(-1)!.data!).status).toBe('WORKING')

    // Linked: the link is spent, whichever route is tried.
    await waitFor(async () => (await server.call('GET', `${path}/state`, { key: null })).status === 404)
    const spent = await server.call('GET', `${path}/state`, { key: null })
    expect(spent.body).toMatchObject({ code: 'NOT_FOUND' })
    expect(String(spent.body.error)).toContain('used')
    expect((await server.call('GET', `${path}/events`, { key: null })).status).toBe(404)
    const listed = await server.call<{ invites: Array<{ status: string; usedAt: string | null }> }>('GET', `/${PHONE}/link-invites`)
    expect(listed.body.invites[0]).toMatchObject({ status: 'used' })
  })

  test('opening the link starts a stopped session on its account', async () => {
    const acme = await keyFor('acme')
    await server.call('POST', `/${PHONE}/start`, { key: acme })
    const { url } = await invite(acme)
    await server.call('POST', `/${PHONE}/stop`, { key: acme })
    const response = await server.request('GET', `${linkPath(url)}/events`, { key: null })
    const reader = new SseReader(response)
    readers.push(reader)
    await waitFor(() => reader.frames.some((frame) => frame.event === 'qr'))
    const sessions = await server.call<{ sessions: Array<{ phoneNumber: string; accountId: string | null }> }>('GET', '/sessions', { key: acme })
    expect(sessions.body.sessions).toEqual([expect.objectContaining({ phoneNumber: PHONE, accountId: 'acme' })])
  })

  test('an expired link is 404 and says so', async () => {
    await server.call('POST', `/${PHONE}/start`)
    const { url } = await invite(undefined, 60)
    const path = linkPath(url)
    expect((await server.call('GET', `${path}/state`, { key: null })).status).toBe(200)
    clock += 60_000
    const expired = await server.call('GET', `${path}/state`, { key: null })
    expect(expired.status).toBe(404)
    expect(String(expired.body.error)).toContain('expired')
    expect((await server.call('GET', `${path}/events`, { key: null })).status).toBe(404)
    expect((await server.call('POST', `${path}/pairing-code`, { key: null })).status).toBe(404)
    expect((await server.call<{ invites: Array<{ status: string }> }>('GET', `/${PHONE}/link-invites`)).body.invites[0]!.status).toBe('expired')
  })

  test('a revoked link is 404; revoking twice or another number\'s invite is 404', async () => {
    await server.call('POST', `/${PHONE}/start`)
    await server.call('POST', '/966500000302/start')
    const { id, url } = await invite()
    expect((await server.call('DELETE', `/966500000302/link-invites/${id}`)).status).toBe(404)
    expect((await server.call('DELETE', `/${PHONE}/link-invites/${id}`, { key: null })).status).toBe(401)
    const revoked = await server.call('DELETE', `/${PHONE}/link-invites/${id}`)
    expect(revoked.status).toBe(200)
    expect(revoked.body).toEqual({ success: true, id })
    expect((await server.call('DELETE', `/${PHONE}/link-invites/${id}`)).status).toBe(404)
    const state = await server.call('GET', `${linkPath(url)}/state`, { key: null })
    expect(state.status).toBe(404)
    expect(String(state.body.error)).toContain('revoked')
  })

  test('wrong, truncated or tampered tokens are 404, as is a link to a deleted number', async () => {
    await server.call('POST', `/${PHONE}/start`)
    const { url } = await invite()
    const path = linkPath(url)
    const token = path.split('/').pop()!
    const tampered = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`
    for (const bad of [tampered, token.slice(0, -5), 'wli_0000000000000000_' + 'A'.repeat(43), 'nonsense', token.replace('wli_', 'wws_')]) {
      const answer = await server.call('GET', `/link/${bad}/state`, { key: null })
      expect(answer.status, bad).toBe(404)
      expect(answer.body).toMatchObject({ code: 'NOT_FOUND', statusCode: 404 })
    }
    expect((await server.call('GET', `${path}/state`, { key: null })).status).toBe(200)
    expect((await server.call('DELETE', `/${PHONE}`)).status).toBe(200)
    expect((await server.call('GET', `${path}/state`, { key: null })).status).toBe(404)
    const rows: unknown[] = await server.deps.storage.db`SELECT id FROM link_invites`
    expect(rows).toEqual([])
  })
})
