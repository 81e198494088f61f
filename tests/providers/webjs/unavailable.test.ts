/**
 * A machine without Chromium: the webjs engine cannot run. Starting a webjs session is a
 * 503 ENGINE_UNAVAILABLE that names the fix (never a 500), other engines keep working,
 * and the boot banner says so at once when webjs is the default engine.
 */
import { afterEach, expect, test } from 'bun:test'
import { join } from 'node:path'
import { ADMIN_KEY, createTestServer, tempDir, testEnv, waitFor, type TestServer } from '../../helpers/app'
import { startServerProcess, type ServerProcess } from '../../helpers/process'

let server: TestServer | undefined
let proc: ServerProcess | undefined
afterEach(async () => {
  await server?.close()
  await proc?.stop()
  server = undefined
  proc = undefined
})

test('starting a webjs session without Chromium: 503 ENGINE_UNAVAILABLE naming CHROME_PATH; the simulator still starts', async () => {
  const missing = join(tempDir(), 'no-chromium-here')
  server = await createTestServer({ WA_ENGINE: 'webjs', CHROME_PATH: missing })
  const started = await server.call('POST', '/15550001111/start')
  expect(started.status).toBe(503)
  expect(started.body).toMatchObject({ code: 'ENGINE_UNAVAILABLE', statusCode: 503, details: { engine: 'webjs' } })
  expect(started.body.error).toContain(`CHROME_PATH is set to ${missing}`)
  expect(JSON.stringify(started.body)).not.toContain('    at ')

  const simulator = await server.call('POST', '/15550002222/start', { body: { engine: 'simulator' } })
  expect(simulator.status).toBe(200)
})

test('the boot banner says when the default engine cannot run, and how to go on', async () => {
  const dataDir = tempDir()
  const env = testEnv(dataDir, { WA_ENGINE: 'webjs', CHROME_PATH: join(dataDir, 'no-chromium-here'), LOG_LEVEL: 'info', API_KEY: ADMIN_KEY })
  proc = await startServerProcess(env, 60_000)
  await waitFor(() => proc!.output().includes('cannot run on this machine'), 60_000, 50)
  expect(proc.output()).toContain('The default engine (webjs) cannot run on this machine: CHROME_PATH is set to')
  expect(proc.output()).toContain('WA_ENGINE=simulator')
})
