import { describe, expect, test } from 'bun:test'
import { createHmac } from 'node:crypto'

import {
  DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  decodeWebhookSecret,
  generateWebhookSecret,
  isValidWebhookSecret,
  signStandardWebhook,
  signWahaHmac,
  standardWebhookHeaders,
  verifyStandardWebhook,
  verifyWahaHmac,
  wahaHmacHeaders,
} from '../../src/events/signing'
import { BadRequestError } from '../../src/errors'

// The published Standard Webhooks known answer (spec test vector; used by the reference
// libraries' "sign function works" tests).
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
} as const

/** A second implementation (WebCrypto rather than node:crypto's createHmac) to check against. */
async function webCryptoHmac(hash: 'SHA-256' | 'SHA-512', key: Uint8Array, data: string): Promise<Uint8Array> {
  const cryptoKey = await crypto.subtle.importKey('raw', new Uint8Array(key), { name: 'HMAC', hash }, false, ['sign'])
  return new Uint8Array(await crypto.subtle.sign('HMAC', cryptoKey, new TextEncoder().encode(data)))
}

function headersOf(signature: string, timestamp: number = VECTOR.timestamp, id: string = VECTOR.id) {
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature }
}

describe('Standard Webhooks signing', () => {
  test('reproduces the published known-answer vector', () => {
    expect(signStandardWebhook(VECTOR)).toBe(VECTOR.signature)
  })

  test('agrees with an independent HMAC-SHA256 over "id.timestamp.body" keyed with the decoded secret', async () => {
    const key = Buffer.from(VECTOR.secret.slice('whsec_'.length), 'base64')
    const content = `${VECTOR.id}.${VECTOR.timestamp}.${VECTOR.body}`
    const viaNode = createHmac('sha256', key).update(content).digest('base64')
    const viaWebCrypto = Buffer.from(await webCryptoHmac('SHA-256', key, content)).toString('base64')
    expect(viaNode).toBe(viaWebCrypto)
    expect(`v1,${viaNode}`).toBe(VECTOR.signature)

    // And for a fresh random secret and a non-ASCII body, signed from bytes.
    const secret = generateWebhookSecret()
    const body = JSON.stringify({ event: 'message', payload: { body: 'مرحبا 👋' } })
    const freshKey = Buffer.from(secret.slice('whsec_'.length), 'base64')
    const expected = Buffer.from(await webCryptoHmac('SHA-256', freshKey, `evt_1.1767225600.${body}`)).toString('base64')
    expect(signStandardWebhook({ id: 'evt_1', timestamp: 1767225600, body, secret })).toBe(`v1,${expected}`)
    expect(signStandardWebhook({ id: 'evt_1', timestamp: 1767225600, body: new TextEncoder().encode(body), secret })).toBe(
      `v1,${expected}`,
    )
  })

  test('the whsec_ prefix is optional, as in the reference libraries', () => {
    expect(signStandardWebhook({ ...VECTOR, secret: VECTOR.secret.slice('whsec_'.length) })).toBe(VECTOR.signature)
  })

  test('generated secrets are whsec_ + base64 of 32 random bytes, and differ', () => {
    const a = generateWebhookSecret()
    const b = generateWebhookSecret()
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    expect(decodeWebhookSecret(a).length).toBe(32)
    expect(a).not.toBe(b)
    expect(isValidWebhookSecret(a)).toBe(true)
  })

  test('secret validation', () => {
    expect(isValidWebhookSecret(VECTOR.secret)).toBe(true) // 24 bytes: the minimum
    expect(isValidWebhookSecret('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')).toBe(false) // no prefix
    expect(isValidWebhookSecret('whsec_c2hvcnQ=')).toBe(false) // 5 bytes
    expect(isValidWebhookSecret('whsec_not base64!')).toBe(false)
    expect(isValidWebhookSecret(`whsec_${Buffer.alloc(65).toString('base64')}`)).toBe(false)
    expect(() => decodeWebhookSecret('whsec_')).toThrow(BadRequestError)
    expect(() => decodeWebhookSecret('whsec_abc')).toThrow(BadRequestError)
  })

  test('refuses ids with a full stop and non-integer timestamps', () => {
    expect(() => signStandardWebhook({ ...VECTOR, id: 'msg.1' })).toThrow(BadRequestError)
    expect(() => signStandardWebhook({ ...VECTOR, timestamp: 1614265330.5 })).toThrow(BadRequestError)
    expect(() => signStandardWebhook({ ...VECTOR, timestamp: -1 })).toThrow(BadRequestError)
    expect(() => signStandardWebhook({ ...VECTOR, timestamp: 1614265330123 })).toThrow(BadRequestError) // milliseconds
  })

  test('standardWebhookHeaders signs with every secret, space-separated', () => {
    const other = generateWebhookSecret()
    const headers = standardWebhookHeaders({ id: VECTOR.id, timestamp: VECTOR.timestamp, body: VECTOR.body, secret: [VECTOR.secret, other] })
    expect(headers['webhook-id']).toBe(VECTOR.id)
    expect(headers['webhook-timestamp']).toBe('1614265330')
    const [first, second] = headers['webhook-signature'].split(' ')
    expect(first).toBe(VECTOR.signature)
    expect(second).toBe(signStandardWebhook({ ...VECTOR, secret: other }))
  })
})

