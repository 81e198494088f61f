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

/** The envelope as WAHA sends it: ours plus `environment` and `metadata` (`{}` without metadata). */
export function wahaWebhookBody(body: string, environment: WahaEnvironmentBase, metadata: Record<string, unknown> | null | undefined): string {
  const envelope = JSON.parse(body) as Record<string, unknown>
  const engine = typeof envelope.engine === 'string' ? envelope.engine : 'WEBJS'
  return JSON.stringify({ ...envelope, metadata: metadata ?? {}, environment: { ...environment, engine } })
}

export function wahaWebhookHeaders(body: string, hmacKey: string | null, now: number): Record<string, string> {
  return {
    'X-Webhook-Request-Id': ulid(now),
    'X-Webhook-Timestamp': String(now),
    ...(hmacKey && wahaHmacHeaders(body, hmacKey)),
  }
}
