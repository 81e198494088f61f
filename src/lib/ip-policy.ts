/**
 * Which IP addresses an outbound fetch may connect to.
 *
 * Pure functions, no I/O: the safe fetcher (`safe-fetch.ts`) resolves a host, then asks
 * `blockedReason` about every address it got back. The policy is "public unicast only":
 * loopback, private, link-local, CGNAT, documentation, benchmarking, reserved and
 * non-global IPv6 space are refused unless an explicit allowlist CIDR covers the address.
 * Unspecified, multicast and broadcast addresses are never a valid TCP destination
 * (and `0.0.0.0` reaches the local host on Linux), so no allowlist opens them.
 *
 * Addresses that embed an IPv4 address are judged by that IPv4 address:
 * IPv4-mapped IPv6 (`::ffff:127.0.0.1`) and the well-known NAT64 prefix
 * (`64:ff9b::/96`, RFC 6052). Other embedding forms (6to4, Teredo, IPv4-compatible,
 * SIIT) are refused outright.
 */
import { isIP } from 'node:net'
import ipaddr from 'ipaddr.js'

type IPv4 = ipaddr.IPv4
type IPv6 = ipaddr.IPv6

/** A parsed CIDR range. Build with {@link parseCidr}. */
export type ParsedCidr =
  | { readonly kind: 'ipv4'; readonly address: IPv4; readonly prefix: number; readonly text: string }
  | { readonly kind: 'ipv6'; readonly address: IPv6; readonly prefix: number; readonly text: string }

/** Why an address is refused; `null` from {@link blockedReason} means it is allowed. */
export type BlockReason =
  | 'invalid'
  | 'unspecified'
  | 'multicast'
  | 'broadcast'
  | 'loopback'
  | 'private'
  | 'linkLocal'
  | 'carrierGradeNat'
  | 'reserved'
  | 'documentation'
  | 'benchmarking'
  | 'uniqueLocal'
  | 'siteLocal'
  | 'ipv4Compatible'
  | 'ipv4Translated'
  | 'nat64LocalUse'
  | '6to4'
  | 'ietfProtocolAssignment'
  | 'discardOnly'
  | 'notGlobalUnicast'

type Rule = readonly [reason: BlockReason, cidr: string]

/** Never reachable, whatever the allowlist says. Checked first. */
const HARD_V4: readonly Rule[] = [
  ['unspecified', '0.0.0.0/32'],
  ['multicast', '224.0.0.0/4'],
  ['broadcast', '255.255.255.255/32'],
]
const HARD_V6: readonly Rule[] = [
  ['unspecified', '::/128'],
  ['multicast', 'ff00::/8'],
]

/** Refused unless an allowlist entry covers the address (IANA special-purpose registry). */
const SOFT_V4: readonly Rule[] = [
  ['reserved', '0.0.0.0/8'], // "this network"
  ['private', '10.0.0.0/8'],
  ['carrierGradeNat', '100.64.0.0/10'],
  ['loopback', '127.0.0.0/8'],
  ['linkLocal', '169.254.0.0/16'],
  ['private', '172.16.0.0/12'],
  ['ietfProtocolAssignment', '192.0.0.0/24'],
  ['documentation', '192.0.2.0/24'],
  ['6to4', '192.88.99.0/24'],
  ['private', '192.168.0.0/16'],
  ['benchmarking', '198.18.0.0/15'],
  ['documentation', '198.51.100.0/24'],
  ['documentation', '203.0.113.0/24'],
  ['reserved', '240.0.0.0/4'],
]

/** Outside 2000::/3 everything is refused; these name the common cases for logs. */
const SOFT_V6_OUTSIDE_GLOBAL: readonly Rule[] = [
  ['loopback', '::1/128'],
  ['ipv4Compatible', '::/96'],
  ['ipv4Translated', '::ffff:0:0:0/96'],
  ['discardOnly', '100::/64'],
  ['nat64LocalUse', '64:ff9b:1::/48'],
  ['uniqueLocal', 'fc00::/7'],
  ['linkLocal', 'fe80::/10'],
  ['siteLocal', 'fec0::/10'],
]
/** Special-purpose blocks inside 2000::/3. */
const SOFT_V6_INSIDE_GLOBAL: readonly Rule[] = [
  ['documentation', '2001:db8::/32'],
  ['ietfProtocolAssignment', '2001::/23'], // Teredo, benchmarking, ORCHID, AMT, …
  ['6to4', '2002::/16'],
  ['documentation', '3fff::/20'],
]

const GLOBAL_UNICAST_V6 = compileV6('2000::/3')
const IPV4_MAPPED = compileV6('::ffff:0:0/96')
const NAT64_WELL_KNOWN = compileV6('64:ff9b::/96')

type CompiledRule = readonly [BlockReason, ParsedCidr]
const hardV4 = HARD_V4.map(compileRule)
const hardV6 = HARD_V6.map(compileRule)
const softV4 = SOFT_V4.map(compileRule)
const softV6Outside = SOFT_V6_OUTSIDE_GLOBAL.map(compileRule)
const softV6Inside = SOFT_V6_INSIDE_GLOBAL.map(compileRule)

function compileRule([reason, cidr]: Rule): CompiledRule {
  return [reason, compile(cidr)]
}

function compile(cidr: string): ParsedCidr {
  return parseCidr(cidr)
}

/** An IPv6 range kept as IPv6 (parseCidr would turn ::ffff:0:0/96 into 0.0.0.0/0). */
function compileV6(cidr: string): ParsedCidr {
  const [address, prefix] = ipaddr.IPv6.parseCIDR(cidr)
  return { kind: 'ipv6', address, prefix, text: cidr }
}

