/**
 * Any node answers any route of a number (API.md §10): a request for a number whose lease
 * another live node holds is passed on to that node, once, inside the app.
 *
 * - The hop is signed: HMAC-SHA256 with CLUSTER_SECRET over the method, the path and query,
 *   a timestamp, the origin node and the caller's principal. The owner trusts that
 *   principal (the entry node authenticated the caller and counted its rate limits; the
 *   owner counts nothing again) and never forwards a request that came over a hop, so a
 *   disagreement about ownership cannot loop. A hop header that does not verify, or is
 *   older than HOP_MAX_AGE_MS, is a 401.
 * - The target is built from the lease's owner URL alone: the request's path and query are
 *   appended to it, never a host or scheme taken from the request.
 * - Bodies stream both ways (media uploads, SSE, media downloads); hop-by-hop headers
 *   (RFC 9110 §7.6.1) are dropped in both directions.
 * - The owner cannot be reached → 503 ENGINE_UNAVAILABLE; the owner no longer holds the
 *   lease (it moved between the entry node's read and the owner's) → 409 CONFLICT with
 *   Retry-After, which the entry node passes on as it came.
 *
 * Nothing here knows Elysia: the guards (src/auth/guards.ts) decide when to call it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import { ConflictError, EngineUnavailableError, UnauthorizedError } from '../lib/errors'
import type { Principal } from '../auth/principal'
import type { SessionOwnership } from './ownership'

export interface RemoteOwner {
  nodeId: string
  url: string
}

/** The identity a verified hop carries; none for a public route (a link invite's token is its own credential). */
export interface ArrivedHop {
  origin: string
  principal?: Principal
}

export const HOP_HEADERS = {
  origin: 'x-cluster-origin',
  timestamp: 'x-cluster-timestamp',
  principal: 'x-cluster-principal',
  signature: 'x-cluster-signature',
} as const

/** Every response to a number route names the node that answered it. */
export const SESSION_NODE_HEADER = 'X-Session-Node'

/** How old (or how far ahead, for clock skew between nodes) a hop's timestamp may be. */
export const HOP_MAX_AGE_MS = 30_000

/** How long the entry node waits for the owner's response headers (a stopped owner accepts TCP but never answers). */
export const DEFAULT_FORWARD_HEADERS_TIMEOUT_MS = 20_000

/** Seconds a client should wait after a stale-owner 409: about when the lease's new holder is known. */
export const STALE_RETRY_AFTER_SECONDS = 1

/** Connection-scoped headers (RFC 9110 §7.6.1), never passed across a hop, plus what fetch sets itself. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-authenticate', 'proxy-connection', 'host', 'content-length'])

function isHopByHop(name: string, listed: Set<string>): boolean {
  const lower = name.toLowerCase()
  return HOP_BY_HOP.has(lower) || lower.startsWith('proxy-') || listed.has(lower)
}

/** Copies end-to-end headers: without the hop-by-hop ones, nor any the Connection header names. */
export function endToEndHeaders(source: Headers): Headers {
  const listed = new Set(
    (source.get('connection') ?? '')
      .split(',')
      .map((token) => token.trim().toLowerCase())
      .filter(Boolean),
  )
  const result = new Headers()
  for (const [name, value] of source) if (!isHopByHop(name, listed)) result.append(name, value)
  return result
}

function signatureOf(secret: string, parts: { method: string; pathAndQuery: string; timestamp: string; origin: string; principal: string }): string {
  const payload = [parts.method.toUpperCase(), parts.pathAndQuery, parts.timestamp, parts.origin, parts.principal].join('\n')
  return `v1=${createHmac('sha256', secret).update(payload).digest('hex')}`
}

function pathAndQueryOf(url: URL): string {
  return `${url.pathname}${url.search}`
}

/** The four hop headers for a request of `principal` to `pathAndQuery`, from node `origin`. */
export function signHop(secret: string, hop: { method: string; pathAndQuery: string; origin: string; principal: Principal | undefined; now: number }): Record<string, string> {
  const timestamp = String(hop.now)
  const principal = hop.principal ? Buffer.from(JSON.stringify(hop.principal)).toString('base64url') : ''
  return {
    [HOP_HEADERS.origin]: hop.origin,
    [HOP_HEADERS.timestamp]: timestamp,
    [HOP_HEADERS.principal]: principal,
    [HOP_HEADERS.signature]: signatureOf(secret, { method: hop.method, pathAndQuery: hop.pathAndQuery, timestamp, origin: hop.origin, principal }),
  }
}

