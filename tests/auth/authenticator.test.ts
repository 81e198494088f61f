import { describe, expect, test } from 'bun:test'
import { generateApiKey, hashAdminKey } from '../../src/auth/api-keys'
import { ServerAuthenticator, type ApiKeyLookup } from '../../src/auth/authenticator'
import { UnauthorizedError } from '../../src/errors'
import type { ApiKeyRecord } from '../../src/storage/api-keys-repo'
import { createTestServer, tempDir } from '../helpers/app'

const NOW = 1_900_000_000_000

function store(records: ApiKeyRecord[], touch: ApiKeyLookup['touch'] = async () => {}) {
  const touched: string[] = []
  const lookup: ApiKeyLookup = {
    get: async (id) => records.find((r) => r.id === id),
    touch: async (id, at) => {
      touched.push(id)
      await touch(id, at)
    },
  }
  return { lookup, touched }
}

function record(overrides: Partial<ApiKeyRecord> = {}) {
  const generated = generateApiKey()
  const rec: ApiKeyRecord = {
    id: generated.id,
    accountId: 'org_a',
    name: 'k',
    phoneNumber: null,
    secretSha256: generated.secretHash,
    createdBy: 'admin',
    createdAt: NOW - 1000,
    expiresAt: null,
    revokedAt: null,
    lastUsedAt: null,
    ...overrides,
  }
  return { rec, key: generated.key }
}

const headers = (init: Record<string, string>) => new Headers(init)

async function rejection(promise: Promise<unknown>): Promise<UnauthorizedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(UnauthorizedError)
  return error as UnauthorizedError
}

describe('ServerAuthenticator', () => {
  test('an account key becomes a principal carrying its account, number and expiry', async () => {
    const { rec, key } = record({ phoneNumber: '966500000001', expiresAt: NOW + 60_000 })
    const { lookup } = store([rec])
    const auth = new ServerAuthenticator({ apiKeys: lookup, now: () => NOW })
    expect(await auth.authenticate(headers({ 'x-api-key': key }))).toEqual({
      kind: 'account-key',
      accountId: 'org_a',
      isAdmin: false,
      credentialId: rec.id,
      phoneNumber: '966500000001',
      expiresAt: NOW + 60_000,
    })
  })

  test('X-Api-Key wins over Authorization when both are sent', async () => {
    const { rec, key } = record()
    const auth = new ServerAuthenticator({ apiKeys: store([rec]).lookup, now: () => NOW, adminKey: hashAdminKey('admin-key-0123456789') })
    const principal = await auth.authenticate(headers({ 'x-api-key': key, authorization: 'Bearer admin-key-0123456789' }))
    expect(principal.kind).toBe('account-key')
  })

  test('an admin key that happens to look like an account key is still the admin key', async () => {
    const adminKey = `wws_${'A'.repeat(16)}_${'b'.repeat(43)}`
    const auth = new ServerAuthenticator({ apiKeys: store([]).lookup, adminKey })
    expect((await auth.authenticate(headers({ authorization: `Bearer ${adminKey}` }))).isAdmin).toBe(true)
  })

  test('without an admin key configured no key is the admin', async () => {
    const auth = new ServerAuthenticator({ apiKeys: store([]).lookup })
    expect((await rejection(auth.authenticate(headers({ 'x-api-key': 'admin' })))).message).toBe('Invalid API key')
  })

  test('revoked and expired are told apart only to the holder of the right secret', async () => {
    const revoked = record({ revokedAt: NOW - 1 })
    const expired = record({ expiresAt: NOW })
    const auth = new ServerAuthenticator({ apiKeys: store([revoked.rec, expired.rec]).lookup, now: () => NOW })
    expect((await rejection(auth.authenticate(headers({ 'x-api-key': revoked.key })))).message).toBe('API key revoked')
    expect((await rejection(auth.authenticate(headers({ 'x-api-key': expired.key })))).message).toBe('API key expired')
    const forged = `wws_${revoked.rec.id}_${'x'.repeat(43)}`
    expect((await rejection(auth.authenticate(headers({ 'x-api-key': forged })))).message).toBe('Invalid API key')
  })

  test('last use is written at most once per resolution, judged from the stored value', async () => {
    const fresh = record({ lastUsedAt: NOW - 59_999 })
    const stale = record({ lastUsedAt: NOW - 60_000 })
    const { lookup, touched } = store([fresh.rec, stale.rec])
    const auth = new ServerAuthenticator({ apiKeys: lookup, now: () => NOW })
    await auth.authenticate(headers({ 'x-api-key': fresh.key }))
    await auth.authenticate(headers({ 'x-api-key': stale.key }))
    expect(touched).toEqual([stale.rec.id])
  })

  test('a failing last-use write does not fail the request', async () => {
    const { rec, key } = record()
    const { lookup } = store([rec], async () => {
      throw new Error('database is locked')
    })
    const auth = new ServerAuthenticator({ apiKeys: lookup, now: () => NOW })
    expect((await auth.authenticate(headers({ 'x-api-key': key }))).credentialId).toBe(rec.id)
  })

  test('malformed Authorization headers are 401 with a reason', async () => {
    const auth = new ServerAuthenticator({ apiKeys: store([]).lookup })
    for (const value of ['Basic abc', 'Bearer', 'Bearer a b', 'Token abc']) {
      const error = await rejection(auth.authenticate(headers({ authorization: value })))
      expect(error.message).toMatch(/Bearer/)
      expect(error.headers['WWW-Authenticate']).toContain('Bearer')
    }
  })
})

describe('the admin key on a server without API_KEY', () => {
  test('is generated on first boot, works, and is kept (as a hash) across restarts', async () => {
    const dataDir = tempDir()
    const first = await createTestServer({ API_KEY: '' }, {}, dataDir)
    const generated = first.deps.generatedAdminKey!
    expect(generated).toStartWith('wws_admin_')
    expect((await first.call('GET', '/sessions', { key: generated })).status).toBe(200)
    expect((await first.call('GET', '/sessions')).status).toBe(401)
    await first.close({ keepData: true })

    const second = await createTestServer({ API_KEY: '' }, {}, dataDir)
    try {
      expect(second.deps.generatedAdminKey).toBeUndefined()
      expect((await second.call('GET', '/sessions', { key: generated })).status).toBe(200)
    } finally {
      await second.close()
    }
  })

  test('is not generated when JWT is configured: only tokens and account keys get in', async () => {
    const server = await createTestServer({ API_KEY: '', JWT_SECRET: 'a-shared-secret-of-at-least-32-bytes!!' })
    try {
      expect(server.deps.generatedAdminKey).toBeUndefined()
      expect((await server.call('GET', '/sessions', { key: 'wws_admin_guess' })).status).toBe(401)
    } finally {
      await server.close()
    }
  })
})
