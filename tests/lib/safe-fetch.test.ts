/**
 * The safe fetcher against real servers on loopback (127.0.0.1 and 127.0.0.2; Linux
 * routes all of 127/8 to lo). Only loopback is ever contacted: every "blocked" case runs
 * with global fetch replaced by a spy that rejects, so a regression fails the test
 * instead of sending traffic, and the spy's call count proves the refusal happened
 * before any connection.
 */
import { afterAll, afterEach, beforeAll, describe, expect, type Mock, spyOn, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import net from 'node:net'
import tls from 'node:tls'
import { AppError, BadRequestError, PayloadTooLargeError, UpstreamError } from '../../src/errors'
import { createSafeFetcher, type Resolver, type SafeFetcherOptions } from '../../src/lib/safe-fetch'

const CERT = readFileSync(new URL('../fixtures/tls/media.example.test.cert.pem', import.meta.url), 'utf8')
const KEY = readFileSync(new URL('../fixtures/tls/media.example.test.key.pem', import.meta.url), 'utf8')
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4, 5, 6, 7, 8])

interface Seen {
  server: 'A' | 'B'
  method: string
  path: string
  host: string | null
  headers: Record<string, string>
  body: string
}
const seen: Seen[] = []

function handler(name: 'A' | 'B') {
  return async (request: Request): Promise<Response> => {
    const url = new URL(request.url)
    const body = await request.text()
    const record: Seen = {
      server: name,
      method: request.method,
      path: url.pathname + url.search,
      host: request.headers.get('host'),
      headers: Object.fromEntries(request.headers),
      body,
    }
    seen.push(record)
    if (url.pathname === '/media') return new Response(PNG, { headers: { 'content-type': 'image/png' } })
    if (url.pathname === '/echo') return Response.json(record)
    if (url.pathname === '/redirect') {
      const status = Number(url.searchParams.get('status') ?? '302')
      return new Response(null, { status, headers: { location: url.searchParams.get('to') ?? '/media' } })
    }
    const loop = /^\/loop\/(\d+)$/.exec(url.pathname)
    if (loop) {
      const n = Number(loop[1])
      if (String(n) === url.searchParams.get('end')) return new Response(`end of loop at ${n}`)
      return new Response(null, { status: 302, headers: { location: `/loop/${n + 1}${url.search}` } })
    }
    if (url.pathname === '/big') return new Response(new Uint8Array(1_000_000), { headers: { 'content-type': 'application/octet-stream' } })
    return new Response('not found', { status: 404 })
  }
}

let A: ReturnType<typeof Bun.serve> // 127.0.0.1:P
let B: ReturnType<typeof Bun.serve> // 127.0.0.2:P, the same port P
let P = 0

/** A raw TCP server on 127.0.0.1, for behaviour Bun.serve cannot produce. */
function rawServer(onSocket: (socket: net.Socket) => void): Promise<{ server: net.Server; port: number; sockets: Set<net.Socket> }> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => undefined)
    socket.on('close', () => sockets.delete(socket))
    onSocket(socket)
  })
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as net.AddressInfo).port, sockets })),
  )
}

/** Streams an endless body; records bytes written and when the client hangs up. */
const endless = { written: 0, closed: Promise.withResolvers<void>() }
let endlessServer: Awaited<ReturnType<typeof rawServer>>
/** Accepts and never answers. */
let hangServer: Awaited<ReturnType<typeof rawServer>>
/** Answers headers, then one byte every 50 ms. */
let trickleServer: Awaited<ReturnType<typeof rawServer>>
const trickleTimers = new Set<ReturnType<typeof setInterval>>()

/** TLS on 127.0.0.2 with a certificate for media.example.test; records SNI and Host. */
let tlsServer: tls.Server
let TP = 0
const tlsSeen: { servername: string | false | null | undefined; request: string }[] = []

