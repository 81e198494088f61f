/**
 * A closed-loop HTTP load generator for when wrk is not installed: reads
 * `{ requests, connections, seconds }` as JSON on stdin, keeps `connections` requests in
 * flight for `seconds`, cycling through the requests, and prints a LoadResult as JSON.
 */
import type { LoadRequest, LoadResult } from './lib'

const input = JSON.parse(await new Response(Bun.stdin.stream()).text()) as { requests: LoadRequest[]; connections: number; seconds: number }
const latencies: number[] = []
let errors = 0
let next = 0
const started = performance.now()
const deadline = started + input.seconds * 1000
await Promise.all(
  Array.from({ length: input.connections }, async () => {
    while (performance.now() < deadline) {
      const request = input.requests[next++ % input.requests.length]!
      const t0 = performance.now()
      try {
        const response = await fetch(request.url, {
          method: request.method,
          headers: { ...request.headers, ...(request.body !== undefined && { 'content-type': 'application/json' }) },
          ...(request.body !== undefined && { body: request.body }),
        })
        await response.arrayBuffer()
        if (response.status >= 400) errors++
      } catch {
        errors++
      }
      latencies.push(performance.now() - t0)
    }
  }),
)
const seconds = (performance.now() - started) / 1000
latencies.sort((a, b) => a - b)
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN
const result: LoadResult = { requests: latencies.length, requestsPerSecond: latencies.length / seconds, p50Ms: pct(50), p99Ms: pct(99), errors }
console.log(JSON.stringify(result))
