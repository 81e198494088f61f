/**
 * WAHA's webhook delivery, for webhooks set in a WAHA session's `config.webhooks[]`: the
 * same envelope with WAHA's `environment` and the session's `metadata` added, and WAHA's
 * headers (`X-Webhook-Request-Id`, `X-Webhook-Timestamp` in ms, `X-Webhook-Hmac` sha512 of
 * exactly the bytes sent). Pure functions; the deliverer calls them per attempt.
 */
import { ulid } from '../lib/ids'
import { wahaHmacHeaders } from './signing'

/** What WAHA calls the server's `environment` (`WAHAEnvironment`), except the engine, taken from each envelope. */
export interface WahaEnvironmentBase {
  version: string
  tier: string
  browser: string
  platform: string
  worker: { id: string | null }
}

export function wahaEnvironmentBase(version: string, browser: string | undefined, workerId: string | null = null): WahaEnvironmentBase {
  return { version, tier: 'CORE', browser: browser ?? '', platform: `${process.platform}/${process.arch}`, worker: { id: workerId } }
}

/**
 * A message payload with the fields WAHA's `WAMessage` requires that our envelope leaves out:
 * `source` (`api` for our own messages), `participant` (who sent it) and `mediaUrl`.
 */
function wahaMessagePayload(payload: Record<string, unknown>, me: { id?: unknown } | undefined): Record<string, unknown> {
  const fromMe = payload.fromMe === true
  const media = payload.media as { url?: unknown } | undefined
  return {
    ...payload,
    source: payload.source ?? (fromMe ? 'api' : 'app'),
    participant: payload.participant ?? (fromMe ? (me?.id ?? payload.from) : payload.from),
    mediaUrl: payload.mediaUrl ?? (typeof media?.url === 'string' ? media.url : ''),
  }
}

/** The envelope as WAHA sends it: ours plus `environment` and `metadata` (`{}` without metadata). */
export function wahaWebhookBody(body: string, environment: WahaEnvironmentBase, metadata: Record<string, unknown> | null | undefined): string {
  const envelope = JSON.parse(body) as Record<string, unknown>
  const engine = typeof envelope.engine === 'string' ? envelope.engine : 'WEBJS'
  const isMessage = envelope.event === 'message' || envelope.event === 'message.any'
  const payload = isMessage && envelope.payload && typeof envelope.payload === 'object'
    ? wahaMessagePayload(envelope.payload as Record<string, unknown>, envelope.me as { id?: unknown } | undefined)
    : envelope.payload
  return JSON.stringify({ ...envelope, payload, metadata: metadata ?? {}, environment: { ...environment, engine } })
}

export function wahaWebhookHeaders(body: string, hmacKey: string | null, now: number): Record<string, string> {
  return {
    'X-Webhook-Request-Id': ulid(now),
    'X-Webhook-Timestamp': String(now),
    ...(hmacKey && wahaHmacHeaders(body, hmacKey)),
  }
}
