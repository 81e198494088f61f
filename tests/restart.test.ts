import { afterEach, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { ADMIN_KEY, tempDir, waitFor } from './helpers/app'
import { startServerProcess, type ServerProcess } from './helpers/process'

const PHONE = '966500000001'
let running: ServerProcess | undefined
let dataDir: string | undefined

afterEach(async () => {
  await running?.stop('SIGKILL')
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

async function call(server: ServerProcess, method: string, path: string, body?: unknown) {
  const response = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: { 'x-api-key': ADMIN_KEY, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

test('a linked session comes back WORKING after a server restart, with no new QR', async () => {
  dataDir = tempDir()
  const env = { DATA_DIR: dataDir, WA_ENGINE: 'simulator', API_KEY: ADMIN_KEY, SIMULATOR_CONNECT_DELAY_MS: '0' }

  running = await startServerProcess(env)
  const first = running
  expect((await call(first, 'POST', `/${PHONE}/start`)).status).toBe(200)
  await waitFor(async () => (await call(first, 'GET', `/${PHONE}/state`)).body.status === 'SCAN_QR_CODE')
  expect((await call(first, 'POST', `/${PHONE}/sandbox/scan`)).body.status).toBe('WORKING')
  // A stopped number must stay stopped across the restart.
  expect((await call(first, 'POST', '/966500000002/start')).status).toBe(200)
  expect((await call(first, 'POST', '/966500000002/stop')).status).toBe(200)
  expect(await first.stop('SIGTERM')).toBe(0)
  expect(first.output()).toContain('shutting down')

  running = await startServerProcess(env)
  const second = running
  const statuses: unknown[] = []
  await waitFor(async () => {
    statuses.push((await call(second, 'GET', `/${PHONE}/state`)).body.status)
    return statuses.at(-1) === 'WORKING'
  })
  expect(statuses).not.toContain('SCAN_QR_CODE')
  expect(second.output()).not.toContain('"status":"SCAN_QR_CODE"')
  expect((await call(second, 'GET', `/${PHONE}/qr`)).status).toBe(409)
  expect((await call(second, 'GET', '/966500000002/state')).body.status).toBe('STOPPED')
})

test('a generated admin key is printed once on first boot and only its hash is kept', async () => {
  dataDir = tempDir()
  const env = { DATA_DIR: dataDir, WA_ENGINE: 'simulator' }
  running = await startServerProcess(env)
  const first = running
  // The key is printed just after the "listening" line that startServerProcess waits for.
  await waitFor(() => /wws_admin_[A-Za-z0-9_-]+\s/.test(first.output())).catch(() => undefined)
  const key = running.output().match(/wws_admin_[A-Za-z0-9_-]+/)?.[0]
  expect(key).toBeDefined()
  const ok = await fetch(`${running.baseUrl}/sessions`, { headers: { 'x-api-key': key! } })
  expect(ok.status).toBe(200)
  await running.stop()

  running = await startServerProcess(env)
  expect(running.output()).not.toContain('wws_admin_')
  expect((await fetch(`${running.baseUrl}/sessions`, { headers: { 'x-api-key': key! } })).status).toBe(200)
  expect((await fetch(`${running.baseUrl}/sessions`)).status).toBe(401)
  for (const file of ['whatsapp-web-server.db', 'whatsapp-web-server.db-wal']) {
    const handle = Bun.file(`${dataDir}/${file}`)
    if (await handle.exists()) expect(Buffer.from(await handle.arrayBuffer()).includes(key!)).toBe(false)
  }
})

test('the QR of a session waiting for a scan is printed in the terminal', async () => {
  dataDir = tempDir()
  running = await startServerProcess({ DATA_DIR: dataDir, WA_ENGINE: 'simulator', API_KEY: ADMIN_KEY, SIMULATOR_CONNECT_DELAY_MS: '0', PRINT_QR: 'true' })
  const server = running
  expect((await call(server, 'POST', `/${PHONE}/start`)).status).toBe(200)
  await waitFor(() => server.output().includes(`Scan with WhatsApp on ${PHONE}`))
  // Terminal QR art is drawn with block characters.
  expect(server.output()).toMatch(/[▀▄█]{10,}/)
})