beforeAll(async () => {
  for (let attempt = 0; ; attempt++) {
    B = Bun.serve({ hostname: '127.0.0.2', port: 0, fetch: handler('B') })
    P = B.port ?? 0
    try {
      A = Bun.serve({ hostname: '127.0.0.1', port: P, fetch: handler('A') })
      break
    } catch (error) {
      B.stop(true)
      if (attempt > 10) throw error
    }
  }

  endlessServer = await rawServer((socket) => {
    socket.once('data', () => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n')
      const chunk = Buffer.alloc(16 * 1024, 0x61)
      const pump = () => {
        while (!socket.destroyed && socket.write(chunk)) endless.written += chunk.length
      }
      socket.on('drain', pump)
      pump()
    })
    socket.on('close', () => endless.closed.resolve())
  })
  hangServer = await rawServer(() => undefined)
  trickleServer = await rawServer((socket) => {
    socket.once('data', () => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n')
      const timer = setInterval(() => socket.write('x'), 50)
      trickleTimers.add(timer)
      socket.on('close', () => {
        clearInterval(timer)
        trickleTimers.delete(timer)
      })
    })
  })

  tlsServer = tls.createServer({ key: KEY, cert: CERT }, (socket) => {
    socket.on('error', () => undefined)
    socket.once('data', (data) => {
      tlsSeen.push({ servername: socket.servername, request: data.toString('latin1') })
      socket.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\nConnection: close\r\n\r\nsecure')
    })
  })
  tlsServer.on('tlsClientError', () => undefined)
  await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.2', resolve))
  TP = (tlsServer.address() as net.AddressInfo).port
})

afterAll(() => {
  A.stop(true)
  B.stop(true)
  for (const raw of [endlessServer, hangServer, trickleServer]) {
    for (const socket of raw.sockets) socket.destroy()
    raw.server.close()
  }
  for (const timer of trickleTimers) clearInterval(timer)
  tlsServer.close()
})

const spies: Mock<typeof fetch>[] = []
afterEach(() => {
  for (const spy of spies.splice(0)) spy.mockRestore()
  seen.length = 0
  tlsSeen.length = 0
})

/** Replaces global fetch with a spy that refuses: nothing can leave the process. */
function forbidNetwork(): Mock<typeof fetch> {
  const refuse = Object.assign(async (): Promise<Response> => {
    throw new Error('test: network must not be touched')
  }, { preconnect: globalThis.fetch.preconnect })
  const spy = spyOn(globalThis, 'fetch').mockImplementation(refuse)
  spies.push(spy)
  return spy
}

/** Records the calls but lets them through (only loopback targets are used). */
function watchNetwork(): Mock<typeof fetch> {
  const spy = spyOn(globalThis, 'fetch')
  spies.push(spy)
  return spy
}

function make(options: Partial<SafeFetcherOptions> = {}) {
  return createSafeFetcher({ timeoutMs: 5_000, maxBytes: 1_000_000, ...options })
}

/** A resolver from a fixed table that counts its calls. */
function tableResolver(table: Record<string, string[]>): Resolver & { calls: string[] } {
  const calls: string[] = []
  const resolve = async (hostname: string) => {
    calls.push(hostname)
    const answer = table[hostname]
    if (!answer) throw Object.assign(new Error(`test resolver: ${hostname} unknown`), { code: 'ENOTFOUND' })
    return answer
  }
  return Object.assign(resolve, { calls })
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(AppError)
    const appError = error as AppError
    expect(appError.message).not.toMatch(/\n\s+at /) // no stack in messages
    return appError
  }
  throw new Error('expected the fetch to fail')
}

describe('allowed targets', () => {
  test('GET from an allowlisted loopback address returns the bytes and content type', async () => {
    const result = await make({ allowCidrs: ['127.0.0.1/32'] }).fetch(`http://127.0.0.1:${P}/media`)
    expect(result.status).toBe(200)
    expect(result.body).toEqual(PNG)
    expect(result.contentType).toBe('image/png')
    expect(result.headers.get('content-type')).toBe('image/png')
    expect(result.url).toBe(`http://127.0.0.1:${P}/media`)
    expect(seen.map((s) => s.server)).toEqual(['A'])
  })

  test('POST with a body and headers (webhook delivery) arrives intact', async () => {
    const payload = JSON.stringify({ event: 'message', id: 'evt_1' })
    const fetcher = make({ allowCidrs: ['127.0.0.1/32'], userAgent: 'wws-test/1.0' })
    const result = await fetcher.fetch(`http://127.0.0.1:${P}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-signature': 'sha256=abc', host: 'evil.example' },
      body: payload,
    })
    expect(result.status).toBe(200)
    const echoed = JSON.parse(new TextDecoder().decode(result.body)) as Seen
    expect(echoed.method).toBe('POST')
    expect(echoed.body).toBe(payload)
    expect(echoed.headers['content-type']).toBe('application/json')
    expect(echoed.headers['x-signature']).toBe('sha256=abc')
    expect(echoed.headers['user-agent']).toBe('wws-test/1.0')
    expect(echoed.host).toBe(`127.0.0.1:${P}`) // a caller's Host header never wins
  })

  test('plain http reuses a kept-alive connection to the checked address (https never does, see below)', async () => {
    const peers: number[] = []
    const server = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch(request, self) {
        peers.push(self.requestIP(request)!.port)
        return new Response(null, { status: 204 })
      },
    })
    try {
      const fetcher = make({ allowCidrs: ['127.0.0.1/32'] })
      for (let i = 0; i < 3; i++) {
        const result = await fetcher.fetch(`http://127.0.0.1:${server.port}/hook`, { method: 'POST', body: `{"n":${i}}` })
        expect(result.status).toBe(204)
      }
      expect(peers).toHaveLength(3)
      expect(new Set(peers).size).toBe(1)
    } finally {
      server.stop(true)
    }
  })

  test('a Uint8Array body is sent byte for byte', async () => {
    const result = await make({ allowCidrs: ['127.0.0.1/32'] }).fetch(`http://127.0.0.1:${P}/echo`, {
      method: 'PUT',
      body: new TextEncoder().encode('raw bytes ✓'),
    })
    expect((JSON.parse(new TextDecoder().decode(result.body)) as Seen).body).toBe('raw bytes ✓')
  })

  test('credentials in the URL become a Basic Authorization header', async () => {
    const result = await make({ allowCidrs: ['127.0.0.1/32'] }).fetch(`http://us%40r:p%3Ass@127.0.0.1:${P}/echo`)
    const echoed = JSON.parse(new TextDecoder().decode(result.body)) as Seen
    expect(echoed.headers.authorization).toBe(`Basic ${btoa('us@r:p:ss')}`)
    expect(result.url).toBe(`http://127.0.0.1:${P}/echo`) // never handed back with credentials
  })

  test('a non-2xx answer is returned, not thrown', async () => {
    const result = await make({ allowCidrs: ['127.0.0.1/32'] }).fetch(`http://127.0.0.1:${P}/nothing-here`)
    expect(result.status).toBe(404)
    expect(new TextDecoder().decode(result.body)).toBe('not found')
  })
})

