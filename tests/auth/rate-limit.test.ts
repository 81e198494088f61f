import { describe, expect, test } from 'bun:test'
import { createRateLimiter, rateLimitHeaders, type RateLimitResult } from '../../src/auth/rate-limit'
import { RateLimitedError } from '../../src/errors'

/** A clock the test moves by hand. */
function manualClock(start = 1_767_225_600_000) {
  let t = start
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms
    },
  }
}

describe('rate limiter (GCRA / token bucket)', () => {
  test('N allowed, N+1 refused with retryAfter > 0, allowed again after the window', () => {
    const clock = manualClock()
    const limiter = createRateLimiter({ limit: 5, windowMs: 60_000, now: clock.now })

    const results: RateLimitResult[] = []
    for (let i = 0; i < 5; i++) results.push(limiter.consume('k'))
    expect(results.every((r) => r.allowed)).toBe(true)
    expect(results.map((r) => r.remaining)).toEqual([4, 3, 2, 1, 0])
    expect(results.every((r) => r.limit === 5 && r.retryAfterSeconds === 0)).toBe(true)

    const refused = limiter.consume('k')
    expect(refused.allowed).toBe(false)
    expect(refused.remaining).toBe(0)
    // one request's worth of capacity (60 s / 5) comes back after 12 s
    expect(refused.retryAfterSeconds).toBe(12)
    expect(refused.resetSeconds).toBe(60)

    // refusals cost nothing: still exactly 12 s to wait
    expect(limiter.consume('k').retryAfterSeconds).toBe(12)

    clock.advance(60_000)
    const after = Array.from({ length: 5 }, () => limiter.consume('k'))
    expect(after.every((r) => r.allowed)).toBe(true)
    expect(limiter.consume('k').allowed).toBe(false)
  })

  test('capacity returns gradually: one request per limit/window', () => {
    const clock = manualClock()
    const limiter = createRateLimiter({ limit: 5, windowMs: 60_000, now: clock.now })
    for (let i = 0; i < 5; i++) limiter.consume('k')
    clock.advance(11_999)
    const early = limiter.consume('k')
    expect(early.allowed).toBe(false)
    expect(early.retryAfterSeconds).toBe(1)
    clock.advance(1)
    const onTime = limiter.consume('k')
    expect(onTime.allowed).toBe(true)
    expect(onTime.remaining).toBe(0)
    expect(limiter.consume('k').allowed).toBe(false)
  })

  test('keys are independent', () => {
    const clock = manualClock()
    const limiter = createRateLimiter({ limit: 2, windowMs: 1_000, now: clock.now })
    expect(limiter.consume('a').allowed).toBe(true)
    expect(limiter.consume('a').allowed).toBe(true)
    expect(limiter.consume('a').allowed).toBe(false)
    expect(limiter.consume('b').allowed).toBe(true)
    limiter.reset('a')
    expect(limiter.consume('a').allowed).toBe(true)
  })

  test('exact at the boundary despite fractional intervals (limit 3 per 1 s)', () => {
    const clock = manualClock()
    const limiter = createRateLimiter({ limit: 3, windowMs: 1_000, now: clock.now })
    for (let round = 0; round < 50; round++) {
      const burst = [limiter.consume('k'), limiter.consume('k'), limiter.consume('k'), limiter.consume('k')]
      expect(burst.map((r) => r.allowed)).toEqual([true, true, true, false])
      expect(burst.map((r) => r.remaining)).toEqual([2, 1, 0, 0])
      clock.advance(1_000)
    }
  })

  test('large limits are counted exactly', () => {
    const clock = manualClock()
    const limiter = createRateLimiter({ limit: 10_000, windowMs: 1_000, now: clock.now })
    let allowed = 0
    for (let i = 0; i < 10_001; i++) if (limiter.consume('k').allowed) allowed++
    expect(allowed).toBe(10_000)
  })

  test('a clock that steps back does not grant extra requests', () => {
    const clock = manualClock()
    const limiter = createRateLimiter({ limit: 2, windowMs: 10_000, now: clock.now })
    limiter.consume('k')
    limiter.consume('k')
    clock.advance(-5_000)
    expect(limiter.consume('k').allowed).toBe(false)
  })

  test('stale keys are evicted: memory holds only keys active within the window', () => {
    const clock = manualClock()
    const limiter = createRateLimiter({ limit: 10, windowMs: 1_000, now: clock.now })
    for (let i = 0; i < 1_000; i++) limiter.consume(`ip-${i}`)
    expect(limiter.size).toBe(1_000)
    clock.advance(1_000)
    limiter.consume('fresh')
    expect(limiter.size).toBe(1)
    // steady churn of new keys stays bounded by what one window sees
    for (let i = 0; i < 10_000; i++) {
      limiter.consume(`churn-${i}`)
      clock.advance(1)
    }
    expect(limiter.size).toBeLessThanOrEqual(1_000)
  })

  test('eviction only forgets keys whose bucket has refilled', () => {
    const clock = manualClock()
    const limiter = createRateLimiter({ limit: 2, windowMs: 1_000, now: clock.now })
    limiter.consume('busy')
    limiter.consume('busy')
    clock.advance(999)
    limiter.consume('other') // sweeps; 'busy' is still within its window
    const busy = limiter.consume('busy')
    expect(busy.allowed).toBe(true) // one token came back after 500 ms …
    expect(limiter.consume('busy').allowed).toBe(false) // … but only one
  })

  test('maxKeys is a hard cap (least recently admitted key goes first)', () => {
    const clock = manualClock()
    const limiter = createRateLimiter({ limit: 1, windowMs: 60_000, now: clock.now, maxKeys: 100 })
    for (let i = 0; i < 1_000; i++) limiter.consume(`k-${i}`)
    expect(limiter.size).toBe(100)
    expect(limiter.consume('k-999').allowed).toBe(false) // recent key still tracked
    limiter.clear()
    expect(limiter.size).toBe(0)
  })

  test('configuration is validated', () => {
    expect(() => createRateLimiter({ limit: 0, windowMs: 1_000 })).toThrow(/limit/)
    expect(() => createRateLimiter({ limit: 1.5, windowMs: 1_000 })).toThrow(/limit/)
    expect(() => createRateLimiter({ limit: 10, windowMs: 0 })).toThrow(/windowMs/)
    expect(() => createRateLimiter({ limit: 10, windowMs: Number.NaN })).toThrow(/windowMs/)
    expect(() => createRateLimiter({ limit: 10, windowMs: 1_000, maxKeys: 0 })).toThrow(/maxKeys/)
  })

  test('defaults to the real clock', () => {
    const limiter = createRateLimiter({ limit: 1, windowMs: 60_000 })
    expect(limiter.consume('k').allowed).toBe(true)
    expect(limiter.consume('k').allowed).toBe(false)
  })
})

describe('rateLimitHeaders', () => {
  test('allowed: RateLimit-* only', () => {
    const clock = manualClock()
    const limiter = createRateLimiter({ limit: 10, windowMs: 60_000, now: clock.now })
    const headers = rateLimitHeaders(limiter.consume('k'))
    expect(headers).toEqual({ 'RateLimit-Limit': '10', 'RateLimit-Remaining': '9', 'RateLimit-Reset': '6' })
  })

  test('refused: adds Retry-After, consistent with RateLimitedError', () => {
    const clock = manualClock()
    const limiter = createRateLimiter({ limit: 2, windowMs: 30_000, now: clock.now })
    limiter.consume('k')
    limiter.consume('k')
    const result = limiter.consume('k')
    const headers = rateLimitHeaders(result)
    expect(headers).toEqual({
      'RateLimit-Limit': '2',
      'RateLimit-Remaining': '0',
      'RateLimit-Reset': '30',
      'Retry-After': '15',
    })
    const error = new RateLimitedError(result.retryAfterSeconds)
    expect(error.headers['Retry-After']).toBe(headers['Retry-After'])
    expect(error.statusCode).toBe(429)
  })
})