/**
 * Parses `a.b.c.d/n`, `v6::addr/n`, or a bare address (a host route, /32 or /128).
 * Strict: only dotted-quad IPv4 and standard IPv6 text are accepted (no `127.1`,
 * `0x7f.1`, zone ids). An IPv4-mapped IPv6 range of /96 or longer becomes the
 * equivalent IPv4 range, so `::ffff:127.0.0.1/128` and `127.0.0.1/32` mean the same.
 * @throws TypeError when the text is not a valid CIDR.
 */
export function parseCidr(text: string): ParsedCidr {
  if (typeof text !== 'string') throw new TypeError('CIDR must be a string')
  const trimmed = text.trim()
  const slash = trimmed.indexOf('/')
  const addressText = slash === -1 ? trimmed : trimmed.slice(0, slash)
  const prefixText = slash === -1 ? undefined : trimmed.slice(slash + 1)
  const family = isIP(addressText)
  if (family === 0 || addressText.includes('%')) throw new TypeError(`Invalid CIDR "${text}": not an IP address`)
  const max = family === 4 ? 32 : 128
  let prefix = max
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText)) throw new TypeError(`Invalid CIDR "${text}": bad prefix length`)
    prefix = Number(prefixText)
    if (prefix > max) throw new TypeError(`Invalid CIDR "${text}": prefix length above ${max}`)
  }
  const address = ipaddr.parse(addressText)
  if (address.kind() === 'ipv4') return { kind: 'ipv4', address: address as IPv4, prefix, text: trimmed }
  const v6 = address as IPv6
  if (prefix >= 96 && v6.isIPv4MappedAddress()) {
    return { kind: 'ipv4', address: v6.toIPv4Address(), prefix: prefix - 96, text: trimmed }
  }
  return { kind: 'ipv6', address: v6, prefix, text: trimmed }
}

function inV4(address: IPv4, cidr: ParsedCidr): boolean {
  return cidr.kind === 'ipv4' && address.match(cidr.address, cidr.prefix)
}

function inV6(address: IPv6, cidr: ParsedCidr): boolean {
  return cidr.kind === 'ipv6' && address.match(cidr.address, cidr.prefix)
}

function firstMatch<T extends IPv4 | IPv6>(
  address: T,
  rules: readonly CompiledRule[],
  test: (address: T, cidr: ParsedCidr) => boolean,
): BlockReason | null {
  for (const [reason, cidr] of rules) if (test(address, cidr)) return reason
  return null
}

function reasonV4(address: IPv4, allow: readonly ParsedCidr[]): BlockReason | null {
  const hard = firstMatch(address, hardV4, inV4)
  if (hard) return hard
  if (allow.some((cidr) => inV4(address, cidr))) return null
  return firstMatch(address, softV4, inV4)
}

function reasonV6(address: IPv6, allow: readonly ParsedCidr[]): BlockReason | null {
  // ::ffff:a.b.c.d is a.b.c.d on a dual-stack socket: judge (and allow) it as IPv4.
  if (inV6(address, IPV4_MAPPED)) return reasonV4(address.toIPv4Address(), allow)
  const hard = firstMatch(address, hardV6, inV6)
  if (hard) return hard
  if (allow.some((cidr) => inV6(address, cidr))) return null
  // 64:ff9b::a.b.c.d is translated to a.b.c.d by the network's NAT64 gateway.
  if (inV6(address, NAT64_WELL_KNOWN)) return reasonV4(new ipaddr.IPv4(address.toByteArray().slice(12)), allow)
  if (!inV6(address, GLOBAL_UNICAST_V6)) return firstMatch(address, softV6Outside, inV6) ?? 'notGlobalUnicast'
  return firstMatch(address, softV6Inside, inV6)
}

/**
 * Why `ip` may not be contacted, or `null` when it may. `ip` must be a plain IP
 * literal as a resolver returns it (`93.184.216.34`, `2606:2800::1`); anything else,
 * including bracketed IPv6 or shorthand IPv4 like `127.1`, is `'invalid'` (fail closed).
 */
export function blockedReason(ip: string, allow: readonly ParsedCidr[] = []): BlockReason | null {
  if (typeof ip !== 'string') return 'invalid'
  const family = isIP(ip)
  if (family === 0) return 'invalid'
  if (family === 4) return reasonV4(ipaddr.IPv4.parse(ip), allow)
  const zone = ip.indexOf('%')
  const v6 = parseV6(zone === -1 ? ip : ip.slice(0, zone))
  if (v6 === null) return 'invalid'
  // Zone ids only make sense for link-local; never let one pass.
  if (zone !== -1) return reasonV6(v6, allow) ?? 'invalid'
  return reasonV6(v6, allow)
}

/**
 * ipaddr.js reads any `::a.b.c.d` as IPv4-mapped (`::127.0.0.1` becomes
 * `::ffff:7f00:1`), so text with a dotted tail is first canonicalised by the WHATWG
 * URL parser, which keeps the bits exactly (`[::127.0.0.1]` → `[::7f00:1]`).
 */
function parseV6(text: string): IPv6 | null {
  try {
    const canonical = text.includes('.') ? unbracket(new URL(`http://[${text}]/`).hostname) : text
    return ipaddr.IPv6.parse(canonical)
  } catch {
    return null
  }
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
}

/** True when `ip` may not be contacted (see {@link blockedReason}). */
export function isBlockedAddress(ip: string, allow: readonly ParsedCidr[] = []): boolean {
  return blockedReason(ip, allow) !== null
}