describe('refused before connecting', () => {
  // WHATWG URL parsing already turns the numeric forms into dotted quads; the fetcher
  // then sees a loopback literal.
  test.each(['http://2130706433', 'http://0x7f.1', 'http://0177.0.0.1', 'http://127.1', 'http://0x7f000001'])(
    'URL parsing normalises %p to 127.0.0.1',
    (base) => {
      expect(new URL(`${base}:${P}/`).hostname).toBe('127.0.0.1')
    },
  )

  const literalCases: [url: string, message: RegExp][] = [
    ['http://127.0.0.1:PORT/media', /loopback/],
    ['http://127.0.0.2:PORT/media', /loopback/],
    ['http://[::1]:PORT/media', /loopback/],
    ['http://[::ffff:127.0.0.1]:PORT/media', /loopback/],
    ['http://[::ffff:7f00:1]:PORT/media', /loopback/],
    ['http://[64:ff9b::7f00:1]:PORT/media', /loopback/], // NAT64 of 127.0.0.1
    ['http://2130706433:PORT/media', /loopback/],
    ['http://0x7f.1:PORT/media', /loopback/],
    ['http://0177.0.0.1:PORT/media', /loopback/],
    ['http://127.1:PORT/media', /loopback/],
    ['http://0.0.0.0:PORT/media', /unspecified/],
    ['http://[::]:PORT/media', /unspecified/],
    ['http://169.254.169.254/latest/meta-data/', /link-local/],
    ['http://[fe80::1]/', /link-local/],
    ['http://10.0.0.1/', /private/],
    ['http://172.16.0.1/', /private/],
    ['http://172.31.255.254/', /private/],
    ['http://192.168.1.1/', /private/],
    ['http://100.64.0.1/', /carrier-grade NAT/],
    ['http://[fd00::1]/', /unique-local/],
    ['http://224.0.0.1/', /multicast/],
    ['http://255.255.255.255/', /broadcast/],
    ['https://192.0.2.10/', /non-public/],
  ]
  test.each(literalCases)('%p', async (template, message) => {
    const network = forbidNetwork()
    const resolver = tableResolver({})
    const error = await failure(make({ resolve: resolver }).fetch(template.replace('PORT', String(P))))
    expect(error).toBeInstanceOf(BadRequestError)
    expect(error.message).toMatch(message)
    expect(network).not.toHaveBeenCalled()
    expect(resolver.calls).toEqual([]) // literals are never looked up
  })

  test('http://localhost through the system resolver is refused', async () => {
    const network = forbidNetwork()
    const error = await failure(make().fetch(`http://localhost:${P}/media`))
    expect(error).toBeInstanceOf(BadRequestError)
    expect(error.message).toMatch(/localhost is not allowed: it resolves to a non-public address/)
    expect(network).not.toHaveBeenCalled()
  })

  const resolvedCases: [host: string, addresses: string[]][] = [
    ['metadata.example.test', ['169.254.169.254']],
    ['ten.example.test', ['10.1.2.3']],
    ['oneseventwo.example.test', ['172.16.5.4']],
    ['home.example.test', ['192.168.0.10']],
    ['cgnat.example.test', ['100.64.1.1']],
    ['mapped.example.test', ['::ffff:127.0.0.1']],
    ['v6-loopback.example.test', ['::1']],
    ['nat64.example.test', ['64:ff9b::a9fe:a9fe']],
    // one bad address among good ones is enough: EVERY address is checked
    ['mixed.example.test', ['93.184.216.34', '10.0.0.1']],
    ['mixed-v6.example.test', ['2606:4700:4700::1111', 'fe80::1']],
    ['garbage.example.test', ['not-an-ip']],
  ]
  test.each(resolvedCases)('a name resolving to %p %p', async (host, addresses) => {
    const network = forbidNetwork()
    const resolver = tableResolver({ [host]: addresses })
    const error = await failure(make({ resolve: resolver }).fetch(`https://${host}/file.jpg`))
    expect(error).toBeInstanceOf(BadRequestError)
    expect(error.message).toBe(`URL host ${host} is not allowed: it resolves to a non-public address`)
    expect(error.message).not.toContain(addresses[0] ?? '') // no internal-DNS oracle
    expect(resolver.calls).toEqual([host])
    expect(network).not.toHaveBeenCalled()
  })

  test.each(['ftp://127.0.0.1/file', 'file:///etc/passwd', 'data:text/plain,hi', 'javascript:alert(1)', 'ws://example.test/', 'gopher://example.test/'])(
    'scheme of %p',
    async (url) => {
      const network = forbidNetwork()
      const error = await failure(make({ allowCidrs: ['127.0.0.1/32'] }).fetch(url))
      expect(error).toBeInstanceOf(BadRequestError)
      expect(error.message).toMatch(/must use http or https/)
      expect(network).not.toHaveBeenCalled()
    },
  )

  test.each(['', 'not a url', '/relative/path', 'http://'])('unparseable %p', async (url) => {
    const network = forbidNetwork()
    const error = await failure(make().fetch(url))
    expect(error).toBeInstanceOf(BadRequestError)
    expect(network).not.toHaveBeenCalled()
  })

  test('an allowlist opens only its own range', async () => {
    const network = forbidNetwork()
    const fetcher = make({ allowCidrs: ['127.0.0.1/32'] })
    for (const url of [`http://127.0.0.2:${P}/`, `http://[::1]:${P}/`, 'http://10.0.0.1/', 'http://169.254.169.254/']) {
      expect(await failure(fetcher.fetch(url))).toBeInstanceOf(BadRequestError)
    }
    expect(network).not.toHaveBeenCalled()
  })

  test('an address with a zone id is refused even inside an allowlisted range (it could not be pinned)', async () => {
    const network = forbidNetwork()
    const resolver = tableResolver({ 'zoned.example.test': ['fe80::1%lo'] })
    const error = await failure(make({ allowCidrs: ['fe80::/10'], resolve: resolver }).fetch('http://zoned.example.test/'))
    expect(error).toBeInstanceOf(BadRequestError)
    expect(network).not.toHaveBeenCalled()
  })

  test('0.0.0.0 stays refused even when everything is allowlisted', async () => {
    const network = forbidNetwork()
    const error = await failure(make({ allowCidrs: ['0.0.0.0/0', '::/0'] }).fetch(`http://0.0.0.0:${P}/media`))
    expect(error).toBeInstanceOf(BadRequestError)
    expect(network).not.toHaveBeenCalled()
  })
})

