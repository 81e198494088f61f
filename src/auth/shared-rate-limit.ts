/**
 * The rate limiter of rate-limit.ts with its state in the database, for nodes that share
 * one Postgres (API.md §10): a credential's budget is the same whichever node a request
 * reaches, and each request is counted once, by the node that received it.
 *
 * Same algorithm (GCRA) and the same answers as the in-memory limiter, with the bucket
 * kept as its theoretical arrival time (`tat`, ms) in `rate_limit_buckets`. One statement
 * per request decides and counts atomically: the upsert only moves `tat` when the request
 * fits, so concurrent requests on several nodes can never spend the same capacity twice.
 * A refused request costs nothing (and one more read, for Retry-After). A bucket whose
 * `tat` has passed is a full bucket; such rows are swept now and then.
 */
import type { SQL } from 'bun'
import type { RateLimitResult } from './rate-limit'

/** A rate limiter whose answer may take a round trip (the database's). */
export interface Limiter {
  readonly limit: number
  consume(key: string): RateLimitResult | Promise<RateLimitResult>
}

const SWEEP_INTERVAL_MS = 60_000

export function createSharedRateLimiter(
  db: SQL,
  options: { name: string; limit: number; windowMs: number; now?: () => number },
): Limiter {
  const { name, limit, windowMs } = options
  if (!Number.isSafeInteger(limit) || limit < 1) throw new Error('rate limit `limit` must be a positive integer')
  if (!Number.isFinite(windowMs) || windowMs <= 0) throw new Error('rate limit `windowMs` must be a positive number of milliseconds')
  const now = options.now ?? Date.now
  const interval = windowMs / limit
  const epsilon = windowMs * 1e-9
  let lastSweep = 0

  async function sweep(t: number): Promise<void> {
    if (t - lastSweep < SWEEP_INTERVAL_MS) return
    lastSweep = t
    await db`DELETE FROM rate_limit_buckets WHERE expires_at < ${t}`
  }

  return {
    limit,
    async consume(key) {
      const t = now()
      const bucket = `${name}:${key}`
      await sweep(t)
      const admitted: { tat: number | string }[] = await db`
        INSERT INTO rate_limit_buckets (bucket, tat, expires_at) VALUES (${bucket}, ${t + interval}, ${t + interval})
        ON CONFLICT (bucket) DO UPDATE
          SET tat = GREATEST(rate_limit_buckets.tat, ${t}) + ${interval}, expires_at = GREATEST(rate_limit_buckets.tat, ${t}) + ${interval}
          WHERE GREATEST(rate_limit_buckets.tat, ${t}) + ${interval} - ${t} <= ${windowMs + epsilon}
        RETURNING tat`
      if (admitted[0]) {
        const next = Number(admitted[0].tat) - t
        const remaining = Math.min(limit, Math.max(0, Math.floor((windowMs - next) / interval + 1e-6)))
        return { allowed: true, limit, remaining, resetSeconds: toSeconds(next), retryAfterSeconds: 0 }
      }
      const rows: { tat: number | string }[] = await db`SELECT tat FROM rate_limit_buckets WHERE bucket = ${bucket}`
      const backlog = Math.max(0, Number(rows[0]?.tat ?? t) - t)
      return {
        allowed: false,
        limit,
        remaining: 0,
        resetSeconds: toSeconds(backlog),
        retryAfterSeconds: Math.max(1, toSeconds(backlog + interval - windowMs)),
      }
    },
  }
}

function toSeconds(ms: number): number {
  return Math.max(0, Math.ceil(ms / 1000 - 1e-9))
}
