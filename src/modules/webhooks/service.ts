/**
 * Webhook subscriptions of a session: validation, creation (with an optional generated
 * secret), listing, deletion and the delivery log. No HTTP here.
 */
import { isIP } from 'node:net'
import type { Principal } from '../../auth/principal'
import { BadRequestError, ConflictError, NotFoundError } from '../../errors'
import type { EventsRuntime } from '../../events/runtime'
import { generateWebhookSecret, isValidWebhookSecret } from '../../events/signing'
import { DEFAULT_WEBHOOK_ID, type DeliveryRecord, type DeliveryState, type WebhookRecord } from '../../events/webhook-store'
import { eventId, webhookId } from '../../lib/ids'
import { blockedReason, parseCidr, type ParsedCidr } from '../../lib/ip-policy'
import type { SessionManager } from '../../sessions/manager'

/** The event name of a test delivery (never produced by a session). */
export const WEBHOOK_TEST_EVENT = 'webhook.test'

/** Webhooks one session may have; each event is written once per webhook. */
export const MAX_WEBHOOKS_PER_SESSION = 20

/** Headers the deliverer sets itself; a custom value would contradict or forge them. */
const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'content-type',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'user-agent',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'x-webhook-hmac',
  'x-webhook-hmac-algorithm',
])
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const MAX_HEADERS = 20

export interface CreateWebhookInput {
  url: string
  events: string[]
  secret?: string
  generateSecret?: boolean
  headers?: Record<string, string>
  hmac?: { key: string }
  /** `waha`: from a WAHA session's config (§13), delivered in WAHA's envelope with this metadata. */
  source?: 'api' | 'waha'
  metadata?: Record<string, unknown>
}

export interface UpdateWebhookInput {
  url?: string
  events?: string[]
  secret?: string | null
  generateSecret?: boolean
  secretGracePeriodSeconds?: number
  headers?: Record<string, string>
  hmac?: { key: string } | null
  enabled?: boolean
}

/** How long the old secret keeps signing after a rotation, unless the request says otherwise (Svix's default). */
export const DEFAULT_SECRET_GRACE_SECONDS = 86_400

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

export function webhookView(record: WebhookRecord) {
  return {
    id: record.id,
    phoneNumber: record.session,
    source: record.source,
    url: record.url,
    events: record.events,
    headers: record.headers,
    signed: record.secret !== null,
    previousSecretExpiresAt: record.previousSecret !== null && record.previousSecretUntil !== null && record.previousSecretUntil > Date.now() ? iso(record.previousSecretUntil) : null,
    wahaHmac: (record.hmacKey ?? record.secret) !== null,
    status: record.status,
    disabledReason: record.disabledReason,
    disabledAt: iso(record.disabledAt),
    failingSince: iso(record.failingSince),
    lastSuccessAt: iso(record.lastSuccessAt),
    createdAt: new Date(record.createdAt).toISOString(),
  }
}

function deliveryView(delivery: DeliveryRecord) {
  return {
    eventId: delivery.eventId,
    event: delivery.event,
    sequence: delivery.seq,
    status: delivery.state,
    attempts: delivery.attempts,
    lastStatusCode: delivery.lastStatus,
    lastLatencyMs: delivery.lastLatencyMs,
    lastError: delivery.lastError,
    nextAttemptAt: iso(delivery.nextAttemptAt),
    createdAt: new Date(delivery.createdAt).toISOString(),
    deliveredAt: iso(delivery.deliveredAt),
    attemptLog: delivery.log.map((attempt) => ({ ...attempt, at: new Date(attempt.at).toISOString() })),
  }
}

export class WebhooksService {
  private readonly allow: ParsedCidr[]

  constructor(
    private readonly events: EventsRuntime,
    private readonly sessions: SessionManager,
    outboundAllowCidrs: readonly string[],
  ) {
    this.allow = outboundAllowCidrs.map((cidr) => parseCidr(cidr))
  }

  async create(phoneNumber: string, principal: Principal, input: CreateWebhookInput) {
    await this.sessions.requireRecord(phoneNumber)
    const url = this.checkUrl(input.url)
    const events = [...new Set(input.events)]
    if (input.secret !== undefined && input.generateSecret) throw new BadRequestError('Give a secret or set generateSecret, not both')
    if (input.secret !== undefined && !isValidWebhookSecret(input.secret)) {
      throw new BadRequestError('secret must be whsec_ followed by the base64 of 24 to 64 random bytes (or set generateSecret: true)')
    }
    const headers = this.checkHeaders(input.headers ?? {})
    if (this.events.webhooks.countForSession(phoneNumber) >= MAX_WEBHOOKS_PER_SESSION) {
      throw new ConflictError(`A session can have at most ${MAX_WEBHOOKS_PER_SESSION} webhooks; delete one first`)
    }
    const secret = input.generateSecret ? generateWebhookSecret() : (input.secret ?? null)
    const now = Date.now()
    const record: WebhookRecord = {
      id: webhookId(),
      session: phoneNumber,
      accountId: principal.isAdmin ? null : principal.accountId,
      source: input.source ?? 'api',
      url,
      events,
      headers,
      secret,
      previousSecret: null,
      previousSecretUntil: null,
      hmacKey: input.hmac?.key ?? null,
      ...(input.metadata && { metadata: input.metadata }),
      status: 'active',
      disabledReason: null,
      disabledAt: null,
      failingSince: null,
      lastSuccessAt: null,
      createdAt: now,
      updatedAt: now,
    }
    await this.events.webhooks.insert(record)
    return { ...webhookView(record), ...(secret && { secret }) }
  }