describe('DNS outcomes', () => {
  test('an unknown host is the client’s mistake', async () => {
    const error = await failure(make({ resolve: tableResolver({}) }).fetch('https://nowhere.example.test/'))
    expect(error).toBeInstanceOf(BadRequestError)
    expect(error.message).toBe('Could not resolve URL host nowhere.example.test')
  })

  test('an empty answer is the client’s mistake', async () => {
    const error = await failure(make({ resolve: async () => [] }).fetch('https://empty.example.test/'))
    expect(error).toBeInstanceOf(BadRequestError)
  })

  test('the system resolver reports an unknown .test name as unresolvable', async () => {
    const network = forbidNetwork()
    const error = await failure(make().fetch('http://no-such-host.invalid/'))
    expect(error).toBeInstanceOf(BadRequestError)
    expect(error.message).toMatch(/Could not resolve/)
    expect(network).not.toHaveBeenCalled()
  })

  test('a resolver outage is an upstream failure', async () => {
    const resolve = async (): Promise<string[]> => {
      throw Object.assign(new Error('temporary failure'), { code: 'EAI_AGAIN' })
    }
    const error = await failure(make({ resolve }).fetch('https://flaky.example.test/'))
    expect(error).toBeInstanceOf(UpstreamError)
    expect(error.details).toEqual({ reason: 'dns' })
  })
})

