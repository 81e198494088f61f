import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { SignJWT } from 'jose'
import { hashSecret, parseApiKey } from '../../src/auth/api-keys'
import { createTestServer, type RequestOptions, type TestServer } from '../helpers/app'

const JWT_SECRET = 'a-shared-secret-of-at-least-32-bytes!!'
const START = Date.parse('2030-01-01T00:00:00.000Z')
const PHONE_X = '966500000201'
const PHONE_Y = '966500000202'

interface Created {
  id: string
  key: string
  name: string
  accountId: string
  phoneNumber: string | null
  expiresAt: string | null
  createdAt: string
}
interface Listed extends Omit<Created, 'key'> {
  lastUsedAt: string | null
  expired: boolean
}

let server: TestServer
let clock: number

beforeEach(async () => {
  clock = START
  server = await createTestServer({ JWT_SECRET, RATE_LIMIT_PER_MINUTE: '0', AUTH_FAILURES_PER_MINUTE: '0' }, { now: () => clock })
})
afterEach(async () => {
  await server.close()
})

const asKey = (key: string): RequestOptions => ({ key })
const asBearer = (token: string): RequestOptions => ({ key: null, headers: { authorization: `Bearer ${token}` } })

async function jwtFor(account: string): Promise<string> {
  return new SignJWT({ org_id: account })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(`user_of_${account}`)
    .setExpirationTime(Math.floor(Date.now() / 1000) + 300)
    .sign(new TextEncoder().encode(JWT_SECRET))
}

async function create(body: Record<string, unknown>, options: RequestOptions = {}) {
  return server.call<Created>('POST', '/api-keys', { ...options, body })
}

async function createOk(body: Record<string, unknown>, options: RequestOptions = {}): Promise<Created> {
  const response = await create(body, options)
  if (response.status !== 201) throw new Error(`create key: ${response.status} ${JSON.stringify(response.body)}`)
  return response.body
}

async function list(options: RequestOptions = {}, query = ''): Promise<Listed[]> {
  const response = await server.call<{ keys: Listed[] }>('GET', `/api-keys${query}`, options)
  expect(response.status).toBe(200)
  return response.body.keys
}

