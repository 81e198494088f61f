/**
 * Who the client is, for the per-IP limits (failed authentications) and the logs.
 *
 * Without TRUST_PROXY the client is the TCP peer: `X-Forwarded-For` is written by whoever
 * sends the request, so believing it lets any caller pick an address. Behind a reverse
 * proxy every client is the proxy's address, though; TRUST_PROXY says which hops are ours:
 *
 * - a hop count `n`: the n proxies closest to this server append to X-Forwarded-For; the
 *   client is the address n hops back (`1` for one nginx/Caddy/Traefik in front);
 * - a CIDR list: the addresses in it are our proxies; walking back from the peer through
 *   X-Forwarded-For, the first address outside the list is the client.
 *
 * Entries a client forged in front of what our proxies appended are never reached. An
 * entry that is not an IP address ends the walk at the last address known to be sound.
 */
import { isIP } from 'node:net'
import ipaddr from 'ipaddr.js'
import { parseCidr, type ParsedCidr } from './ip-policy'

export type TrustProxy = { kind: 'off' } | { kind: 'hops'; hops: number } | { kind: 'cidrs'; cidrs: readonly ParsedCidr[]; text: string }

export const TRUST_PROXY_OFF: TrustProxy = { kind: 'off' }

/** TRUST_PROXY's text: unset/`false`/`0` → off, a whole number → hops, else comma-separated CIDRs or addresses. */
export function parseTrustProxy(text: string | undefined): TrustProxy {
  const value = (text ?? '').trim()
  if (value === '' || value === 'false' || value === '0') return TRUST_PROXY_OFF
  if (/^\d+$/.test(value)) {
    const hops = Number(value)
    if (hops > 32) throw new TypeError(`a hop count of ${hops} is not plausible (at most 32)`)
    return { kind: 'hops', hops }
  }
  if (value === 'true') throw new TypeError('"true" would trust any X-Forwarded-For a client sends; give the number of proxies in front (e.g. 1) or their CIDRs')
  const cidrs = value.split(',').map((part) => part.trim()).filter(Boolean).map((part) => parseCidr(part))
  return { kind: 'cidrs', cidrs, text: value }
}

/** The address as ipaddr.js sees it, IPv4-mapped IPv6 (`::ffff:a.b.c.d`) as the IPv4 it is. */
function parsed(address: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (isIP(address) === 0) return undefined
  const ip = ipaddr.parse(address)
  return ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress() ? (ip as ipaddr.IPv6).toIPv4Address() : ip
}

/**
 * Normalized peers, remembered: ipaddr.js parsing was ~5% of a guarded GET's CPU, and
 * the same few peers (proxies, clients) send request after request. Bounded: cleared
 * when full, so a flood of distinct addresses costs what it did before, no more.
 */
const NORMALIZED_CACHE_SIZE = 1024
const normalizedCache = new Map<string, string>()

function normalized(address: string): string {
  const known = normalizedCache.get(address)
  if (known !== undefined) return known
  const value = parsed(address)?.toString() ?? address
  if (normalizedCache.size >= NORMALIZED_CACHE_SIZE) normalizedCache.clear()
  normalizedCache.set(address, value)
  return value
}

function trusted(address: string, cidrs: readonly ParsedCidr[]): boolean {
  const ip = parsed(address)
  if (!ip) return false
  return cidrs.some((cidr) => (cidr.kind === 'ipv4' ? ip.kind() === 'ipv4' && (ip as ipaddr.IPv4).match(cidr.address, cidr.prefix) : ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).match(cidr.address, cidr.prefix)))
}

/** One X-Forwarded-For entry: `1.2.3.4`, `1.2.3.4:5678`, `[v6]:port` or bare IPv6. */
function entryAddress(entry: string): string {
  const text = entry.trim()
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text)
  if (bracketed) return bracketed[1]!
  const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(text)
  return v4WithPort ? v4WithPort[1]! : text
}

/**
 * The client's address: the TCP peer, or (per TRUST_PROXY) an address from
 * X-Forwarded-For. Undefined when the peer is unknown.
 */
export function resolveClientIp(peer: string | undefined, forwardedFor: string | null | undefined, trust: TrustProxy): string | undefined {
  if (peer === undefined) return undefined
  if (trust.kind === 'off' || !forwardedFor) return normalized(peer)
  // Nearest first: the peer, then X-Forwarded-For from its right end.
  const chain = [peer, ...forwardedFor.split(',').map(entryAddress).filter(Boolean).reverse()]
  let client = normalized(peer)
  for (let hop = 0; hop < chain.length - 1; hop++) {
    const isProxy = trust.kind === 'hops' ? hop < trust.hops : trusted(chain[hop]!, trust.cidrs)
    if (!isProxy) break
    const next = chain[hop + 1]!
    if (!parsed(next)) break
    client = normalized(next)
  }
  return client
}
