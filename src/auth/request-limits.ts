/**
 * The API's rate limits, applied by the guards (so public routes are never limited):
 *
 * - per credential (`principal.credentialId`: account key id, `jwt:<account>`, `admin`) on
 *   every authenticated request;
 * - per credential, lower, on sends: `POST …/:phoneNumber/send-*`,
 *   `POST …/:phoneNumber/messages/:id/forward` and `POST …/:phoneNumber/status`, matched on
 *   the route's path pattern so any module's routes are covered without importing it;
 * - per client IP on failed authentications: past the limit the IP's failing attempts are
 *   answered 429 instead of 401 until its budget allows another attempt. A valid credential
 *   is never refused by it — otherwise anyone sharing an address with the admin (behind
 *   the same proxy, the same NAT) could lock the admin out with a few wrong keys. That a
 *   correct guess still gets in is acceptable because no credential is guessable: API_KEY
 *   has at least 16 characters, issued keys carry 256 random bits, JWTs are signed. The
 *   IP is the TCP peer, or per TRUST_PROXY the client named by X-Forwarded-For
 *   (src/lib/client-ip.ts).
 *
 * Each limit is a GCRA bucket of `N` per minute (a burst of N, refilled continuously): in
 * memory on one node (SQLite), in the database when nodes share a Postgres (`shared`), so a
 * credential has one budget across the cluster, spent at the node that received the request.
 */
import { RateLimitedError } from '../errors'
import type { RateLimitConfig } from '../config'
import type { SQL } from 'bun'
import { createRateLimiter, rateLimitHeaders, type RateLimitResult } from './rate-limit'
import { createSharedRateLimiter, type Limiter } from './shared-rate-limit'
import type { Principal } from './principal'

const MINUTE_MS = 60_000
const MAX_BLOCKED_IPS = 100_000

const SEND_ROUTES: readonly RegExp[] = [
  /\/:phoneNumber\/send-[A-Za-z0-9-]+$/,
  /\/:phoneNumber\/messages\/:[A-Za-z0-9_]+\/forward$/,
  /\/:phoneNumber\/status$/,
]

/** Whether a route (method and path pattern, e.g. `/api/whatsapp/:phoneNumber/send-text`) is a send. */
export function isSendRoute(method: string, routePath: string): boolean {
  return method.toUpperCase() === 'POST' && SEND_ROUTES.some((pattern) => pattern.test(routePath))
}

export class RequestLimits {
  private readonly requests: Limiter | undefined
  private readonly sends: Limiter | undefined
  private readonly authFailures: Limiter | undefined
  /** IP → epoch ms until which it is refused. Insertion order ≈ expiry order. */
  private readonly blockedIps = new Map<string, number>()
  private readonly now: () => number

  /** `shared`: the database the cluster's nodes share; the buckets live there. */
  constructor(config: RateLimitConfig, now: () => number = Date.now, shared?: SQL) {
    this.now = now
    const make = (name: string, perMinute: number): Limiter | undefined => {
      if (perMinute <= 0) return undefined
      return shared
        ? createSharedRateLimiter(shared, { name, limit: perMinute, windowMs: MINUTE_MS, now })
        : createRateLimiter({ limit: perMinute, windowMs: MINUTE_MS, now })
    }
    this.requests = make('requests', config.requestsPerMinute)
    this.sends = make('sends', config.sendsPerMinute)
    this.authFailures = make('auth-failures', config.authFailuresPerMinute)
  }

  /**
   * Counts one request of an authenticated caller. Returns the `RateLimit-*` headers to send
   * (the tighter of the applicable limits), or throws 429 with `Retry-After` and those headers.
   * Synchronous with the in-memory buckets (no promise on every request of a single node),
   * a promise with the shared ones.
   */
  consume(principal: Principal, method: string, routePath: string): Record<string, string> | Promise<Record<string, string>> {
    const results: RateLimitResult[] = []
    const sends = this.sends && isSendRoute(method, routePath) ? this.sends : undefined
    const afterSends = (): Record<string, string> => {
      const final = results.find((r) => !r.allowed)
      if (final) {
        throw rateLimited(final, final === results[0] ? 'Too many requests for this credential' : 'Too many sends for this credential')
      }
      const tightest = results.reduce<RateLimitResult | undefined>((a, b) => (a === undefined || b.remaining < a.remaining ? b : a), undefined)
      return tightest ? rateLimitHeaders(tightest) : {}
    }
    const afterRequests = (): Record<string, string> | Promise<Record<string, string>> => {
      if (results.some((r) => !r.allowed) || !sends) return afterSends()
      return settle(sends.consume(principal.credentialId), (result) => {
        results.push(result)
        return afterSends()
      })
    }
    if (!this.requests) return afterRequests()
    return settle(this.requests.consume(principal.credentialId), (result) => {
      results.push(result)
      return afterRequests()
    })
  }

  /**
   * Counts a failed authentication; returns the 429 to answer instead of the 401 while the
   * IP is over its limit. Only failures are ever counted or refused.
   */
  async recordAuthFailure(ip: string | undefined): Promise<RateLimitedError | undefined> {
    if (ip === undefined || !this.authFailures) return undefined
    const until = this.blockedIps.get(ip)
    if (until !== undefined) {
      const now = this.now()
      if (until > now) return blockedError(Math.max(1, Math.ceil((until - now) / 1000)), this.authFailures.limit)
      this.blockedIps.delete(ip)
    }
    const result = await this.authFailures.consume(ip)
    if (result.allowed) return undefined
    const now = this.now()
    for (const [key, until] of this.blockedIps) {
      if (until > now && this.blockedIps.size < MAX_BLOCKED_IPS) break
      this.blockedIps.delete(key)
    }
    this.blockedIps.set(ip, now + result.retryAfterSeconds * 1000)
    return blockedError(result.retryAfterSeconds, result.limit)
  }
}

function rateLimited(result: RateLimitResult, message: string): RateLimitedError {
  const error = new RateLimitedError(Math.max(1, result.retryAfterSeconds), message)
  Object.assign(error.headers, rateLimitHeaders(result))
  return error
}

function blockedError(retryAfterSeconds: number, limit: number): RateLimitedError {
  return new RateLimitedError(
    retryAfterSeconds,
    `Too many failed authentication attempts from this address (limit ${limit} per minute); retry later`,
  )
}

/** `next(value)` now for a plain value, once it resolves for a promise. */
function settle<T, U>(value: T | Promise<T>, next: (value: T) => U | Promise<U>): U | Promise<U> {
  return value instanceof Promise ? value.then(next) : next(value)
}
