/**
 * The contract's three guards, as Elysia macros: a route opts in with
 * `{ requireAuth: true }`, `{ requireSingleAccountProtected: true }` or
 * `{ requireWahaProtected: true }` and receives the resolved `principal` (and the
 * validated `phoneNumber` for number routes).
 *
 * The checks run in the route's `transform` phase, before its params and body are
 * validated: a caller without credentials gets 401, and another account 403, whatever
 * the body says, and nothing about the route's input is revealed to them. Order:
 * authentication (401, or 429 when the client IP failed too often; a valid credential is
 * never refused for its IP) → per-credential rate limits (429) → phone number (400) →
 * ownership (403). `resolve` then hands the result to the handler.
 *
 * In a cluster (API.md §10), a request for a number whose session another node runs is
 * passed on there after those checks (src/cluster/forward.ts): `onRequest` finds the number
 * (our `/:phoneNumber` routes, WAHA's session in path, query or a small JSON body, a link
 * invite's token), looks the lease up before the body is read (so the body can stream on
 * unread) and verifies a hop header; the guard's transform then answers with the owner's
 * response (a link invite's public routes, which have no guard, are passed on from
 * `onRequest` itself). A request that arrived over a signed hop carries its caller's
 * principal, already authenticated and counted at the entry node: it is neither
 * authenticated nor rate limited again, and never forwarded.
 */
import { Elysia, status } from 'elysia'
import type { Server } from 'bun'
import { SESSION_NODE_HEADER, type ArrivedHop, type RemoteOwner, type RequestForwarder } from '../cluster/forward'
import { ForbiddenError, UnauthorizedError } from '../errors'
import { API_BASE } from '../lib/api-paths'
import { parsePhoneNumber, PHONE_NUMBER_PATTERN } from '../lib/phone'
import { readCapped } from '../lib/read-capped'
import { leaveBodyUnread } from '../lib/unread-body'
import { resolveClientIp, TRUST_PROXY_OFF, type TrustProxy } from '../lib/client-ip'
import type { SessionManager } from '../sessions/manager'
import { presentedToken } from './credentials'
import type { Authenticator, Principal } from './principal'
import type { RequestLimits } from './request-limits'

export interface GuardDeps {
  authenticator: Authenticator
  sessions: SessionManager
  /** Accepts inbound WAHA callbacks: WAHA_API_KEY, or the admin key through the authenticator. */
  wahaKeyMatches?: (presented: string) => boolean
  /** Rate limits (per credential, sends, failed auth per IP); absent → none. */
  limits?: RequestLimits
  /** TRUST_PROXY: when X-Forwarded-For names the client; absent → never. */
  trustProxy?: TrustProxy
  /** Where a number's requests are answered (this node, or its session's node); absent → always here, no X-Session-Node. */
  forwarder?: RequestForwarder
  /** The number a link invite's token opens (undefined when it opens none), so its public routes are forwarded too. */
  numberOfLinkToken?: (token: string) => Promise<string | undefined>
}

interface Guarded {
  principal: Principal
  phoneNumber: string
}

/** What `transform` established for a request, for `resolve` to return. */
const established = new WeakMap<Request, Guarded>()

/** What `onRequest` learnt of a number's request: the hop it came over, or the node to pass it to. */
const routed = new WeakMap<Request, { phoneNumber: string; hop?: ArrivedHop; owner?: RemoteOwner }>()

const PHONE_SEGMENT = new RegExp(PHONE_NUMBER_PATTERN)

function phoneIn(raw: string | null | undefined): string | undefined {
  if (!raw) return undefined
  let decoded: string
  try {
    decoded = decodeURIComponent(raw)
  } catch {
    return undefined
  }
  return PHONE_SEGMENT.test(decoded) ? parsePhoneNumber(decoded) : undefined
}

/**
 * The number a request is for, when it names one: our routes' `/api/whatsapp/:phoneNumber…`;
 * WAHA's `/api/:session/…` and `/api/sessions/:session…` with a number for the session,
 * or (without a body) its `session` query parameter.
 */
function numberOfRequest(request: Request): string | undefined {
  const url = new URL(request.url)
  const path = url.pathname
  if (path.startsWith(`${API_BASE}/`)) return phoneIn(path.slice(API_BASE.length + 1).split('/', 1)[0])
  if (!path.startsWith('/api/')) return undefined
  const [first, second] = path.slice('/api/'.length).split('/')
  if (first === 'sessions') return phoneIn(second)
  const named = phoneIn(first)
  if (named !== undefined) return named
  return request.method === 'GET' ? phoneIn(url.searchParams.get('session')) : undefined
}

