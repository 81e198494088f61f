/**
 * The webjs engine's registry entry: its settings (WEBJS_*, CHROME_*), and its code —
 * whatsapp-web.js and puppeteer — loaded only when the first webjs session starts.
 */
import { splitArgs } from '../../lib/env-reader'
import { defineEngine } from '../engine'

/** How the whatsapp-web.js engine drives Chromium. */
export interface WebjsSettings {
  /** From launching Chromium until WhatsApp Web shows a QR or is linked; past it the session is FAILED with the reason. */
  initTimeoutMs: number
  /** How often a running session's page is probed (a timed `evaluate` + `getState()`); 0 turns the probe off. */
  healthIntervalMs: number
  /** How long one probe may take before the engine is declared hung and restarted. */
  healthTimeoutMs: number
  /** QR codes shown before giving up with FAILED; 0 keeps showing new ones for as long as the session runs. */
  qrMaxRetries: number
  /** How long `destroy()` may take before the browser's process group is killed. */
  destroyTimeoutMs: number
  /** Incoming media up to this size is downloaded as it arrives; larger media only on request. */
  eagerMediaMaxBytes: number
  /** The Chromium to drive (CHROME_PATH, else the usual places), extra flags for it (CHROME_ARGS), and whether it runs lean (one process per session, see LEAN_CHROME_FLAGS). */
  chrome: { path?: string; args: string[]; lean: boolean }
}

export const webjsEngine = defineEngine({
  name: 'webjs',
  envelopeName: 'WEBJS',
  settings: (read): WebjsSettings => {
    let chromeArgs: string[] = []
    const rawChromeArgs = read.string('CHROME_ARGS')
    if (rawChromeArgs) {
      try {
        chromeArgs = splitArgs(rawChromeArgs)
        const bad = chromeArgs.find((arg) => !arg.startsWith('--'))
        if (bad) read.problems.push(`CHROME_ARGS must be flags starting with -- (got "${bad}")`)
      } catch (error) {
        read.problems.push(`CHROME_ARGS has an ${(error as Error).message}`)
      }
    }
    const chromePath = read.string('CHROME_PATH')
    return {
      initTimeoutMs: read.integer('WEBJS_INIT_TIMEOUT_MS', 120_000, 1000, 3_600_000),
      healthIntervalMs: read.integer('WEBJS_HEALTH_INTERVAL_MS', 60_000, 0, 3_600_000),
      healthTimeoutMs: read.integer('WEBJS_HEALTH_TIMEOUT_MS', 30_000, 100, 600_000),
      qrMaxRetries: read.integer('WEBJS_QR_MAX_RETRIES', 0, 0, 1000),
      destroyTimeoutMs: read.integer('WEBJS_DESTROY_TIMEOUT_MS', 10_000, 100, 600_000),
      eagerMediaMaxBytes: read.integer('WEBJS_EAGER_MEDIA_MAX_BYTES', 64 * 1024 * 1024, 0, 2 * 1024 * 1024 * 1024),
      chrome: { ...(chromePath && { path: chromePath }), args: chromeArgs, lean: read.boolean('WEBJS_LEAN_CHROMIUM', true) },
    }
  },
  load: async (settings, host) => (await import('./index')).createWebjsFactory(settings, host.logger.child({ component: 'webjs' })),
})