describe('redirects', () => {
  const both = ['127.0.0.1/32', '127.0.0.2/32']

  test('a redirect from an allowed host to a refused one is refused', async () => {
    const fetcher = make({ allowCidrs: ['127.0.0.2/32'] })
    const to = encodeURIComponent(`http://127.0.0.1:${P}/media`)
    const error = await failure(fetcher.fetch(`http://127.0.0.2:${P}/redirect?to=${to}`, { followRedirects: true }))
    expect(error).toBeInstanceOf(BadRequestError)
    expect(error.message).toMatch(/loopback/)
    expect(seen.map((s) => `${s.server} ${s.path.split('?')[0]}`)).toEqual(['B /redirect']) // A never reached
  })

  test('a redirect to a name that resolves to a private address is refused', async () => {
    const resolver = tableResolver({ 'internal.example.test': ['10.0.0.5'] })
    const fetcher = make({ allowCidrs: ['127.0.0.2/32'], resolve: resolver })
    const to = encodeURIComponent('http://internal.example.test/admin')
    const error = await failure(fetcher.fetch(`http://127.0.0.2:${P}/redirect?to=${to}`, { followRedirects: true }))
    expect(error).toBeInstanceOf(BadRequestError)
    expect(resolver.calls).toEqual(['internal.example.test'])
  })

  test('a redirect to another scheme is refused', async () => {
    const to = encodeURIComponent('file:///etc/passwd')
    const error = await failure(
      make({ allowCidrs: ['127.0.0.1/32'] }).fetch(`http://127.0.0.1:${P}/redirect?to=${to}`, { followRedirects: true }),
    )
    expect(error).toBeInstanceOf(BadRequestError)
    expect(error.message).toMatch(/Redirect target must use http or https/)
  })

  test('exactly maxRedirects hops are followed', async () => {
    const result = await make({ allowCidrs: ['127.0.0.1/32'], maxRedirects: 2 }).fetch(`http://127.0.0.1:${P}/loop/0?end=2`, {
      followRedirects: true,
    })
    expect(result.status).toBe(200)
    expect(new TextDecoder().decode(result.body)).toBe('end of loop at 2')
    expect(result.url).toBe(`http://127.0.0.1:${P}/loop/2?end=2`)
  })

  test('more than maxRedirects is refused', async () => {
    const fetcher = make({ allowCidrs: ['127.0.0.1/32'], maxRedirects: 2 })
    const error = await failure(fetcher.fetch(`http://127.0.0.1:${P}/loop/0`, { followRedirects: true }))
    expect(error).toBeInstanceOf(BadRequestError)
    expect(error.message).toBe('Too many redirects (more than 2)')
    expect(seen.map((s) => s.path)).toEqual(['/loop/0', '/loop/1', '/loop/2'])
  })

  test('the default maxRedirects is 3', async () => {
    const fetcher = make({ allowCidrs: ['127.0.0.1/32'] })
    expect((await fetcher.fetch(`http://127.0.0.1:${P}/loop/0?end=3`, { followRedirects: true })).status).toBe(200)
    seen.length = 0
    expect(await failure(fetcher.fetch(`http://127.0.0.1:${P}/loop/0?end=4`, { followRedirects: true }))).toBeInstanceOf(
      BadRequestError,
    )
  })

  test('with followRedirects false a 3xx comes back as it is (also the default)', async () => {
    const fetcher = make({ allowCidrs: ['127.0.0.1/32'] })
    const to = encodeURIComponent('http://169.254.169.254/')
    for (const init of [{ followRedirects: false }, {}]) {
      const result = await fetcher.fetch(`http://127.0.0.1:${P}/redirect?to=${to}&status=307`, { ...init, method: 'POST', body: 'x' })
      expect(result.status).toBe(307)
      expect(result.headers.get('location')).toBe('http://169.254.169.254/')
    }
    expect(seen).toHaveLength(2)
  })

  test('303 after a POST becomes a GET without the body; 307 keeps method and body', async () => {
    const fetcher = make({ allowCidrs: ['127.0.0.1/32'] })
    const to = encodeURIComponent('/echo')
    const init = { method: 'POST', body: 'payload', headers: { 'content-type': 'text/plain' }, followRedirects: true }
    const after303 = JSON.parse(new TextDecoder().decode((await fetcher.fetch(`http://127.0.0.1:${P}/redirect?to=${to}&status=303`, init)).body)) as Seen
    expect(after303.method).toBe('GET')
    expect(after303.body).toBe('')
    expect(after303.headers['content-type']).toBeUndefined()
    const after307 = JSON.parse(new TextDecoder().decode((await fetcher.fetch(`http://127.0.0.1:${P}/redirect?to=${to}&status=307`, init)).body)) as Seen
    expect(after307.method).toBe('POST')
    expect(after307.body).toBe('payload')
  })

  test('credentials are dropped on a cross-origin redirect and kept on a same-origin one', async () => {
    const fetcher = make({ allowCidrs: both })
    const headers = { authorization: 'Bearer secret', cookie: 'a=b' }
    const cross = encodeURIComponent(`http://127.0.0.1:${P}/echo`)
    const crossResult = await fetcher.fetch(`http://127.0.0.2:${P}/redirect?to=${cross}`, { headers, followRedirects: true })
    const crossEcho = JSON.parse(new TextDecoder().decode(crossResult.body)) as Seen
    expect(crossEcho.server).toBe('A')
    expect(crossEcho.headers.authorization).toBeUndefined()
    expect(crossEcho.headers.cookie).toBeUndefined()
    const sameResult = await fetcher.fetch(`http://127.0.0.2:${P}/redirect?to=%2Fecho`, { headers, followRedirects: true })
    expect((JSON.parse(new TextDecoder().decode(sameResult.body)) as Seen).headers.authorization).toBe('Bearer secret')
  })
})