describe('POST /api-keys', () => {
  test('the admin creates a key for an account; it is shown once and works as X-Api-Key and as Bearer', async () => {
    const response = await create({ name: 'billing backend', accountId: 'org_a' })
    expect(response.status).toBe(201)
    const created = response.body
    expect(created).toMatchObject({ name: 'billing backend', accountId: 'org_a', phoneNumber: null, expiresAt: null, createdAt: new Date(START).toISOString() })
    const parsed = parseApiKey(created.key)
    expect(parsed?.id).toBe(created.id)
    expect(Buffer.from(parsed!.secret, 'base64url').length).toBeGreaterThanOrEqual(32)

    for (const options of [asKey(created.key), asBearer(created.key)]) {
      const sessions = await server.call('GET', '/sessions', options)
      expect(sessions.status).toBe(200)
    }
    // The account key acts for org_a: a number it starts is org_a's.
    const started = await server.call('POST', `/${PHONE_X}/start`, asKey(created.key))
    expect((started.body.session as { accountId: string }).accountId).toBe('org_a')
  })

  test('the admin must name the account', async () => {
    const response = await create({ name: 'nobody' })
    expect(response.status).toBe(400)
    expect(response.body).toMatchObject({ code: 'BAD_REQUEST', error: expect.stringContaining('accountId') })
  })

  test('invalid input is a 400 envelope', async () => {
    const cases: Record<string, unknown>[] = [
      {},
      { name: '' },
      { name: '   ', accountId: 'org_a' },
      { name: 'x'.repeat(101), accountId: 'org_a' },
      { name: 'k', accountId: 'org_a', phoneNumber: '12ab' },
      { name: 'k', accountId: 'org_a', expiresAt: 'tomorrow' },
      { name: 'k', accountId: 'org_a', expiresAt: '2029-12-31T23:59:59Z' },
      { name: 'k', accountId: '' },
    ]
    for (const body of cases) {
      const response = await create(body)
      expect({ body, status: response.status }).toEqual({ body, status: 400 })
      expect(response.body).toMatchObject({ code: 'BAD_REQUEST', statusCode: 400 })
    }
    const malformed = await server.call('POST', '/api-keys', { rawBody: '{"name":' })
    expect(malformed.status).toBe(400)
  })

  test('a JWT account creates keys for itself, not for another account', async () => {
    const token = await jwtFor('org_front')
    const created = await createOk({ name: 'backend', expiresAt: '2030-02-01T00:00:00Z' }, asBearer(token))
    expect(created).toMatchObject({ accountId: 'org_front', expiresAt: '2030-02-01T00:00:00.000Z' })
    expect((await create({ name: 'x', accountId: 'org_front' }, asBearer(token))).status).toBe(201)
    const other = await create({ name: 'x', accountId: 'org_other' }, asBearer(token))
    expect(other.status).toBe(403)
    expect(other.body).toMatchObject({ code: 'FORBIDDEN' })

    // The frontend's number and its backend key's view of it are the same account's.
    await server.call('POST', `/${PHONE_X}/start`, asBearer(token))
    const seen = await server.call<{ sessions: { phoneNumber: string }[] }>('GET', '/sessions', asKey(created.key))
    expect(seen.body.sessions.map((s) => s.phoneNumber)).toEqual([PHONE_X])
  })

  test('a key restricted to a number mints only keys restricted to that number', async () => {
    const restricted = await createOk({ name: 'x only', accountId: 'org_a', phoneNumber: `+${PHONE_X}` })
    expect(restricted.phoneNumber).toBe(PHONE_X)

    const defaulted = await createOk({ name: 'child' }, asKey(restricted.key))
    expect(defaulted).toMatchObject({ accountId: 'org_a', phoneNumber: PHONE_X })
    expect((await create({ name: 'same', phoneNumber: PHONE_X }, asKey(restricted.key))).status).toBe(201)
    const wider = await create({ name: 'y', phoneNumber: PHONE_Y }, asKey(restricted.key))
    expect(wider.status).toBe(403)
    expect(wider.body).toMatchObject({ code: 'FORBIDDEN', error: expect.stringContaining(PHONE_X) })
  })

  test('an expiring key mints only keys that expire no later', async () => {
    const expiring = await createOk({ name: 'temp', accountId: 'org_a', expiresAt: '2030-01-02T00:00:00Z' })
    const inherited = await createOk({ name: 'child' }, asKey(expiring.key))
    expect(inherited.expiresAt).toBe('2030-01-02T00:00:00.000Z')
    const sooner = await createOk({ name: 'sooner', expiresAt: '2030-01-01T12:00:00Z' }, asKey(expiring.key))
    expect(sooner.expiresAt).toBe('2030-01-01T12:00:00.000Z')
    const later = await create({ name: 'later', expiresAt: '2030-01-03T00:00:00Z' }, asKey(expiring.key))
    expect(later.status).toBe(403)
  })

  test('an unrestricted account key mints keys for its account, restricted or not', async () => {
    const parent = await createOk({ name: 'parent', accountId: 'org_a' })
    const child = await createOk({ name: 'child', phoneNumber: PHONE_Y }, asKey(parent.key))
    expect(child).toMatchObject({ accountId: 'org_a', phoneNumber: PHONE_Y, expiresAt: null })
    expect((await create({ name: 'elsewhere', accountId: 'org_b' }, asKey(parent.key))).status).toBe(403)
  })

  test('a key cannot be restricted to a number another account owns', async () => {
    await server.call('POST', `/${PHONE_Y}/start`, { body: { accountId: 'org_b' } })
    const forA = await create({ name: 'grab', accountId: 'org_a', phoneNumber: PHONE_Y })
    expect(forA.status).toBe(403)
    const keyA = await createOk({ name: 'a', accountId: 'org_a' })
    expect((await create({ name: 'grab', phoneNumber: PHONE_Y }, asKey(keyA.key))).status).toBe(403)
    expect((await create({ name: 'own', accountId: 'org_b', phoneNumber: PHONE_Y })).status).toBe(201)
  })
})

