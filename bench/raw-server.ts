/** The baseline: a raw Bun.serve answering a small JSON body, as the API's answers are. Prints its port. */
const body = JSON.stringify({ messageId: 'true_966511111111@c.us_3EB0BENCHMARK0000000', timestamp: 1767225600 })
const server = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  async fetch(request) {
    if (request.method === 'POST') await request.arrayBuffer()
    return new Response(body, { headers: { 'content-type': 'application/json' } })
  },
})
console.log(`listening ${server.port}`)
process.on('SIGTERM', () => {
  server.stop(true)
  process.exit(0)
})