describe('size cap', () => {
  test('an endless body is cut off mid-stream and the connection closed', async () => {
    const maxBytes = 64 * 1024
    const fetcher = make({ allowCidrs: ['127.0.0.1/32'], maxBytes, timeoutMs: 20_000 })
    const error = await failure(fetcher.fetch(`http://127.0.0.1:${endlessServer.port}/stream`))
    expect(error).toBeInstanceOf(PayloadTooLargeError)
    expect(error.message).toBe(`Remote body exceeds the limit of ${maxBytes} bytes`)
    await endless.closed.promise // the server sees the client hang up (bun's test timeout guards this)
    expect(endless.written).toBeGreaterThan(maxBytes)
  })

  test('a declared Content-Length over the cap is refused without reading', async () => {
    const error = await failure(make({ allowCidrs: ['127.0.0.1/32'], maxBytes: 1000 }).fetch(`http://127.0.0.1:${P}/big`))
    expect(error).toBeInstanceOf(PayloadTooLargeError)
    expect(error.details).toEqual({ maxBytes: 1000 })
  })

  test('a body of exactly maxBytes passes, one byte less of cap fails', async () => {
    const url = `http://127.0.0.1:${P}/media`
    expect((await make({ allowCidrs: ['127.0.0.1/32'], maxBytes: PNG.length }).fetch(url)).body).toEqual(PNG)
    expect(await failure(make({ allowCidrs: ['127.0.0.1/32'], maxBytes: PNG.length - 1 }).fetch(url))).toBeInstanceOf(
      PayloadTooLargeError,
    )
  })

  test('maxBytes can be overridden per call', async () => {
    const fetcher = make({ allowCidrs: ['127.0.0.1/32'], maxBytes: 4 })
    expect((await fetcher.fetch(`http://127.0.0.1:${P}/media`, { maxBytes: 1024 })).status).toBe(200)
    expect(await failure(fetcher.fetch(`http://127.0.0.1:${P}/media`))).toBeInstanceOf(PayloadTooLargeError)
  })
})