describe('GET /api-keys', () => {
  test('lists the caller\'s keys, never a secret; the admin sees all or one account\'s', async () => {
    const a1 = await createOk({ name: 'a1', accountId: 'org_a' })
    clock += 1000
    const a2 = await createOk({ name: 'a2', accountId: 'org_a', phoneNumber: PHONE_X })
    const b1 = await createOk({ name: 'b1', accountId: 'org_b' })

    const all = await list()
    expect(all.map((k) => k.id).sort()).toEqual([a1.id, a2.id, b1.id].sort())
    expect((await list({}, '?accountId=org_b')).map((k) => k.id)).toEqual([b1.id])

    const ofA = await list(asKey(a1.key))
    expect(ofA.map((k) => k.name)).toEqual(['a2', 'a1'])
    expect(ofA[0]).toMatchObject({ id: a2.id, accountId: 'org_a', phoneNumber: PHONE_X, expiresAt: null, expired: false })
    expect((await list(asKey(a1.key), '?accountId=org_a')).length).toBe(2)
    expect((await server.call('GET', '/api-keys?accountId=org_b', asKey(a1.key))).status).toBe(403)

    // A key restricted to a number sees only keys restricted to that number.
    expect((await list(asKey(a2.key))).map((k) => k.id)).toEqual([a2.id])

    const text = JSON.stringify(await server.call('GET', '/api-keys'))
    for (const key of [a1, a2, b1]) {
      expect(text).not.toContain(key.key)
      expect(text).not.toContain(parseApiKey(key.key)!.secret)
    }
  })

  test('lastUsedAt is recorded at most once a minute per key', async () => {
    const created = await createOk({ name: 'k', accountId: 'org_a' })
    const lastUsed = async () => (await list()).find((k) => k.id === created.id)!.lastUsedAt
    expect(await lastUsed()).toBeNull()

    await server.call('GET', '/sessions', asKey(created.key))
    expect(await lastUsed()).toBe(new Date(START).toISOString())
    clock += 30_000
    await server.call('GET', '/sessions', asKey(created.key))
    expect(await lastUsed()).toBe(new Date(START).toISOString())
    clock += 31_000
    await server.call('GET', '/sessions', asKey(created.key))
    expect(await lastUsed()).toBe(new Date(START + 61_000).toISOString())
  })
})

describe('DELETE /api-keys/:id', () => {
  test('revocation is immediate: the next request with the key is 401', async () => {
    const created = await createOk({ name: 'k', accountId: 'org_a' })
    expect((await server.call('GET', '/sessions', asKey(created.key))).status).toBe(200)

    const revoked = await server.call('DELETE', `/api-keys/${created.id}`, asKey(created.key))
    expect(revoked.status).toBe(200)
    expect(revoked.body).toMatchObject({ success: true, id: created.id, revokedAt: new Date(START).toISOString() })

    for (const options of [asKey(created.key), asBearer(created.key)]) {
      const refused = await server.call('GET', '/sessions', options)
      expect(refused.status).toBe(401)
      expect(refused.body).toMatchObject({ code: 'UNAUTHORIZED', error: 'API key revoked' })
      expect(refused.headers.get('www-authenticate')).toContain('Bearer')
    }
    expect((await list()).map((k) => k.id)).not.toContain(created.id)
    expect((await server.call('DELETE', `/api-keys/${created.id}`)).status).toBe(404)
  })

  test("another account's key, an out-of-scope key and an unknown key are 404; a bad id is 400", async () => {
    const a = await createOk({ name: 'a', accountId: 'org_a' })
    const aRestricted = await createOk({ name: 'a-x', accountId: 'org_a', phoneNumber: PHONE_X })
    const b = await createOk({ name: 'b', accountId: 'org_b' })

    const other = await server.call('DELETE', `/api-keys/${b.id}`, asKey(a.key))
    expect(other.status).toBe(404)
    expect(other.body).toMatchObject({ code: 'NOT_FOUND' })
    expect((await server.call('DELETE', `/api-keys/${a.id}`, asKey(aRestricted.key))).status).toBe(404)
    expect((await server.call('DELETE', '/api-keys/AAAAAAAAAAAAAAAA', asKey(a.key))).status).toBe(404)
    expect((await server.call('DELETE', '/api-keys/not-an-id!', asKey(a.key))).status).toBe(400)

    // Still working: nothing was revoked by those attempts.
    expect((await server.call('GET', '/sessions', asKey(b.key))).status).toBe(200)
    expect((await server.call('GET', '/sessions', asKey(a.key))).status).toBe(200)
    // An account revokes its own keys; the admin revokes anyone's.
    expect((await server.call('DELETE', `/api-keys/${aRestricted.id}`, asKey(a.key))).status).toBe(200)
    expect((await server.call('DELETE', `/api-keys/${b.id}`)).status).toBe(200)
    expect((await server.call('GET', '/sessions', asKey(b.key))).status).toBe(401)
  })
})

