/**
 * The webhook benchmark's receiver, in a process of its own (as a real receiver is): answers
 * every POST 204 and records when each event id arrived, on a clock both processes share
 * (`performance.timeOrigin + performance.now()`). `GET /report?since=<n>` returns the arrivals
 * recorded from index n on, `GET /count` how many. Prints its port.
 */
const arrivals: Array<[string, number]> = []
const server = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  async fetch(request) {
    const url = new URL(request.url)
    if (request.method === 'POST') {
      const envelope = (await request.json()) as { payload: { id: string } }
      arrivals.push([envelope.payload.id, performance.timeOrigin + performance.now()])
      return new Response(null, { status: 204 })
    }
    if (url.pathname === '/count') return Response.json({ count: arrivals.length, last: arrivals.at(-1)?.[1] ?? null })
    if (url.pathname === '/report') return Response.json(arrivals.slice(Number(url.searchParams.get('since') ?? 0)))
    if (url.pathname === '/reset') {
      arrivals.length = 0
      return Response.json({ ok: true })
    }
    return new Response('not found', { status: 404 })
  },
})
console.log(`listening ${server.port}`)
process.on('SIGTERM', () => {
  server.stop(true)
  process.exit(0)
})
export {} // a module, not a global script (raw-server.ts also declares `server`)