describe('deadline and upstream failures', () => {
  test('a server that never answers ends in an UpstreamError at the deadline', async () => {
    const error = await failure(make({ allowCidrs: ['127.0.0.1/32'], timeoutMs: 200 }).fetch(`http://127.0.0.1:${hangServer.port}/`))
    expect(error).toBeInstanceOf(UpstreamError)
    expect(error.message).toBe('Upstream request timed out after 200 ms')
    expect(error.details).toEqual({ reason: 'timeout' })
  })

  test('a trickling body is cut by the same deadline', async () => {
    const error = await failure(make({ allowCidrs: ['127.0.0.1/32'], timeoutMs: 200 }).fetch(`http://127.0.0.1:${trickleServer.port}/`))
    expect(error).toBeInstanceOf(UpstreamError)
    expect(error.details).toEqual({ reason: 'timeout' })
  })

  test('a resolver that never answers is cut by the deadline', async () => {
    const resolve = () => new Promise<string[]>(() => undefined)
    const error = await failure(make({ resolve, timeoutMs: 200 }).fetch('https://slow-dns.example.test/'))
    expect(error).toBeInstanceOf(UpstreamError)
    expect(error.details).toEqual({ reason: 'timeout' })
  })

  test('timeoutMs can be overridden per call', async () => {
    const fetcher = make({ allowCidrs: ['127.0.0.1/32'], timeoutMs: 60_000 })
    const error = await failure(fetcher.fetch(`http://127.0.0.1:${hangServer.port}/`, { timeoutMs: 150 }))
    expect(error.message).toBe('Upstream request timed out after 150 ms')
  })

  test('the caller can cancel', async () => {
    const controller = new AbortController()
    const pending = make({ allowCidrs: ['127.0.0.1/32'] }).fetch(`http://127.0.0.1:${hangServer.port}/`, { signal: controller.signal })
    setTimeout(() => controller.abort(), 50)
    const error = await failure(pending)
    expect(error).toBeInstanceOf(UpstreamError)
    expect(error.details).toEqual({ reason: 'cancelled' })
  })

  test('a refused connection is an UpstreamError', async () => {
    const closed = await rawServer(() => undefined)
    const port = closed.port
    await new Promise<void>((resolve) => closed.server.close(() => resolve()))
    const error = await failure(make({ allowCidrs: ['127.0.0.1/32'] }).fetch(`http://127.0.0.1:${port}/`))
    expect(error).toBeInstanceOf(UpstreamError)
    expect(error.message).toBe('Upstream request failed: connection refused')
    expect(error.details).toEqual({ reason: 'connection_refused' })
  })
})

