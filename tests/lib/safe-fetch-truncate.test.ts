import { afterAll, expect, test } from 'bun:test'
import { PayloadTooLargeError } from '../../src/errors'
import { createSafeFetcher } from '../../src/lib/safe-fetch'

const big = 'y'.repeat(300_000)
const server = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  fetch: (request) =>
    new URL(request.url).pathname === '/chunked'
      ? new Response(new ReadableStream({ start(c) { for (let i = 0; i < 30; i++) c.enqueue(new TextEncoder().encode(big.slice(0, 10_000))); c.close() } }))
      : new Response(big),
})
afterAll(() => server.stop(true))
const fetcher = createSafeFetcher({ allowCidrs: ['127.0.0.1/32'], timeoutMs: 5000, maxBytes: 1000 })

test('truncateBody keeps the first maxBytes and the status instead of failing', async () => {
  for (const path of ['/sized', '/chunked']) {
    const response = await fetcher.fetch(`http://127.0.0.1:${server.port}${path}`, { truncateBody: true })
    expect(response.status).toBe(200)
    expect(response.body.byteLength).toBe(1000)
    expect(new TextDecoder().decode(response.body)).toBe('y'.repeat(1000))
  }
})

test('without it, an oversized body is still refused', async () => {
  for (const path of ['/sized', '/chunked']) {
    await expect(fetcher.fetch(`http://127.0.0.1:${server.port}${path}`)).rejects.toBeInstanceOf(PayloadTooLargeError)
  }
})