function decodePrincipal(encoded: string): Principal | undefined {
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'))
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const candidate = value as Record<string, unknown>
  const kinds = ['admin', 'account-key', 'jwt']
  if (!kinds.includes(candidate.kind as string) || typeof candidate.isAdmin !== 'boolean' || typeof candidate.credentialId !== 'string') return undefined
  if (candidate.accountId !== null && typeof candidate.accountId !== 'string') return undefined
  if (candidate.phoneNumber !== undefined && typeof candidate.phoneNumber !== 'string') return undefined
  if (candidate.expiresAt !== undefined && typeof candidate.expiresAt !== 'number') return undefined
  return {
    kind: candidate.kind as Principal['kind'],
    accountId: candidate.accountId as string | null,
    isAdmin: candidate.isAdmin,
    credentialId: candidate.credentialId,
    ...(candidate.phoneNumber !== undefined && { phoneNumber: candidate.phoneNumber as string }),
    ...(candidate.expiresAt !== undefined && { expiresAt: candidate.expiresAt as number }),
  }
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

/**
 * The hop a request arrived over: undefined when it carries no hop header at all; a
 * forged, altered, incomplete or expired one is a 401 (never "handled as a normal request").
 */
export function verifyHop(secret: string | undefined, request: Request, now: number): ArrivedHop | undefined {
  const headers = request.headers
  const present = Object.values(HOP_HEADERS).filter((name) => headers.has(name))
  if (present.length === 0) return undefined
  const refused = (reason: string) => new UnauthorizedError(`Refused a forwarded request: ${reason}`)
  if (!secret) throw refused('this node has no CLUSTER_SECRET')
  const origin = headers.get(HOP_HEADERS.origin)
  const timestamp = headers.get(HOP_HEADERS.timestamp)
  const principal = headers.get(HOP_HEADERS.principal)
  const signature = headers.get(HOP_HEADERS.signature)
  if (!origin || !timestamp || principal === null || !signature) throw refused('incomplete hop headers')
  const expected = signatureOf(secret, { method: request.method, pathAndQuery: pathAndQueryOf(new URL(request.url)), timestamp, origin, principal })
  if (!sameText(signature, expected)) throw refused('bad signature')
  const sentAt = Number(timestamp)
  if (!/^\d{1,16}$/.test(timestamp) || Math.abs(now - sentAt) > HOP_MAX_AGE_MS) throw refused('expired hop')
  if (principal === '') return { origin }
  const decoded = decodePrincipal(principal)
  if (!decoded) throw refused('malformed principal')
  return { origin, principal: decoded }
}

export interface ForwarderOptions {
  leases: SessionOwnership
  /** CLUSTER_SECRET; required when clustered. */
  secret?: string
  headersTimeoutMs?: number
  now?: () => number
  /** Tests pass a fetch that records or fails; the default is Bun's. */
  fetch?: typeof fetch
  /** Told when the owner could not be reached (the client gets a 503): for the operator's log. */
  onUnreachable?: (owner: RemoteOwner, error: unknown) => void
}

/**
 * Decides where a number's requests are answered and passes them on. One per node,
 * built in src/deps.ts.
 */
export class RequestForwarder {
  readonly selfNodeId: string
  private readonly headersTimeoutMs: number
  private readonly now: () => number
  private readonly fetch: typeof fetch

  constructor(private readonly options: ForwarderOptions) {
    if (options.leases.clustered && !options.secret) throw new Error('CLUSTER_SECRET is required to forward requests between nodes')
    this.selfNodeId = options.leases.selfNodeId
    this.headersTimeoutMs = options.headersTimeoutMs ?? DEFAULT_FORWARD_HEADERS_TIMEOUT_MS
    this.now = options.now ?? Date.now
    this.fetch = options.fetch ?? fetch
  }

  get clustered(): boolean {
    return this.options.leases.clustered
  }

  /** The hop a request came over (its principal to trust), undefined for a client's request; 401 when forged or expired. */
  arrivedHop(request: Request): ArrivedHop | undefined {
    return verifyHop(this.options.secret, request, this.now())
  }

  /**
   * The live node other than this one that holds the number's lease, or undefined: the
   * request is handled here (this node holds it, or it lapsed, or there is none).
   */
  async remoteOwner(phoneNumber: string): Promise<RemoteOwner | undefined> {
    if (!this.clustered) return undefined
    const lease = await this.options.leases.ownerOf(phoneNumber)
    if (!lease || lease.expired || lease.nodeId === this.selfNodeId) return undefined
    return { nodeId: lease.nodeId, url: lease.url }
  }

  /**
   * At the node a hop reached: it must still hold the number's lease, or the entry node's
   * view was stale (409 with Retry-After; the client retries and reaches the new owner).
   * No lease at all (e.g. the session was deleted meanwhile) is answered here.
   */
  async assertStillOwner(phoneNumber: string): Promise<void> {
    if (!this.clustered) return
    const lease = await this.options.leases.ownerOf(phoneNumber)
    if (!lease) return
    if (lease.nodeId === this.selfNodeId && !lease.expired) return
    const error = new ConflictError(`Node ${this.selfNodeId} no longer runs the session of ${phoneNumber}; retry shortly`, {
      node: this.selfNodeId,
      owner: lease.expired ? null : lease.nodeId,
    })
    error.headers['Retry-After'] = String(STALE_RETRY_AFTER_SECONDS)
    throw error
  }

  /** The owner's URL for this request: the lease's base URL with the request's path and query, nothing else of the request. */
  targetOf(request: Request, owner: RemoteOwner): URL {
    const base = new URL(owner.url)
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new EngineUnavailableError('cluster', `Node ${owner.nodeId} has an unusable URL`)
    const incoming = new URL(request.url)
    const target = new URL(base.origin)
    target.pathname = `${base.pathname.replace(/\/+$/, '')}${incoming.pathname}`
    target.search = incoming.search
    return target
  }

  /** Passes the request to its owner and returns the owner's response, streamed. No principal: a public route. */
  async forward(request: Request, owner: RemoteOwner, principal: Principal | undefined): Promise<Response> {
    const target = this.targetOf(request, owner)
    const headers = endToEndHeaders(request.headers)
    // A client could send these itself; only ours may reach the owner.
    for (const name of Object.values(HOP_HEADERS)) headers.delete(name)
    const signed = signHop(this.options.secret ?? '', { method: request.method, pathAndQuery: pathAndQueryOf(new URL(request.url)), origin: this.selfNodeId, principal, now: this.now() })
    for (const [name, value] of Object.entries(signed)) headers.set(name, value)
    // The owner's answer is bound to the client's request: a client that goes away (an SSE
    // reader closing) ends the owner's side too. Until the headers arrive a deadline applies.
    const aborter = new AbortController()
    const abort = () => aborter.abort()
    request.signal.addEventListener('abort', abort, { once: true })
    const deadline = setTimeout(abort, this.headersTimeoutMs)
    const hasBody = request.body !== null && request.method !== 'GET' && request.method !== 'HEAD'
    let upstream: Response
    try {
      upstream = await this.fetch(target, {
        method: request.method,
        headers,
        redirect: 'manual',
        signal: aborter.signal,
        decompress: false,
        ...(hasBody && { body: request.body, duplex: 'half' }),
      } as RequestInit)
    } catch (error) {
      request.signal.removeEventListener('abort', abort)
      this.options.onUnreachable?.(owner, error)
      throw new EngineUnavailableError('cluster', `Node ${owner.nodeId}, which runs this session, cannot be reached; retry shortly`)
    } finally {
      clearTimeout(deadline)
    }
    const responseHeaders = endToEndHeaders(upstream.headers)
    if (!responseHeaders.has(SESSION_NODE_HEADER)) responseHeaders.set(SESSION_NODE_HEADER, owner.nodeId)
    const body = upstream.body
    if (!body) {
      request.signal.removeEventListener('abort', abort)
      return new Response(null, { status: upstream.status, headers: responseHeaders })
    }
    const release = () => request.signal.removeEventListener('abort', abort)
    return new Response(passThrough(body, release, aborter), { status: upstream.status, headers: responseHeaders })
  }
}

/** The owner's body as a stream of its own, so that a client's cancel reaches the owner. */
function passThrough(body: ReadableStream<Uint8Array>, release: () => void, aborter: AbortController): ReadableStream<Uint8Array> {
  const reader = body.getReader()
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read()
        if (done) {
          release()
          controller.close()
        } else controller.enqueue(value)
      } catch (error) {
        release()
        controller.error(error)
      }
    },
    cancel(reason) {
      release()
      aborter.abort()
      return reader.cancel(reason).catch(() => undefined)
    },
  })
}