describe('Standard Webhooks verification', () => {
  const now = VECTOR.timestamp

  test('accepts the known-answer vector (record or Headers, any header case)', () => {
    expect(verifyStandardWebhook(headersOf(VECTOR.signature), VECTOR.body, VECTOR.secret, { now })).toEqual({
      valid: true,
      id: VECTOR.id,
      timestamp: VECTOR.timestamp,
    })
    const fetchHeaders = new Headers({
      'Webhook-Id': VECTOR.id,
      'Webhook-Timestamp': String(VECTOR.timestamp),
      'Webhook-Signature': VECTOR.signature,
    })
    expect(verifyStandardWebhook(fetchHeaders, VECTOR.body, VECTOR.secret, { now }).valid).toBe(true)
    expect(
      verifyStandardWebhook(
        { 'WEBHOOK-ID': VECTOR.id, 'Webhook-Timestamp': String(now), 'webhook-signature': [VECTOR.signature] },
        new TextEncoder().encode(VECTOR.body),
        VECTOR.secret,
        { now },
      ).valid,
    ).toBe(true)
  })

  test('accepts when any one of several signatures matches, ignoring other schemes', () => {
    const header = [
      'v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=',
      'v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=',
      `v1a,${VECTOR.signature.slice(3)}`,
      VECTOR.signature,
    ].join(' ')
    expect(verifyStandardWebhook(headersOf(header), VECTOR.body, VECTOR.secret, { now }).valid).toBe(true)
  })

  test('rejects a tampered body', () => {
    const result = verifyStandardWebhook(headersOf(VECTOR.signature), '{"test": 2432232315}', VECTOR.secret, { now })
    expect(result).toEqual({ valid: false, reason: 'no_matching_signature' })
  })

  test('rejects a tampered timestamp or id', () => {
    expect(verifyStandardWebhook(headersOf(VECTOR.signature, now + 1), VECTOR.body, VECTOR.secret, { now })).toEqual({
      valid: false,
      reason: 'no_matching_signature',
    })
    expect(
      verifyStandardWebhook(headersOf(VECTOR.signature, now, 'msg_other'), VECTOR.body, VECTOR.secret, { now }).valid,
    ).toBe(false)
  })

  test('rejects the wrong secret, a partial signature, and a signature without its version', () => {
    const wrong = generateWebhookSecret()
    expect(verifyStandardWebhook(headersOf(VECTOR.signature), VECTOR.body, wrong, { now }).valid).toBe(false)
    expect(verifyStandardWebhook(headersOf(VECTOR.signature.slice(0, 8)), VECTOR.body, VECTOR.secret, { now }).valid).toBe(false)
    expect(verifyStandardWebhook(headersOf('v1,'), VECTOR.body, VECTOR.secret, { now }).valid).toBe(false)
    expect(verifyStandardWebhook(headersOf(VECTOR.signature.slice(3)), VECTOR.body, VECTOR.secret, { now }).valid).toBe(false)
  })

  test('rejects an old timestamp, and one too far in the future, even when correctly signed', () => {
    const tolerance = DEFAULT_WEBHOOK_TOLERANCE_SECONDS
    const sign = (timestamp: number) => headersOf(signStandardWebhook({ ...VECTOR, timestamp }), timestamp)
    const old = now - tolerance - 1
    expect(verifyStandardWebhook(sign(old), VECTOR.body, VECTOR.secret, { now })).toEqual({
      valid: false,
      reason: 'timestamp_too_old',
    })
    expect(verifyStandardWebhook(sign(now + tolerance + 1), VECTOR.body, VECTOR.secret, { now })).toEqual({
      valid: false,
      reason: 'timestamp_too_new',
    })
    // At the edge of the window it still passes; a custom tolerance narrows it.
    expect(verifyStandardWebhook(sign(now - tolerance), VECTOR.body, VECTOR.secret, { now }).valid).toBe(true)
    expect(verifyStandardWebhook(sign(now - 10), VECTOR.body, VECTOR.secret, { now, toleranceSeconds: 5 }).valid).toBe(false)
  })

  test('uses the real clock by default: the 2021 vector is far too old today', () => {
    expect(verifyStandardWebhook(headersOf(VECTOR.signature), VECTOR.body, VECTOR.secret)).toEqual({
      valid: false,
      reason: 'timestamp_too_old',
    })
    const timestamp = Math.floor(Date.now() / 1000)
    const fresh = headersOf(signStandardWebhook({ ...VECTOR, timestamp }), timestamp)
    expect(verifyStandardWebhook(fresh, VECTOR.body, VECTOR.secret).valid).toBe(true)
  })

  test('reports missing headers and malformed timestamps', () => {
    const { 'webhook-id': _id, ...noId } = headersOf(VECTOR.signature)
    expect(verifyStandardWebhook(noId, VECTOR.body, VECTOR.secret, { now })).toEqual({ valid: false, reason: 'missing_headers' })
    const { 'webhook-signature': _sig, ...noSig } = headersOf(VECTOR.signature)
    expect(verifyStandardWebhook(noSig, VECTOR.body, VECTOR.secret, { now }).valid).toBe(false)
    for (const timestamp of ['hello', '1614265330.0', '-1614265330', '1e9', '1614265330123']) {
      const headers = { ...headersOf(VECTOR.signature), 'webhook-timestamp': timestamp }
      expect(verifyStandardWebhook(headers, VECTOR.body, VECTOR.secret, { now })).toEqual({
        valid: false,
        reason: 'invalid_timestamp',
      })
    }
  })
})

