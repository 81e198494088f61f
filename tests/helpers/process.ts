/**
 * Runs the real server (`bun src/index.ts`) as a child process, for tests that need a
 * process boundary: restarts, signals, SIGKILL, boot-time configuration errors.
 */
import type { Subprocess } from 'bun'
import { join } from 'node:path'
import { withTestDatabase } from './app'

const ENTRY = join(import.meta.dir, '..', '..', 'src', 'index.ts')

export interface ServerProcess {
  proc: Subprocess<'ignore', 'pipe', 'pipe'>
  /** Base URL of the API, e.g. http://127.0.0.1:41234/api/whatsapp */
  baseUrl: string
  output(): string
  stop(signal?: NodeJS.Signals): Promise<number>
}

/** Runs `bun src/index.ts` to completion (for boot failures): exit code and output. */
export async function runServerToExit(env: Record<string, string>, timeoutMs = 20_000): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  env = await withTestDatabase(env)
  const proc = Bun.spawn([process.execPath, ENTRY], { env: { PATH: process.env.PATH ?? '', ...env }, stdout: 'pipe', stderr: 'pipe' })
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs)
  const [stdout, stderr, exitCode] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  clearTimeout(timer)
  return { exitCode, stdout, stderr }
}

export async function startServerProcess(env: Record<string, string>, timeoutMs = 20_000): Promise<ServerProcess> {
  env = await withTestDatabase(env)
  const proc = Bun.spawn([process.execPath, ENTRY], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', PRINT_QR: 'false', ...env },
    stdout: 'pipe',
    stderr: 'pipe',
    stdin: 'ignore',
  })
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
  const deadline = Date.now() + timeoutMs
  let baseUrl: string | undefined
  while (!baseUrl) {
    const match = output.match(/"url":"(http:\/\/127\.0\.0\.1:\d+\/api\/whatsapp)"/)
    if (match) baseUrl = match[1]
    else if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}:\n${output}`)
    else if (Date.now() > deadline) {
      proc.kill('SIGKILL')
      throw new Error(`server did not start within ${timeoutMs} ms:\n${output}`)
    }
    else await Bun.sleep(20)
  }
  return {
    proc,
    baseUrl,
    output: () => output,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null) proc.kill(signal)
      return proc.exited
    },
  }
}
