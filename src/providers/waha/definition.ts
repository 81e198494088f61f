/**
 * The waha engine's registry entry: its settings (WAHA_*), the schemas of the callbacks a
 * WAHA server sends back, and its code — the WAHA client and the callback decoding — loaded
 * only when a waha session starts or a callback arrives.
 */
import { defineEngine } from '../engine'
import { WahaMessageWebhookBody, WahaStateChangeWebhookBody } from './model'

export interface WahaSettings {
  url?: string
  apiKey?: string
  /** Deadline of one request to WAHA, reading the answer included. */
  timeoutMs: number
  /** How often a running WAHA session's status (and pending QR) is read back. */
  pollMs: number
  /** Largest media file fetched from WAHA for an incoming message or a download. */
  mediaMaxBytes: number
  /** When set, inbound WAHA callbacks must carry a valid `X-Webhook-Hmac` (HMAC-SHA512 of the body). */
  webhookHmacKey?: string
}

export const wahaEngine = defineEngine({
  name: 'waha',
  envelopeName: 'WAHA',
  settings: (read): WahaSettings => {
    const url = read.url('WAHA_URL', ['http:', 'https:'])
    const apiKey = read.string('WAHA_API_KEY')
    const webhookHmacKey = read.string('WAHA_WEBHOOK_HMAC_KEY')
    if (url && !apiKey) {
      read.problems.push('WAHA_URL needs WAHA_API_KEY: WAHA sends it back on its callbacks to /webhook/*, which refuse calls without it')
    }
    return {
      ...(url && { url }),
      ...(apiKey && { apiKey }),
      timeoutMs: read.integer('WAHA_TIMEOUT_MS', 30_000, 100, 600_000),
      pollMs: read.integer('WAHA_POLL_MS', 5_000, 10, 3_600_000),
      mediaMaxBytes: read.integer('WAHA_MEDIA_MAX_BYTES', 100 * 1024 * 1024, 1024, 2 * 1024 * 1024 * 1024),
      ...(webhookHmacKey && { webhookHmacKey }),
    }
  },
  notConfigured: (settings) => (settings.url ? undefined : 'needs WAHA_URL'),
  load: async (settings, host) => (await import('./index')).createWahaFactoryFromSettings(settings, host),
  callbacks: {
    schemas: { message: WahaMessageWebhookBody, 'state-change': WahaStateChangeWebhookBody },
    decoder: async () => (await import('./callbacks')).wahaCallbackDecoder,
  },
})
