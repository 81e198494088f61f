/** Who the client is: the TCP peer, or per TRUST_PROXY an address from X-Forwarded-For. */
import { describe, expect, test } from 'bun:test'
import { loadConfig } from '../../src/config'
import { parseTrustProxy, resolveClientIp } from '../../src/lib/client-ip'

describe('resolveClientIp', () => {
  test('off: always the peer, whatever X-Forwarded-For says', () => {
    expect(resolveClientIp('10.0.0.2', '203.0.113.9', parseTrustProxy(undefined))).toBe('10.0.0.2')
    expect(resolveClientIp('::ffff:10.0.0.2', null, parseTrustProxy('false'))).toBe('10.0.0.2')
    expect(resolveClientIp(undefined, '203.0.113.9', parseTrustProxy('1'))).toBeUndefined()
  })

  test('hops: the address that many proxies back; forged entries in front are never reached', () => {
    const one = parseTrustProxy('1')
    expect(resolveClientIp('10.0.0.2', '203.0.113.9', one)).toBe('203.0.113.9')
    expect(resolveClientIp('10.0.0.2', '1.1.1.1, 203.0.113.9', one)).toBe('203.0.113.9')
    expect(resolveClientIp('10.0.0.2', '1.1.1.1, 203.0.113.9, 10.0.0.3', parseTrustProxy('2'))).toBe('203.0.113.9')
    // Fewer entries than hops: the farthest one there is.
    expect(resolveClientIp('10.0.0.2', '203.0.113.9', parseTrustProxy('3'))).toBe('203.0.113.9')
    expect(resolveClientIp('10.0.0.2', '[2001:db8::1]:443', one)).toBe('2001:db8::1')
    expect(resolveClientIp('10.0.0.2', '203.0.113.9:5555', one)).toBe('203.0.113.9')
  })

  test('CIDRs: walk back through our proxies to the first address outside them', () => {
    const ours = parseTrustProxy('10.0.0.0/8, 192.168.1.1')
    expect(resolveClientIp('10.0.0.2', '1.1.1.1, 203.0.113.9, 192.168.1.1', ours)).toBe('203.0.113.9')
    // A peer that is not our proxy is the client itself, whatever it claims.
    expect(resolveClientIp('198.51.100.7', '203.0.113.9', ours)).toBe('198.51.100.7')
    // A garbage entry ends the walk at the last sound address.
    expect(resolveClientIp('10.0.0.2', 'not-an-ip', ours)).toBe('10.0.0.2')
  })

  test('TRUST_PROXY is validated by the config, naming the choices', () => {
    const base = { API_KEY: 'an-admin-key-of-16+', DATA_DIR: '/tmp/wws-client-ip', WA_ENGINE: 'simulator' }
    expect(loadConfig({ ...base }).trustProxy).toEqual({ kind: 'off' })
    expect(loadConfig({ ...base, TRUST_PROXY: '1' }).trustProxy).toEqual({ kind: 'hops', hops: 1 })
    expect(loadConfig({ ...base, TRUST_PROXY: '10.0.0.0/8' }).trustProxy.kind).toBe('cidrs')
    for (const bad of ['true', '10.0.0.0/99', 'proxy.local', '-1']) {
      expect(() => loadConfig({ ...base, TRUST_PROXY: bad }), bad).toThrow(/TRUST_PROXY must be false/)
    }
  })
})
