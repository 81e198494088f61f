/**
 * What the benchmarks share: the server under test and a raw `Bun.serve` baseline, each in
 * its own process, and a load generator in a third (wrk when installed, else a Bun client),
 * so neither side competes with the other inside one event loop. Figures are printed as
 * ratios against the baseline measured in the same run: the machine is shared and noisy,
 * absolute numbers from different runs do not compare.
 */
import type { Subprocess } from 'bun'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const ROOT = join(import.meta.dir, '..')

export interface Child {
  url: string
  proc: Subprocess
  stop(): Promise<void>
}

/** A port nothing listens on right now. */
export function freePort(): number {
  const probe = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response() })
  const port = probe.port!
  probe.stop(true)
  return port
}

function collect(proc: Subprocess<'ignore', 'pipe', 'pipe'>): () => string {
  let output = ''
  const decoder = new TextDecoder()
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const reader = stream.getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      output += decoder.decode(value, { stream: true })
    }
  }
  void pump(proc.stdout)
  void pump(proc.stderr)
  return () => output
}

async function readUntil(proc: Subprocess<'ignore', 'pipe', 'pipe'>, pattern: RegExp, timeoutMs: number): Promise<{ match: RegExpMatchArray; output: () => string }> {
  const collected = collect(proc)
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const match = collected().match(pattern)
    if (match) return { match, output: collected }
    if (proc.exitCode !== null) throw new Error(`process exited with ${proc.exitCode}:\n${collected()}`)
    if (Date.now() > deadline) {
      proc.kill('SIGKILL')
      throw new Error(`process did not start within ${timeoutMs} ms:\n${collected()}`)
    }
    await Bun.sleep(20)
  }
}

/** `bun src/index.ts` on a fresh DATA_DIR (unless given) with these settings; `url` is the API base. */
export async function startServer(env: Record<string, string>, options: { dataDir?: string; port?: number } = {}): Promise<Child & { dataDir: string }> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'wws-bench-'))
  const port = options.port ?? freePort()
  const proc = Bun.spawn([process.execPath, join(ROOT, 'src', 'index.ts')], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', PRINT_QR: 'false', DATA_DIR: dataDir, ...env },
    stdout: 'pipe',
    stderr: 'pipe',
    stdin: 'ignore',
  })
  const url = `http://127.0.0.1:${port}/api/whatsapp`
  // The listening line is logged at info; the benchmarks run quieter, so ask /health instead.
  const output = collect(proc)
  const up = await waitFor(async () => {
    if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}:\n${output()}`)
    return fetch(`${url}/health`).then((r) => r.ok, () => false)
  }, 30_000, 25)
  if (!up) {
    proc.kill('SIGKILL')
    throw new Error(`server did not start within 30 s:\n${output()}`)
  }
  return {
    url,
    proc,
    dataDir,
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM')
      await proc.exited
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** A bench script of this folder in its own process, once it prints `listening <port>`. */
async function startListeningScript(script: string): Promise<Child> {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, script)], { stdout: 'pipe', stderr: 'pipe', stdin: 'ignore' })
  const { match } = await readUntil(proc, /listening (\d+)/, 10_000)
  return {
    url: `http://127.0.0.1:${match[1]}`,
    proc,
    async stop() {
      proc.kill('SIGTERM')
      await proc.exited
    },
  }
}

/** The webhook benchmark's receiver (bench/webhook-receiver.ts) in its own process. */
export function startWebhookReceiver(): Promise<Child> {
  return startListeningScript('webhook-receiver.ts')
}

/** A raw `Bun.serve` answering every request with a small JSON body: the HTTP stack's limit. */
export function startRawServer(): Promise<Child> {
  return startListeningScript('raw-server.ts')
}

export interface LoadRequest {
  method: 'GET' | 'POST'
  /** Absolute URL. */
  url: string
  headers?: Record<string, string>
  body?: string
}

export interface LoadResult {
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
  errors: number
  requests: number
}

export interface LoadOptions {
  connections: number
  seconds: number
}

export function hasWrk(): boolean {
  return Bun.which('wrk') !== null
}

function luaString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`
}

/** wrk -t1, cycling through `requests` (one Lua-built request each), latency percentiles from its histogram. */
async function loadWithWrk(requests: LoadRequest[], options: LoadOptions): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'wws-wrk-'))
  const origin = new URL(requests[0]!.url).origin
  const lines = requests.map((request) => {
    const url = new URL(request.url)
    const headers = { ...request.headers, ...(request.body !== undefined && { 'content-type': 'application/json' }) }
    const headerTable = Object.entries(headers).map(([name, value]) => `[${luaString(name)}]=${luaString(value)}`).join(',')
    return `wrk.format(${luaString(request.method)}, ${luaString(url.pathname + url.search)}, {${headerTable}}, ${request.body === undefined ? 'nil' : luaString(request.body)})`
  })
  const script = `
local requests
local i = 0
-- Built in init: wrk.format adds the Host header, which wrk sets only after loading the script.
init = function(args)
  requests = { ${lines.join(',\n')} }
end
request = function()
  i = (i % #requests) + 1
  return requests[i]
end
local errors = 0
response = function(status, headers, body)
  if status >= 400 then errors = errors + 1 end
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %f %f %f %d\\n", summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, e.connect + e.read + e.write + e.status + e.timeout))
end
`
  const file = join(dir, 'script.lua')
  writeFileSync(file, script)
  try {
    // Latency is from wrk's own histogram; -t1 keeps the generator on one core as the issue measured.
    const proc = Bun.spawn(['wrk', '-t1', `-c${options.connections}`, `-d${options.seconds}s`, '-s', file, origin], { stdout: 'pipe', stderr: 'pipe' })
    const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()])
    await proc.exited
    const match = out.match(/RESULT (\d+) ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/)
    if (!match) throw new Error(`wrk printed no result:\n${out}\n${err}`)
    const [, count, seconds, p50, p99, errors] = match
    return {
      requests: Number(count),
      requestsPerSecond: Number(count) / Number(seconds),
      p50Ms: Number(p50),
      p99Ms: Number(p99),
      errors: Number(errors),
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The Bun client (bench/loadgen.ts) in its own process, when wrk is not installed. */
async function loadWithBun(requests: LoadRequest[], options: LoadOptions): Promise<LoadResult> {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, 'loadgen.ts')], { stdin: 'pipe', stdout: 'pipe', stderr: 'inherit' })
  proc.stdin.write(JSON.stringify({ requests, ...options }))
  await proc.stdin.end()
  const out = await new Response(proc.stdout).text()
  await proc.exited
  return JSON.parse(out) as LoadResult
}

export function load(requests: LoadRequest[], options: LoadOptions): Promise<LoadResult> {
  return hasWrk() ? loadWithWrk(requests, options) : loadWithBun(requests, options)
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** POSTs JSON with the admin key; throws on a non-2xx answer. */
export async function call(url: string, method: string, key: string, body?: unknown): Promise<unknown> {
  const response = await fetch(url, {
    method,
    headers: { 'x-api-key': key, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${text}`)
  return text ? JSON.parse(text) : undefined
}

export async function waitFor(condition: () => Promise<boolean>, timeoutMs: number, intervalMs = 10): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await condition()) return true
    if (Date.now() > deadline) return false
    await Bun.sleep(intervalMs)
  }
}