describe('credentials that must fail', () => {
  test('an expired key is 401 and listed as expired', async () => {
    const created = await createOk({ name: 'k', accountId: 'org_a', expiresAt: '2030-01-01T01:00:00Z' })
    expect((await server.call('GET', '/sessions', asKey(created.key))).status).toBe(200)
    clock = Date.parse('2030-01-01T01:00:00Z')
    const refused = await server.call('GET', '/sessions', asKey(created.key))
    expect(refused.status).toBe(401)
    expect(refused.body).toMatchObject({ code: 'UNAUTHORIZED', error: 'API key expired' })
    expect(refused.headers.get('www-authenticate')).toContain('Bearer')
    expect((await list()).find((k) => k.id === created.id)).toMatchObject({ expired: true })
  })

  test('a known id with a wrong secret, a made-up key and a key in the query string are 401', async () => {
    const created = await createOk({ name: 'k', accountId: 'org_a' })
    const forged = `wws_${created.id}_${'A'.repeat(43)}`
    for (const key of [forged, `wws_${'B'.repeat(16)}_${'A'.repeat(43)}`, 'whatever-key']) {
      const refused = await server.call('GET', '/sessions', asKey(key))
      expect(refused.status).toBe(401)
      expect(refused.body).toMatchObject({ error: 'Invalid API key' })
    }
    for (const name of ['api_key', 'apiKey', 'x-api-key', 'key', 'token']) {
      expect((await server.call('GET', `/sessions?${name}=${created.key}`, { key: null })).status).toBe(401)
    }
  })

  test('every key route needs credentials', async () => {
    for (const [method, path] of [
      ['POST', '/api-keys'],
      ['GET', '/api-keys'],
      ['DELETE', '/api-keys/AAAAAAAAAAAAAAAA'],
    ] as const) {
      const response = await server.call(method, path, { key: null, body: { name: 'x' } })
      expect(response.status).toBe(401)
      expect(response.headers.get('www-authenticate')).toContain('Bearer')
    }
  })
})

describe('storage', () => {
  test('only hashes are stored: no secret can be read back from the database files', async () => {
    const created = await Promise.all([0, 1, 2].map((i) => createOk({ name: `k${i}`, accountId: 'org_a', phoneNumber: PHONE_X })))
    for (const key of created) await server.call('GET', '/sessions', asKey(key.key))
    let bytes: Buffer
    if (server.deps.storage.dialect === 'postgres') {
      // WWS_TEST_DATABASE=postgres: no file to read; every row of every table instead.
      const db = server.deps.storage.db
      const tables: Array<{ table_name: string }> = await db`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`
      const rows = await Promise.all(tables.map(({ table_name }) => db.unsafe(`SELECT * FROM "${table_name}"`)))
      bytes = Buffer.from(JSON.stringify(rows))
    } else {
      const dbFile = join(server.dataDir, 'whatsapp-web-server.db')
      // SQLite in WAL mode: fresh rows may sit in the -wal file, so read every file of the database.
      const files = [dbFile, `${dbFile}-wal`, `${dbFile}-shm`].filter(existsSync)
      bytes = Buffer.concat(files.map((file) => readFileSync(file)))
    }
    const text = bytes.toString('latin1')
    for (const key of created) {
      const secret = parseApiKey(key.key)!.secret
      // The rows are there (so this really reads the database)…
      expect(text).toContain(key.id)
      expect(text).toContain(hashSecret(secret))
      // …but neither the key nor its secret, in any common encoding.
      expect(text).not.toContain(key.key)
      expect(text).not.toContain(secret)
      expect(text).not.toContain(Buffer.from(secret, 'base64url').toString('hex'))
      expect(bytes.includes(Buffer.from(secret, 'base64url'))).toBe(false)
    }
  })
})
