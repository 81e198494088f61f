/**
 * In-memory rate limiter: `limit` requests per `windowMs` per key.
 *
 * Algorithm: GCRA (the generic cell rate algorithm), i.e. a token bucket of capacity
 * `limit` refilled continuously at `limit / windowMs`, kept as one "theoretical arrival
 * time" per key instead of a token count and a refill timestamp. Why:
 * - a burst of `limit` is allowed, then requests are admitted as capacity returns, with
 *   no doubled burst at a fixed-window boundary and no per-request log (O(1) per key);
 * - `remaining`, the time until the bucket is full again (`RateLimit-Reset`) and the exact
 *   `Retry-After` all fall out of the one number;
 * - a key whose bucket has refilled is indistinguishable from a key never seen, so
 *   evicting it is exact, not an approximation: memory holds only keys active in the
 *   last window, plus a hard `maxKeys` cap (least recently admitted key evicted first).
 *
 * Refused requests do not consume capacity. The clock is injectable; no timers are used,
 * so the limiter needs no disposal.
 */

export interface RateLimiterOptions {
  /** Requests allowed per window (the burst size). */
  limit: number
  /** The window, in milliseconds, over which `limit` requests are replenished. */
  windowMs: number
  /** Clock in milliseconds; default `Date.now`. */
  now?: () => number
  /** Hard cap on tracked keys; default 100 000. */
  maxKeys?: number
}

export interface RateLimitResult {
  allowed: boolean
  limit: number
  /** Requests that could still be made right now. */
  remaining: number
  /** Seconds until the full `limit` is available again. */
  resetSeconds: number
  /** Seconds until the next request would be allowed; 0 when this one was. */
  retryAfterSeconds: number
}

export interface RateLimiter {
  readonly limit: number
  readonly windowMs: number
  /** Counts one request for `key` when allowed; a refused request costs nothing. */
  consume(key: string): RateLimitResult
  /** Forgets `key` (e.g. after a successful login). */
  reset(key: string): void
  clear(): void
  /** Keys currently tracked. */
  readonly size: number
}

export const DEFAULT_MAX_KEYS = 100_000

interface Entry {
  /** When the entry was last admitted, by the limiter's clock. */
  at: number
  /** How far the theoretical arrival time lay beyond `at`, in ms (0 … windowMs). */
  excess: number
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { limit, windowMs } = options
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1) {
    throw new Error('rate limit `limit` must be a positive integer')
  }
  if (typeof windowMs !== 'number' || !Number.isFinite(windowMs) || windowMs <= 0) {
    throw new Error('rate limit `windowMs` must be a positive number of milliseconds')
  }
  const maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS
  if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) {
    throw new Error('rate limit `maxKeys` must be a positive integer')
  }
  const now = options.now ?? Date.now
  if (typeof now !== 'function') throw new Error('rate limit `now` must be a function')

  /** Time one request's worth of capacity takes to come back. */
  const interval = windowMs / limit
  /** Absorbs floating-point error of summed intervals; far below one interval. */
  const epsilon = windowMs * 1e-9
  /** Insertion order = order of last admission, so the head is the least recently admitted. */
  const entries = new Map<string, Entry>()

  function evictStale(t: number): void {
    // Any entry admitted a full window ago has refilled completely. Entries are ordered by
    // admission time, so stop at the first one that is still recent.
    for (const [key, entry] of entries) {
      if (entry.at + windowMs > t) break
      entries.delete(key)
    }
  }

  function consume(key: string): RateLimitResult {
    const t = now()
    evictStale(t)

    const entry = entries.get(key)
    // Backlog still pending for this key; a clock that stepped back counts as no time elapsed.
    const backlog = entry === undefined ? 0 : Math.max(0, entry.excess - Math.max(0, t - entry.at))
    const next = backlog + interval

    if (next > windowMs + epsilon) {
      return {
        allowed: false,
        limit,
        remaining: 0,
        resetSeconds: toSeconds(backlog),
        retryAfterSeconds: Math.max(1, toSeconds(next - windowMs)),
      }
    }

    entries.delete(key)
    entries.set(key, { at: t, excess: next })
    while (entries.size > maxKeys) {
      const oldest = entries.keys().next()
      if (oldest.done === true) break
      entries.delete(oldest.value)
    }

    const remaining = Math.min(limit, Math.max(0, Math.floor((windowMs - next) / interval + 1e-6)))
    return { allowed: true, limit, remaining, resetSeconds: toSeconds(next), retryAfterSeconds: 0 }
  }

  return {
    limit,
    windowMs,
    consume,
    reset: (key) => void entries.delete(key),
    clear: () => entries.clear(),
    get size() {
      return entries.size
    },
  }
}

/**
 * Headers for a limiter result, per the IETF draft (draft-ietf-httpapi-ratelimit-headers,
 * the widely deployed `RateLimit-Limit`/`-Remaining`/`-Reset` form, delta seconds), plus
 * `Retry-After` (RFC 9110) when the request was refused.
 */
export function rateLimitHeaders(result: RateLimitResult): Record<string, string> {
  const headers: Record<string, string> = {
    'RateLimit-Limit': String(result.limit),
    'RateLimit-Remaining': String(result.remaining),
    'RateLimit-Reset': String(result.resetSeconds),
  }
  if (!result.allowed) headers['Retry-After'] = String(Math.max(1, result.retryAfterSeconds))
  return headers
}

function toSeconds(ms: number): number {
  // The small subtraction keeps 1000.0000001 ms (float residue) at 1 s, not 2.
  return Math.max(0, Math.ceil(ms / 1000 - 1e-9))
}