  async get(phoneNumber: string, principal: Principal, id: string) {
    return webhookView(await this.require(phoneNumber, principal, id))
  }

  /**
   * Changes a webhook. A new secret (given or generated) replaces the current one, which
   * keeps signing beside it for the grace period, so receivers can switch without losing
   * a delivery. `enabled: true` re-enables a disabled webhook (a fresh start: its failing
   * run is forgotten; deliveries that failed stay failed and can be retried one by one);
   * `enabled: false` disables it like a 410 would.
   */
  async update(phoneNumber: string, principal: Principal, id: string, input: UpdateWebhookInput) {
    const current = await this.require(phoneNumber, principal, id)
    if (current.source === 'config') throw new ConflictError('The default webhook comes from WEBHOOK_URL; change the configuration to change it')
    if (Object.keys(input).length === 0) throw new BadRequestError('Nothing to change: give at least one of url, events, secret, generateSecret, headers, hmac, enabled')
    if (input.secret !== undefined && input.generateSecret) throw new BadRequestError('Give a secret or set generateSecret, not both')
    if (typeof input.secret === 'string' && !isValidWebhookSecret(input.secret)) {
      throw new BadRequestError('secret must be whsec_ followed by the base64 of 24 to 64 random bytes (or set generateSecret: true)')
    }
    if (input.secretGracePeriodSeconds !== undefined && input.secret === undefined && !input.generateSecret) {
      throw new BadRequestError('secretGracePeriodSeconds applies to a secret change; give secret or generateSecret with it')
    }
    const now = Date.now()
    const next: WebhookRecord = { ...current, updatedAt: now }
    if (input.url !== undefined) next.url = this.checkUrl(input.url)
    if (input.events !== undefined) next.events = [...new Set(input.events)]
    if (input.headers !== undefined) next.headers = this.checkHeaders(input.headers)
    if (input.hmac !== undefined) next.hmacKey = input.hmac?.key ?? null
    let shownSecret: string | undefined
    if (input.secret !== undefined || input.generateSecret) {
      const secret = input.generateSecret ? generateWebhookSecret() : (input.secret ?? null)
      if (input.generateSecret && secret) shownSecret = secret
      const graceMs = (input.secretGracePeriodSeconds ?? DEFAULT_SECRET_GRACE_SECONDS) * 1000
      const keepOld = current.secret !== null && secret !== null && secret !== current.secret && graceMs > 0
      next.secret = secret
      next.previousSecret = keepOld ? current.secret : null
      next.previousSecretUntil = keepOld ? now + graceMs : null
    }
    if (input.enabled === true && current.status === 'disabled') {
      Object.assign(next, { status: 'active', disabledReason: null, disabledAt: null, failingSince: null })
    }
    const disabling = input.enabled === false && current.status === 'active'
    await this.events.webhooks.update(next)
    // The deliverer keeps per-endpoint state (health, pauses, queued tasks); start it afresh.
    this.events.deliverer.forget(id)
    if (disabling) await this.events.webhooks.disable(id, 'disabled through the API (PATCH enabled: false)', now)
    const saved = this.events.webhooks.get(id) ?? next
    return { ...webhookView(saved), ...(shownSecret && { secret: shownSecret }) }
  }

  /**
   * Sends one signed `webhook.test` envelope to the webhook now (also when it is disabled,
   * to check the endpoint before re-enabling it) and says how it went. It is not an event
   * of the session: not in the outbox, not on SSE, not retried.
   */
  async test(phoneNumber: string, principal: Principal, id: string) {
    const webhook = await this.require(phoneNumber, principal, id)
    const session = await this.sessions.get(phoneNumber)
    const envelope = {
      id: eventId(),
      timestamp: Date.now(),
      event: WEBHOOK_TEST_EVENT,
      session: phoneNumber,
      ...(session.me && { me: session.me }),
      engine: this.events.envelopeName(session.engine),
      payload: { webhookId: webhook.id, message: 'A test event from WhatsApp Web Server: if you can read this, the webhook works.' },
    }
    const attempt = await this.events.deliverer.sendOnce(webhook, { eventId: envelope.id, body: JSON.stringify(envelope) })
    const delivered = attempt.statusCode !== null && attempt.statusCode >= 200 && attempt.statusCode < 300
    return { delivered, eventId: envelope.id, statusCode: attempt.statusCode, latencyMs: attempt.latencyMs, error: attempt.error }
  }