/** The token of a link invite's public routes (`/api/whatsapp/link/:token/…`, not the page itself). */
function linkTokenOf(request: Request): string | undefined {
  const match = new RegExp(`^${API_BASE}/link/([^/]+)/(?:state|events|pairing-code)$`).exec(new URL(request.url).pathname)
  return match?.[1]
}

/** WAHA bodies that name their session are small JSON; a larger body is not looked into. */
const PEEK_BODY_BYTES = 64 * 1024

/**
 * WAHA's operations that name their session only in a JSON body (`POST /api/sendText
 * {session, …}`): the session is read from a copy of the body, so the body itself stays
 * unread and can still stream on to the owner (or be parsed here).
 */
async function numberInWahaBody(request: Request): Promise<string | undefined> {
  const path = new URL(request.url).pathname
  if (!path.startsWith('/api/') || path.startsWith(`${API_BASE}/`) || request.method === 'GET' || !request.body) return undefined
  if (!(request.headers.get('content-type') ?? '').toLowerCase().includes('json')) return undefined
  try {
    const bytes = await readCapped(new Response(request.clone().body), PEEK_BODY_BYTES, () => new Error('too large to peek'))
    const session = (JSON.parse(new TextDecoder().decode(bytes)) as { session?: unknown } | null)?.session
    return typeof session === 'string' ? phoneIn(session) : undefined
  } catch {
    return undefined // malformed or large: answered here, where the parser says why
  }
}

/**
 * Ends a request in `transform` with this response. Elysia answers a status value returned
 * from transform and skips validation and the handler; its types declare transform as void.
 * Forwarding must happen this early: validation would judge a body this node never read.
 */
function answerInstead(response: Response): void {
  return status(response.status, response) as unknown as void
}

/** A guarded route reached over a hop needs the caller the hop names; a hop made for a public route names none. */
function hopPrincipal(hop: ArrivedHop): Principal {
  if (!hop.principal) throw new UnauthorizedError('Refused a forwarded request: it carries no caller')
  return hop.principal
}

function taken(request: Request): Guarded {
  const guarded = established.get(request)
  // Unreachable unless a guard's transform was skipped; refuse rather than run unauthenticated.
  if (!guarded) throw new UnauthorizedError()
  return guarded
}

/**
 * Whether the caller may act on a number: the admin always; a key restricted to one number
 * only there; otherwise the number must be unclaimed (no session yet) or the caller's
 * account's. A session started by the admin without an `accountId` belongs to no account
 * and is the admin's alone: no account can reach or claim it.
 */
export async function assertOwnsNumber(principal: Principal, phoneNumber: string, sessions: SessionManager): Promise<void> {
  if (principal.isAdmin) return
  if (principal.phoneNumber !== undefined && principal.phoneNumber !== phoneNumber) {
    throw new ForbiddenError(`This credential is restricted to ${principal.phoneNumber}`)
  }
  const record = await sessions.find(phoneNumber)
  if (record && record.accountId !== principal.accountId) {
    throw new ForbiddenError(`Number ${phoneNumber} belongs to another account`)
  }
}

/** The client's address: the TCP peer, or per TRUST_PROXY the client X-Forwarded-For names. */
export function clientIp(server: Server<unknown> | null, request: Request, trust: TrustProxy = TRUST_PROXY_OFF): string | undefined {
  let peer: string | undefined
  try {
    peer = server?.requestIP(request)?.address ?? undefined
  } catch {
    peer = undefined
  }
  return resolveClientIp(peer, request.headers.get('x-forwarded-for'), trust)
}