describe('the checked address is the one connected to (pinning)', () => {
  test('a rebinding resolver cannot move the connection: the request reaches the checked IP under the original name', async () => {
    // First answer: 127.0.0.2 (allowlisted). Any later lookup would say 127.0.0.1, where
    // server A listens on the SAME port and is not allowlisted. The name is also unknown
    // to the system resolver, so a connection by name could not succeed at all.
    let lookups = 0
    const rebinding: Resolver = async () => (lookups++ === 0 ? ['127.0.0.2'] : ['127.0.0.1'])
    const network = watchNetwork()
    const fetcher = make({ allowCidrs: ['127.0.0.2/32'], resolve: rebinding })
    const result = await fetcher.fetch(`http://rebind.example.test:${P}/echo?x=1`)
    expect(result.status).toBe(200)
    const echoed = JSON.parse(new TextDecoder().decode(result.body)) as Seen
    expect(echoed.server).toBe('B')
    expect(echoed.host).toBe(`rebind.example.test:${P}`)
    expect(echoed.path).toBe('/echo?x=1')
    expect(seen.map((s) => s.server)).toEqual(['B'])
    expect(lookups).toBe(1)
    expect(result.url).toBe(`http://rebind.example.test:${P}/echo?x=1`)
    // What Bun's fetch was actually given: the IP literal, never the name.
    expect(network).toHaveBeenCalledTimes(1)
    const [target, rawInit] = network.mock.calls[0] ?? []
    const init = rawInit as BunFetchRequestInit | undefined
    expect(String(target)).toBe(`http://127.0.0.2:${P}/echo?x=1`)
    expect(new Headers(init?.headers).get('host')).toBe(`rebind.example.test:${P}`)
    expect(init?.proxy).toBe(false)
    expect(init?.redirect).toBe('manual')
  })

  test('each redirect hop is resolved once and pinned in turn', async () => {
    const resolver = tableResolver({ 'first.example.test': ['127.0.0.2'], 'second.example.test': ['127.0.0.1'] })
    const network = watchNetwork()
    const fetcher = make({ allowCidrs: ['127.0.0.1/32', '127.0.0.2/32'], resolve: resolver })
    const to = encodeURIComponent(`http://second.example.test:${P}/echo`)
    const result = await fetcher.fetch(`http://first.example.test:${P}/redirect?to=${to}`, { followRedirects: true })
    expect((JSON.parse(new TextDecoder().decode(result.body)) as Seen).host).toBe(`second.example.test:${P}`)
    expect(seen.map((s) => s.server)).toEqual(['B', 'A'])
    expect(resolver.calls).toEqual(['first.example.test', 'second.example.test'])
    expect(network.mock.calls.map(([target]) => new URL(String(target)).hostname)).toEqual(['127.0.0.2', '127.0.0.1'])
  })

  test('https: connects to the checked IP, sends SNI for the name and verifies the certificate against it', async () => {
    const resolver = tableResolver({ 'media.example.test': ['127.0.0.2'] })
    const fetcher = make({ allowCidrs: ['127.0.0.2/32'], resolve: resolver, ca: CERT })
    const network = watchNetwork()
    const result = await fetcher.fetch(`https://media.example.test:${TP}/photo.jpg`)
    expect(result.status).toBe(200)
    const [target, rawInit] = network.mock.calls[0] ?? []
    const init = rawInit as BunFetchRequestInit | undefined
    expect(String(target)).toBe(`https://127.0.0.2:${TP}/photo.jpg`)
    expect(init?.tls?.serverName).toBe('media.example.test')
    expect(init?.tls?.rejectUnauthorized).toBe(true)
    expect(init?.keepalive).toBe(false) // a connection verified for one name is never pooled for another
    expect(new TextDecoder().decode(result.body)).toBe('secure')
    expect(tlsSeen).toHaveLength(1)
    expect(tlsSeen[0]?.servername).toBe('media.example.test')
    expect(tlsSeen[0]?.request).toMatch(new RegExp(`^GET /photo\\.jpg HTTP/1\\.1\\r\\n(?:.*\\r\\n)*host: media\\.example\\.test:${TP}\\r\\n`, 'i'))
  })

  test('https: a certificate for another name is rejected even though the IP is allowed', async () => {
    const resolver = tableResolver({ 'other.example.test': ['127.0.0.2'] })
    const fetcher = make({ allowCidrs: ['127.0.0.2/32'], resolve: resolver, ca: CERT })
    const error = await failure(fetcher.fetch(`https://other.example.test:${TP}/`))
    expect(error).toBeInstanceOf(UpstreamError)
    expect(error.details).toEqual({ reason: 'tls' })
    expect(error.message).toMatch(/^Upstream request failed: TLS verification failed \(/)
  })

  test('https: an untrusted certificate is rejected (verification cannot be skipped)', async () => {
    const resolver = tableResolver({ 'media.example.test': ['127.0.0.2'] })
    const error = await failure(make({ allowCidrs: ['127.0.0.2/32'], resolve: resolver }).fetch(`https://media.example.test:${TP}/`))
    expect(error).toBeInstanceOf(UpstreamError)
    expect(error.details).toEqual({ reason: 'tls' })
  })

  test('https: NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment does not switch verification off', async () => {
    const resolver = tableResolver({ 'media.example.test': ['127.0.0.2'] })
    const previous = process.env.NODE_TLS_REJECT_UNAUTHORIZED
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0'
    try {
      const error = await failure(make({ allowCidrs: ['127.0.0.2/32'], resolve: resolver }).fetch(`https://media.example.test:${TP}/`))
      expect(error.details).toEqual({ reason: 'tls' })
    } finally {
      if (previous === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = previous
    }
  })

  test('when the first checked address refuses, the next checked one is tried', async () => {
    const resolver = tableResolver({ 'multi.example.test': ['127.0.0.3', '127.0.0.2'] })
    const result = await make({ allowCidrs: ['127.0.0.0/8'], resolve: resolver }).fetch(`http://multi.example.test:${P}/echo`)
    expect((JSON.parse(new TextDecoder().decode(result.body)) as Seen).server).toBe('B')
  })
})

describe('configuration is validated at construction', () => {
  test.each<[string, Partial<SafeFetcherOptions>]>([
    ['a bad CIDR', { allowCidrs: ['127.0.0.1/33'] }],
    ['a hostname as CIDR', { allowCidrs: ['localhost'] }],
    ['a zero timeout', { timeoutMs: 0 }],
    ['a fractional timeout', { timeoutMs: 1.5 }],
    ['a negative maxBytes', { maxBytes: -1 }],
    ['too many redirects', { maxRedirects: 21 }],
    ['negative redirects', { maxRedirects: -1 }],
    ['a multi-line user agent', { userAgent: 'a\r\nX-Injected: 1' }],
    ['a ca that is not PEM', { ca: 'hello' }],
  ])('%s throws', (_name, options) => {
    expect(() => make(options)).toThrow()
  })

  test('per-call overrides and request shape are validated too', async () => {
    const fetcher = make({ allowCidrs: ['127.0.0.1/32'] })
    const url = `http://127.0.0.1:${P}/echo`
    await expect(fetcher.fetch(url, { timeoutMs: 0 })).rejects.toThrow(RangeError)
    await expect(fetcher.fetch(url, { maxBytes: 0 })).rejects.toThrow(RangeError)
    await expect(fetcher.fetch(url, { method: 'GE T' })).rejects.toThrow(TypeError)
    await expect(fetcher.fetch(url, { body: 'x' })).rejects.toThrow(/GET or HEAD/)
    expect(seen).toHaveLength(0)
  })
})
