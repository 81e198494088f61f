/**
 * A webhook receiver on 127.0.0.1 for tests: records every request (headers, raw body,
 * arrival time) and answers with whatever the test's `respond` says.
 */
export interface Received {
  path: string
  headers: Record<string, string>
  body: string
  json: { id: string; event: string; session: string; timestamp: number; payload: Record<string, unknown>; [key: string]: unknown }
  at: number
}

export type Responder = (request: Received, index: number) => Response | Promise<Response>

export interface Receiver {
  url: string
  port: number
  received: Received[]
  respond: Responder
  /** Stops listening (connections are refused until `restart`). */
  stop(): Promise<void>
  /** Listens again on the same port. */
  restart(): void
  close(): Promise<void>
}

export function startReceiver(respond: Responder = () => new Response('ok'), port = 0): Receiver {
  const state: Receiver = {
    url: '',
    port: 0,
    received: [],
    respond,
    async stop() {
      await server?.stop(true)
      server = undefined
    },
    restart() {
      server = listen(state.port)
    },
    async close() {
      await server?.stop(true)
      server = undefined
    },
  }
  const listen = (onPort: number) =>
    Bun.serve({
      port: onPort,
      hostname: '127.0.0.1',
      idleTimeout: 30,
      async fetch(request) {
        const body = await request.text()
        let json: Received['json']
        try {
          json = JSON.parse(body) as Received['json']
        } catch {
          json = { id: '', event: '', session: '', timestamp: 0, payload: {} }
        }
        const received: Received = {
          path: new URL(request.url).pathname,
          headers: Object.fromEntries(request.headers),
          body,
          json,
          at: Date.now(),
        }
        state.received.push(received)
        return state.respond(received, state.received.length - 1)
      },
    })
  let server: ReturnType<typeof listen> | undefined = listen(port)
  state.port = server.port!
  state.url = `http://127.0.0.1:${state.port}`
  return state
}