export function authGuards(deps: GuardDeps) {
  const { authenticator, limits } = deps

  const ipOf = (server: Server<unknown> | null, request: Request) => clientIp(server, request, deps.trustProxy)

  /**
   * Authenticates, counting failures per client IP: an IP that failed too often gets 429s, a
   * valid credential always passes. The address is looked up only on a failure (it was ~4%
   * of a guarded GET's CPU on every request).
   */
  async function authenticate(request: Request, server: Server<unknown> | null): Promise<Principal> {
    try {
      return await authenticator.authenticate(request.headers)
    } catch (error) {
      if (error instanceof UnauthorizedError) throw (await limits?.recordAuthFailure(ipOf(server, request))) ?? error
      throw error
    }
  }

  /** Counts the request; a promise only when the buckets are in the database (shared by a cluster's nodes). */
  function rateLimit(principal: Principal, request: Request, route: string, headers: Record<string, unknown>): void | Promise<void> {
    if (!limits) return
    const counted = limits.consume(principal, request.method, route)
    if (counted instanceof Promise) return counted.then((limitHeaders) => void Object.assign(headers, limitHeaders))
    Object.assign(headers, counted)
  }

  const forwarder = deps.forwarder

  async function forwardFor(request: Request, owner: RemoteOwner, principal: Principal | undefined, headers: Record<string, unknown>): Promise<Response> {
    const answer = await forwarder!.forward(request, owner, principal)
    headers[SESSION_NODE_HEADER] = answer.headers.get(SESSION_NODE_HEADER) ?? owner.nodeId
    return answer
  }

  return new Elysia({ name: 'auth-guards', seed: deps })
    .onRequest(async ({ request, set }) => {
      if (!forwarder || routed.has(request)) return
      const token = linkTokenOf(request)
      // Only a cluster looks up tokens and into bodies: on one node the session is always here.
      let phoneNumber = numberOfRequest(request)
      if (phoneNumber === undefined && forwarder.clustered) {
        phoneNumber = token !== undefined ? await deps.numberOfLinkToken?.(token) : await numberInWahaBody(request)
      }
      if (phoneNumber === undefined) return
      set.headers[SESSION_NODE_HEADER] = forwarder.selfNodeId
      const hop = forwarder.arrivedHop(request)
      if (hop) {
        // Trusted as the entry node's, but only while this node still runs the session.
        await forwarder.assertStillOwner(phoneNumber)
        routed.set(request, { phoneNumber, hop })
        return
      }
      // A WebSocket upgrade (WAHA's /api/ws) cannot cross a hop: answered here.
      if (request.method === 'GET' && /websocket/i.test(request.headers.get('upgrade') ?? '')) return
      const owner = await forwarder.remoteOwner(phoneNumber)
      routed.set(request, owner ? { phoneNumber, owner } : { phoneNumber })
      if (!owner) return
      // A link invite's routes are public (the token is the credential, checked by the owner): passed on at once.
      if (token !== undefined) return forwardFor(request, owner, undefined, set.headers)
      leaveBodyUnread(request)
    })
    .macro({
      requireAuth: {
        // WAHA's routes of a session (`/api/:session/…`) are forwarded like ours; the service
        // then checks the account against the number, at the owner.
        async transform({ request, route, server, set }) {
          const routing = routed.get(request)
          if (routing?.hop) {
            established.set(request, { principal: hopPrincipal(routing.hop), phoneNumber: '' })
            return
          }
          const principal = await authenticate(request, server)
          const counting = rateLimit(principal, request, route, set.headers)
          if (counting) await counting
          if (routing?.owner && forwarder) return answerInstead(await forwardFor(request, routing.owner, principal, set.headers))
          established.set(request, { principal, phoneNumber: '' })
        },
        resolve({ request }) {
          return { principal: taken(request).principal }
        },
      },
      requireSingleAccountProtected: {
        async transform({ request, params, route, server, set }) {
          const raw = (params as Record<string, string | undefined>).phoneNumber ?? ''
          const routing = routed.get(request)
          if (routing?.hop) {
            const principal = hopPrincipal(routing.hop)
            const phoneNumber = parsePhoneNumber(raw)
            await assertOwnsNumber(principal, phoneNumber, deps.sessions)
            established.set(request, { principal, phoneNumber })
            return
          }
          const principal = await authenticate(request, server)
          const counting = rateLimit(principal, request, route, set.headers)
          if (counting) await counting
          const phoneNumber = parsePhoneNumber(raw)
          await assertOwnsNumber(principal, phoneNumber, deps.sessions)
          if (routing?.owner && forwarder) return answerInstead(await forwardFor(request, routing.owner, principal, set.headers))
          established.set(request, { principal, phoneNumber })
        },
        resolve({ request }) {
          const { principal, phoneNumber } = taken(request)
          return { principal, phoneNumber }
        },
      },
      requireWahaProtected: {
        // Inbound engine callbacks are not rate limited per credential (dropping them loses
        // events); failed attempts still count against the caller's IP.
        async transform({ request, server }) {
          const ip = ipOf(server, request)
          const token = presentedToken(request.headers)
          if (token && deps.wahaKeyMatches?.(token)) {
            established.set(request, { principal: { kind: 'admin', accountId: null, isAdmin: true, credentialId: 'waha' }, phoneNumber: '' })
            return
          }
          const principal = await authenticator.authenticate(request.headers).catch(() => undefined)
          if (!principal?.isAdmin) {
            throw (await limits?.recordAuthFailure(ip)) ?? new UnauthorizedError('WAHA callbacks need X-Api-Key set to WAHA_API_KEY')
          }
          established.set(request, { principal, phoneNumber: '' })
        },
        resolve({ request }) {
          return { principal: taken(request).principal }
        },
      },
    })
    .as('global')
}
