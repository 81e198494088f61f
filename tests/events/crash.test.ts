/**
 * The real thing: `bun src/index.ts` as a child process, flooded with incoming messages
 * through HTTP, killed with SIGKILL mid-flood, restarted on the same DATA_DIR. Every
 * message the server accepted (answered 200) must reach the webhook.
 */
import { afterEach, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { resolve } from 'node:path'
import { ADMIN_KEY, tempDir, waitFor } from '../helpers/app'
import { startReceiver } from '../helpers/receiver'

const PHONE = '966500000001'
const ROOT = resolve(import.meta.dir, '..', '..')
const cleanup: Array<() => Promise<void> | void> = []

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step()
})

function freePort(): number {
  const probe = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response() })
  const port = probe.port!
  probe.stop(true)
  return port
}

function spawnServer(env: Record<string, string>) {
  const child = Bun.spawn(['bun', 'src/index.ts'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdout: 'ignore', stderr: 'pipe' })
  cleanup.push(() => {
    if (child.exitCode === null && !child.killed) child.kill('SIGKILL')
  })
  return child
}

test('a server killed with SIGKILL during a flood delivers, after restart, everything it accepted', async () => {
  const dataDir = tempDir('wws-crash-')
  cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }))
  // A receiver slower than the flood, so deliveries are pending (and some in flight) at the kill.
  const receiver = startReceiver(async () => {
    await Bun.sleep(30)
    return new Response('ok')
  })
  cleanup.push(() => receiver.close())
  const port = freePort()
  const base = `http://127.0.0.1:${port}/api/whatsapp`
  const env = {
    DATA_DIR: dataDir,
    WA_ENGINE: 'simulator',
    API_KEY: ADMIN_KEY,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    PRINT_QR: 'false',
    SIMULATOR_CONNECT_DELAY_MS: '0',
    BOOT_STAGGER_MS: '0',
    OUTBOUND_ALLOW_CIDRS: '127.0.0.1/32',
    WEBHOOK_RETRY_BASE_MS: '50',
    WEBHOOK_RETRY_MAX_MS: '200',
  }
  const api = (method: string, path: string, body?: unknown) =>
    fetch(`${base}${path}`, {
      method,
      headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    })
  const up = async () =>
    waitFor(async () => {
      try {
        return (await fetch(`${base}/health`)).ok
      } catch {
        return false
      }
    }, 15_000, 50)

  const first = spawnServer(env)
  await up()
  expect((await api('POST', `/${PHONE}/start`)).status).toBe(200)
  await waitFor(async () => ((await (await api('GET', `/${PHONE}/state`)).json()) as { status: string }).status === 'SCAN_QR_CODE')
  expect((await api('POST', `/${PHONE}/sandbox/scan`)).status).toBe(200)
  expect((await api('POST', `/${PHONE}/webhooks`, { url: `${receiver.url}/hook`, events: ['message'] })).status).toBe(201)

  // Flood from 16 concurrent senders; kill the server once 150 messages were accepted.
  const accepted: string[] = []
  let stop = false
  let killed = false
  const sender = async (worker: number) => {
    for (let i = 0; !stop; i++) {
      try {
        const response = await api('POST', `/${PHONE}/sandbox/incoming`, { from: `9665${String(worker).padStart(2, '0')}000000`, text: `flood ${worker}/${i}` })
        if (response.status === 200) accepted.push(((await response.json()) as { messageId: string }).messageId)
      } catch {
        return // the server is gone
      }
      if (accepted.length >= 150 && !killed) {
        killed = true
        first.kill('SIGKILL')
      }
    }
  }
  const senders = Array.from({ length: 16 }, (_, worker) => sender(worker))
  await Promise.all(senders.map((s) => Promise.race([s, Bun.sleep(20_000)])))
  stop = true
  await first.exited
  expect(first.signalCode).toBe('SIGKILL')
  const acceptedAtKill = [...accepted]
  expect(acceptedAtKill.length).toBeGreaterThanOrEqual(150)
  const deliveredBeforeKill = new Set(receiver.received.map((r) => r.json.payload.id as string))
  // The restart has work to do: part of what was accepted had not been delivered.
  expect(acceptedAtKill.filter((id) => !deliveredBeforeKill.has(id)).length).toBeGreaterThan(0)

  const second = spawnServer(env)
  await up()
  const receivedIds = () => new Set(receiver.received.map((r) => r.json.payload.id as string))
  await waitFor(() => acceptedAtKill.every((id) => receivedIds().has(id)), 20_000, 50)
  // Each webhook-id stands for one message, whatever was retried.
  const byWebhookId = new Map<string, string>()
  for (const request of receiver.received) {
    const id = request.headers['webhook-id']!
    const previous = byWebhookId.get(id)
    if (previous !== undefined) expect(previous).toBe(request.json.payload.id as string)
    byWebhookId.set(id, request.json.payload.id as string)
  }
  expect(new Set(byWebhookId.values()).size).toBe(byWebhookId.size)
  second.kill('SIGTERM')
  await second.exited
}, 60_000)
