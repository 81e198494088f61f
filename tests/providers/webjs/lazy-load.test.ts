/** A server that only runs the simulator never loads whatsapp-web.js or puppeteer. */
import { expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../../helpers/app'

test('whatsapp-web.js and puppeteer load only when the webjs engine is first asked for', async () => {
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
    const report = JSON.parse(out.trim().split('\n').at(-1)!) as { status: string; withSimulator: number; afterWebjs: number }
    expect(report.status).toBe('SCAN_QR_CODE')
    expect(report.withSimulator).toBe(0)
    // …and the check would see them: asking for webjs loads both.
    expect(report.afterWebjs).toBeGreaterThan(0)
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
})
