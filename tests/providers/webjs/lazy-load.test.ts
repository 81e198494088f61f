/** A server that only runs the simulator never loads whatsapp-web.js, puppeteer or the WAHA client. */
import { expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../../helpers/app'

test('a simulator-only server loads neither whatsapp-web.js nor the WAHA client; webjs loads when first asked for', async () => {
  const dataDir = tempDir()
  try {
    const proc = Bun.spawn([process.execPath, join(import.meta.dir, 'lazy-load.script.ts')], {
      env: {
        PATH: process.env.PATH ?? '',
        DATA_DIR: dataDir,
        WA_ENGINE: 'simulator',
        API_KEY: 'lazy-load-admin-key-0123456789',
        LOG_LEVEL: 'silent',
        PRINT_QR: 'false',
        SIMULATOR_CONNECT_DELAY_MS: '0',
        // Any existing file: the engine only checks for the browser when it loads.
        CHROME_PATH: process.execPath,
      },
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
    expect({ code, err: code === 0 ? '' : err }).toEqual({ code: 0, err: '' })
    const report = JSON.parse(out.trim().split('\n').at(-1)!) as { started: number; status: string; simulatorModules: number; withSimulator: number; wahaWithSimulator: number; afterWebjs: number }
    expect(report).toMatchObject({ started: 200, status: 'SCAN_QR_CODE', simulatorModules: 1, withSimulator: 0, wahaWithSimulator: 0 })
    // …and the check would see them: asking for webjs loads both.
    expect(report.afterWebjs).toBeGreaterThan(0)
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
})
