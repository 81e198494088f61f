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
 */
import { Elysia } from 'elysia'
import type { Server } from 'bun'
import { ForbiddenError, UnauthorizedError } from '../errors'
import { parsePhoneNumber } from '../lib/phone'
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
}

interface Guarded {
  principal: Principal
  phoneNumber: string
}

/** What `transform` established for a request, for `resolve` to return. */
const established = new WeakMap<Request, Guarded>()

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

  return new Elysia({ name: 'auth-guards', seed: deps })
    .macro({
      requireAuth: {
        async transform({ request, route, server, set }) {
          const principal = await authenticate(request, server)
          const counting = rateLimit(principal, request, route, set.headers)
          if (counting) await counting
          established.set(request, { principal, phoneNumber: '' })
        },
        resolve({ request }) {
          return { principal: taken(request).principal }
        },
      },
      requireSingleAccountProtected: {
        async transform({ request, params, route, server, set }) {
          const principal = await authenticate(request, server)
          const counting = rateLimit(principal, request, route, set.headers)
          if (counting) await counting
          const raw = (params as Record<string, string | undefined>).phoneNumber ?? ''
          const phoneNumber = parsePhoneNumber(raw)
          await assertOwnsNumber(principal, phoneNumber, deps.sessions)
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
