import { describe, expect, test } from 'bun:test'
import { type BlockReason, blockedReason, isBlockedAddress, parseCidr } from '../../src/lib/ip-policy'

describe('blockedReason without an allowlist', () => {
  const cases: [ip: string, reason: BlockReason | null][] = [
    // public unicast passes
    ['8.8.8.8', null],
    ['93.184.216.34', null],
    ['2606:4700:4700::1111', null],
    ['2a00:1450:4001:80b::200e', null],
    // IPv4 special purpose
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'reserved'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.127.255.254', 'carrierGradeNat'],
    ['100.128.0.1', null],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['169.254.169.254', 'linkLocal'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', null],
    ['192.0.0.8', 'ietfProtocolAssignment'],
    ['192.0.2.1', 'documentation'],
    ['192.88.99.1', '6to4'],
    ['192.168.1.1', 'private'],
    ['198.18.0.1', 'benchmarking'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    // IPv6 special purpose
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['::127.0.0.1', 'ipv4Compatible'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.1.2.3', 'private'],
    ['::ffff:169.254.169.254', 'linkLocal'],
    ['::ffff:0.0.0.0', 'unspecified'],
    ['::ffff:8.8.8.8', null],
    ['::ffff:0:127.0.0.1', 'ipv4Translated'],
    ['64:ff9b::127.0.0.1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'linkLocal'],
    ['64:ff9b::8.8.8.8', null],
    ['64:ff9b:1::1', 'nat64LocalUse'],
    ['100::1', 'discardOnly'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['fe80::1', 'linkLocal'],
    ['fe80::1%eth0', 'linkLocal'],
    ['febf::1', 'linkLocal'],
    ['fec0::1', 'siteLocal'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['2001::1', 'ietfProtocolAssignment'], // Teredo
    ['2001:2::1', 'ietfProtocolAssignment'], // benchmarking
    ['2002:7f00:1::1', '6to4'],
    ['3fff::1', 'documentation'],
    ['4000::1', 'notGlobalUnicast'],
    ['::2', 'ipv4Compatible'],
    // not a plain IP literal: fail closed
    ['', 'invalid'],
    ['localhost', 'invalid'],
    ['127.1', 'invalid'],
    ['0x7f.1', 'invalid'],
    ['0177.0.0.1', 'invalid'],
    ['2130706433', 'invalid'],
    ['[::1]', 'invalid'],
    ['1.2.3.4.5', 'invalid'],
  ]
  test.each(cases)('%p → %p', (ip, reason) => {
    expect(blockedReason(ip, [])).toBe(reason)
    expect(isBlockedAddress(ip, [])).toBe(reason !== null)
  })
})

describe('blockedReason with an allowlist', () => {
  const allow = ['127.0.0.1/32', '10.20.0.0/16', 'fd00:1::/32'].map(parseCidr)
  const cases: [ip: string, blocked: boolean][] = [
    ['127.0.0.1', false],
    ['::ffff:127.0.0.1', false], // the mapped form is the same host
    ['127.0.0.2', true], // only the listed range opens
    ['::1', true],
    ['10.20.3.4', false],
    ['10.21.0.1', true],
    ['64:ff9b::10.20.0.1', false], // NAT64 of an allowed IPv4
    ['fd00:1::5', false],
    ['fd00:2::5', true],
    ['8.8.8.8', false],
  ]
  test.each(cases)('%p blocked=%p', (ip, blocked) => {
    expect(isBlockedAddress(ip, allow)).toBe(blocked)
  })

  test('unspecified, multicast and broadcast stay blocked even when everything is allowed', () => {
    const everything = ['0.0.0.0/0', '::/0'].map(parseCidr)
    for (const ip of ['0.0.0.0', '::', '::ffff:0.0.0.0', '224.0.0.1', 'ff02::1', '255.255.255.255']) {
      expect(isBlockedAddress(ip, everything)).toBe(true)
    }
    for (const ip of ['127.0.0.1', '10.0.0.1', '::1', 'fe80::1']) expect(isBlockedAddress(ip, everything)).toBe(false)
  })
})

describe('parseCidr', () => {
  test.each([
    ['127.0.0.1/32', 'ipv4', 32],
    ['10.0.0.0/8', 'ipv4', 8],
    ['0.0.0.0/0', 'ipv4', 0],
    ['192.168.1.7', 'ipv4', 32],
    ['::1/128', 'ipv6', 128],
    ['fd00::/8', 'ipv6', 8],
    ['::1', 'ipv6', 128],
    [' 10.0.0.0/8 ', 'ipv4', 8],
    ['::ffff:127.0.0.1/128', 'ipv4', 32],
    ['::ffff:10.0.0.0/104', 'ipv4', 8],
  ] as const)('%p → %p /%p', (text, kind, prefix) => {
    const cidr = parseCidr(text)
    expect(cidr.kind).toBe(kind)
    expect(cidr.prefix).toBe(prefix)
  })

  test.each(['', '/', '10.0.0.0/', '10.0.0.0/33', '::/129', '10.0.0.0/-1', '10.0.0.0/8/8', '10.0.0.0/0x8', '127.1/32', '0x7f.0.0.1/32', 'localhost/32', 'fe80::1%eth0/64', '10.0.0.256/8'])(
    'rejects %p',
    (text) => {
      expect(() => parseCidr(text)).toThrow(TypeError)
    },
  )
})

describe('IPv6 text with an embedded dotted quad keeps its exact bits', () => {
  test.each([
    ['::8.8.8.8', 'ipv4Compatible'], // ::808:808, not ::ffff:8.8.8.8
    ['::ffff:8.8.8.8', null],
    ['0:0:0:0:0:ffff:127.0.0.1', 'loopback'],
    ['64:ff9b::10.0.0.1', 'private'],
  ] as const)('%p → %p', (ip, reason) => {
    expect(blockedReason(ip, [])).toBe(reason)
  })
})