describe('WAHA X-Webhook-Hmac compatibility', () => {
  test('RFC 4231 HMAC-SHA512 known answer (test case 2)', () => {
    expect(signWahaHmac('what do ya want for nothing?', 'Jefe')).toBe(
      '164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737',
    )
  })

  test('hex HMAC-SHA512 of the raw body keyed with the UTF-8 key, checked against WebCrypto', async () => {
    const body = '{"event":"message","session":"default"}'
    const key = 'super-secret'
    const independent = Buffer.from(await webCryptoHmac('SHA-512', new TextEncoder().encode(key), body)).toString('hex')
    expect(independent).toBe(
      '39850d156106b65704870865752b245dbc1277a05f15dbcdb751bfa23f8eb574e6f9ff685c5047e70332633f0859a90c10cdc0fc238b7433d0155440637dc02d',
    )
    expect(signWahaHmac(body, key)).toBe(independent)
    expect(wahaHmacHeaders(body, key)).toEqual({ 'X-Webhook-Hmac': independent, 'X-Webhook-Hmac-Algorithm': 'sha512' })
  })

  test('verifyWahaHmac accepts WAHA headers and rejects tampering or another algorithm', () => {
    const body = '{"event":"session.status","payload":{"status":"WORKING"}}'
    const headers = wahaHmacHeaders(body, 'k3y')
    expect(verifyWahaHmac(headers, body, 'k3y')).toBe(true)
    expect(verifyWahaHmac(new Headers({ 'x-webhook-hmac': headers['X-Webhook-Hmac'].toUpperCase() }), body, 'k3y')).toBe(true)
    expect(verifyWahaHmac(headers, `${body} `, 'k3y')).toBe(false)
    expect(verifyWahaHmac(headers, body, 'other')).toBe(false)
    expect(verifyWahaHmac({ ...headers, 'X-Webhook-Hmac-Algorithm': 'sha256' }, body, 'k3y')).toBe(false)
    expect(verifyWahaHmac({}, body, 'k3y')).toBe(false)
    expect(verifyWahaHmac(headers, body, '')).toBe(false)
    expect(() => signWahaHmac(body, '')).toThrow(BadRequestError)
  })
})