  /**
   * Sends a failed delivery again now (same `webhook-id`). A pending one is already being
   * retried (409), a delivered one is done (409); the webhook must be enabled.
   */
  async retry(phoneNumber: string, principal: Principal, id: string, deliveryRef: string) {
    const webhook = await this.require(phoneNumber, principal, id)
    const ref = /^\d{1,15}$/.test(deliveryRef) ? { seq: Number(deliveryRef) } : { eventId: deliveryRef }
    const delivery = await this.events.webhooks.getDelivery(id, phoneNumber, ref)
    if (!delivery) throw new NotFoundError(`Delivery ${deliveryRef} not found for webhook ${id}`)
    if (webhook.status !== 'active') throw new ConflictError(`Webhook ${id} is disabled (${webhook.disabledReason ?? 'no reason recorded'}); re-enable it first with PATCH {"enabled": true}`)
    if (delivery.state === 'delivered') throw new ConflictError(`Delivery ${deliveryRef} was already delivered`)
    if (delivery.state === 'pending') {
      throw new ConflictError(`Delivery ${deliveryRef} is still pending; its next attempt is due at ${iso(delivery.nextAttemptAt)}`)
    }
    const retried = await this.events.deliverer.retryNow(id, delivery.seq)
    if (!retried) throw new ConflictError(`Delivery ${deliveryRef} changed meanwhile; read it again`)
    const updated = await this.events.webhooks.getDelivery(id, phoneNumber, { seq: delivery.seq })
    return deliveryView(updated ?? delivery)
  }

  async list(phoneNumber: string, principal: Principal) {
    await this.sessions.requireRecord(phoneNumber)
    const own = this.events.webhooks.listForSession(phoneNumber)
    const global = principal.isAdmin ? this.events.webhooks.get(DEFAULT_WEBHOOK_ID) : undefined
    return { webhooks: [...(global ? [global] : []), ...own].map(webhookView) }
  }

  async delete(phoneNumber: string, principal: Principal, id: string) {
    const webhook = await this.require(phoneNumber, principal, id)
    if (webhook.source === 'config') {
      throw new ConflictError('The default webhook comes from WEBHOOK_URL; change the configuration to remove it')
    }
    await this.events.webhooks.delete(id)
    this.events.deliverer.forget(id)
    return { success: true, id }
  }

  async deliveries(phoneNumber: string, principal: Principal, id: string, query: { status?: DeliveryState; limit?: number; before?: number }) {
    await this.require(phoneNumber, principal, id)
    const limit = query.limit ?? 50
    const rows = await this.events.webhooks.listDeliveries(id, phoneNumber, {
      limit,
      ...(query.status && { state: query.status }),
      ...(query.before !== undefined && { before: query.before }),
    })
    const last = rows.at(-1)
    return { deliveries: rows.map(deliveryView), ...(rows.length === limit && last && { nextBefore: last.seq }) }
  }

  /** The webhook, when it exists and this caller may see it through this number. */
  private async require(phoneNumber: string, principal: Principal, id: string): Promise<WebhookRecord> {
    await this.sessions.requireRecord(phoneNumber)
    const webhook = this.events.webhooks.get(id)
    const visible = webhook && (webhook.session === phoneNumber || (webhook.session === null && principal.isAdmin))
    if (!webhook || !visible) throw new NotFoundError(`Webhook ${id} not found for ${phoneNumber}`)
    return webhook
  }

  private checkUrl(raw: string): string {
    let url: URL
    try {
      url = new URL(raw)
    } catch {
      throw new BadRequestError('url must be an absolute http or https URL')
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new BadRequestError(`url must use http or https, not ${url.protocol.replace(/:$/, '')}`)
    if (url.hostname === '') throw new BadRequestError('url has no host')
    // Literal addresses (and localhost) are checked now; names are checked on every delivery, when they resolve.
    const host = url.hostname.replace(/^\[|\]$/g, '')
    const literal = isIP(host) !== 0 ? host : /^localhost\.?$|\.localhost\.?$/i.test(host) ? '127.0.0.1' : undefined
    if (literal !== undefined) {
      const reason = blockedReason(literal, this.allow)
      if (reason !== null) {
        throw new BadRequestError(`url host ${url.hostname} is not allowed (${reason} address); only public addresses, or ranges in OUTBOUND_ALLOW_CIDRS`)
      }
    }
    return url.href
  }

  private checkHeaders(headers: Record<string, string>): Record<string, string> {
    const entries = Object.entries(headers)
    if (entries.length > MAX_HEADERS) throw new BadRequestError(`At most ${MAX_HEADERS} custom headers`)
    const result: Record<string, string> = {}
    const seen = new Set<string>()
    for (const [name, value] of entries) {
      if (!HEADER_NAME.test(name)) throw new BadRequestError(`headers: "${name.slice(0, 100)}" is not a valid header name`)
      const lower = name.toLowerCase()
      if (RESERVED_HEADERS.has(lower)) throw new BadRequestError(`headers: ${name} is set by the server and cannot be overridden`)
      if (seen.has(lower)) throw new BadRequestError(`headers: ${name} is given twice`)
      if (/[\r\n\0]/.test(value)) throw new BadRequestError(`headers: the value of ${name} must be one line`)
      seen.add(lower)
      result[name] = value
    }
    return result
  }
}
