/**
 * A machine without Chromium: the webjs engine cannot run. Starting a webjs session is a
 * 503 ENGINE_UNAVAILABLE naming the fix (tests/providers/webjs/sessions-http.test.ts), and
 * the boot banner says so at once when webjs is the default engine.
 */
import { afterEach, expect, test } from 'bun:test'
import { join } from 'node:path'
import { ADMIN_KEY, tempDir, testEnv, waitFor } from '../../helpers/app'
import { startServerProcess, type ServerProcess } from '../../helpers/process'

let proc: ServerProcess | undefined
afterEach(async () => {
  await proc?.stop()
  proc = undefined
})

test('the boot banner says when the default engine cannot run, and how to go on', async () => {
  const dataDir = tempDir()
  const env = testEnv(dataDir, { WA_ENGINE: 'webjs', CHROME_PATH: join(dataDir, 'no-chromium-here'), LOG_LEVEL: 'info', API_KEY: ADMIN_KEY })
  proc = await startServerProcess(env, 60_000)
  await waitFor(() => proc!.output().includes('cannot run on this machine'), 60_000, 50)
  expect(proc.output()).toContain('The default engine (webjs) cannot run on this machine: CHROME_PATH is set to')
  expect(proc.output()).toContain('WA_ENGINE=simulator')
})
