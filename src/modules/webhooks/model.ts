import { t } from 'elysia'
import { EVENT_NAMES } from '../../providers/engine'
import { oneOf, PhoneNumberParam } from '../common/model'

export const WEBHOOK_EVENT_CHOICES = ['*', ...EVENT_NAMES] as const

export const WebhookParams = t.Object({
  phoneNumber: PhoneNumberParam,
  id: t.String({ minLength: 1, maxLength: 64, description: 'Webhook id (`wh_…`, or `default` for the one from WEBHOOK_URL)', examples: ['wh_01jd8x3v6m4k2r9q8n7p5t3w1y'] }),
})

const example = {
  url: 'https://example.com/whatsapp/events',
  events: ['message', 'message.ack', 'session.status'],
  headers: { Authorization: 'Bearer my-receiver-token' },
}

const HmacSetting = t.Object(
  { key: t.String({ minLength: 1, maxLength: 256, description: 'Key for WAHA-style `X-Webhook-Hmac` (hex HMAC-SHA512 of the body)' }) },
  { description: "WAHA's `hmac` setting. Without it, `X-Webhook-Hmac` is keyed with the secret (the whole `whsec_…` string) when one is set." },
)

export const CreateWebhookBody = t.Object(
  {
    url: t.String({ minLength: 1, maxLength: 2048, description: 'http(s) URL that receives a POST per event. Redirects are not followed.', examples: [example.url] }),
    events: t.Array(oneOf(WEBHOOK_EVENT_CHOICES), {
      minItems: 1,
      maxItems: WEBHOOK_EVENT_CHOICES.length,
      uniqueItems: true,
      description: 'Event names to receive, or `["*"]` for all',
      examples: [example.events],
    }),
    secret: t.Optional(
      t.String({ description: 'Standard Webhooks secret: `whsec_` + base64 of 24–64 random bytes. Omit and set `generateSecret` to have one made.', examples: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'] }),
    ),
    generateSecret: t.Optional(t.Boolean({ description: 'Generate a `whsec_…` secret; it is returned once, in this response' })),
    headers: t.Optional(
      t.Record(t.String({ minLength: 1, maxLength: 100 }), t.String({ maxLength: 1024 }), {
        description: 'Extra request headers sent with every delivery (e.g. a token for your receiver)',
        examples: [example.headers],
      }),
    ),
    hmac: t.Optional(HmacSetting),
  },
  { examples: [{ ...example, generateSecret: true }] },
)

const timestamp = (description: string) => t.Union([t.String({ format: 'date-time' }), t.Null()], { description })

const webhookViewFields = {
    id: t.String({ examples: ['wh_01jd8x3v6m4k2r9q8n7p5t3w1y'] }),
    phoneNumber: t.Union([t.String(), t.Null()], { description: 'The session it belongs to; null for the configured default webhook, which receives every session' }),
    source: oneOf(['api', 'config', 'waha'], { description: '`config`: the default webhook from WEBHOOK_URL; `waha`: set in a WAHA session\'s `config.webhooks[]` (§13), delivered in WAHA\'s envelope and headers' }),
    url: t.String(),
    events: t.Array(t.String()),
    headers: t.Record(t.String(), t.String()),
    signed: t.Boolean({ description: 'Deliveries carry Standard Webhooks signatures (a secret is set)' }),
    previousSecretExpiresAt: timestamp('During a secret rotation: until when the previous secret also signs (a second `v1,…` in `webhook-signature`); null otherwise'),
    wahaHmac: t.Boolean({ description: 'Deliveries carry `X-Webhook-Hmac`' }),
    status: oneOf(['active', 'disabled']),
    disabledReason: t.Union([t.String(), t.Null()], { description: 'Why delivery stopped: 410 Gone, or failing for too long' }),
    disabledAt: timestamp('When it was disabled'),
    failingSince: timestamp('Start of the current run of failed attempts; null while healthy'),
    lastSuccessAt: timestamp('Last successful delivery (updated at most once a minute)'),
    createdAt: t.String({ format: 'date-time' }),
}

const webhookExample = {
        id: 'wh_01jd8x3v6m4k2r9q8n7p5t3w1y',
        phoneNumber: '966500000001',
        source: 'api',
        ...example,
        signed: true,
        previousSecretExpiresAt: null,
        wahaHmac: true,
        status: 'active',
        disabledReason: null,
        disabledAt: null,
        failingSince: null,
        lastSuccessAt: '2026-01-01T00:00:00.000Z',
        createdAt: '2026-01-01T00:00:00.000Z',
}

export const WebhookView = t.Object(webhookViewFields, { examples: [webhookExample] })

export const CreatedWebhook = t.Object(
  { ...webhookViewFields, secret: t.Optional(t.String({ description: 'The signing secret, shown only in this response' })) },
  { examples: [{ ...webhookExample, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwqZyR0QQ1aZQ=' }] },
)

export const WebhookList = t.Object({ webhooks: t.Array(WebhookView) })

export const DeleteWebhookResult = t.Object({ success: t.Boolean(), id: t.String() }, { examples: [{ success: true, id: 'wh_01jgq5m9x6ts3k2v0f8d7c4b1a' }] })

export const DeliveriesQuery = t.Object({
  status: t.Optional(oneOf(['pending', 'delivered', 'failed'], { description: 'Only deliveries in this state' })),
  limit: t.Optional(t.Numeric({ minimum: 1, maximum: 500, description: 'Page size (default 50)' })),
  before: t.Optional(t.Numeric({ minimum: 1, description: 'Page cursor: deliveries of events with a smaller sequence (use `nextBefore`)' })),
})

export const DeliveryAttemptView = t.Object({
  at: t.String({ format: 'date-time' }),
  statusCode: t.Union([t.Integer(), t.Null()], { description: 'HTTP status, null when no response came (timeout, refused, blocked)' }),
  latencyMs: t.Integer(),
  error: t.Union([t.String(), t.Null()]),
})

export const DeliveryView = t.Object({
  eventId: t.String({ description: 'The envelope id, sent as `webhook-id` on every attempt', examples: ['evt_01jd8x3v6m4k2r9q8n7p5t3w1y'] }),
  event: t.String({ examples: ['message'] }),
  sequence: t.Integer({ description: 'Outbox sequence (the SSE event id)' }),
  status: oneOf(['pending', 'delivered', 'failed']),
  attempts: t.Integer({ description: 'Attempts made so far' }),
  lastStatusCode: t.Union([t.Integer(), t.Null()]),
  lastLatencyMs: t.Union([t.Integer(), t.Null()]),
  lastError: t.Union([t.String(), t.Null()]),
  nextAttemptAt: timestamp('When the next attempt is due (pending only)'),
  createdAt: t.String({ format: 'date-time' }),
  deliveredAt: timestamp('When a 2xx was received'),
  attemptLog: t.Array(DeliveryAttemptView, { description: 'The most recent attempts (up to 20), oldest first' }),
})

export const DeliveryList = t.Object(
  {
    deliveries: t.Array(DeliveryView),
    nextBefore: t.Optional(t.Integer({ description: 'Pass as `before` for the next page; absent on the last page' })),
  },
  {
    examples: [
      {
        deliveries: [
          {
            eventId: 'evt_01jd8x3v6m4k2r9q8n7p5t3w1y',
            event: 'message',
            sequence: 42,
            status: 'delivered',
            attempts: 2,
            lastStatusCode: 200,
            lastLatencyMs: 35,
            lastError: null,
            nextAttemptAt: null,
            createdAt: '2026-01-01T00:00:00.000Z',
            deliveredAt: '2026-01-01T00:00:05.120Z',
            attemptLog: [
              { at: '2026-01-01T00:00:00.010Z', statusCode: 500, latencyMs: 12, error: 'HTTP 500' },
              { at: '2026-01-01T00:00:05.085Z', statusCode: 200, latencyMs: 35, error: null },
            ],
          },
        ],
      },
    ],
  },
)

export const DeliveryParams = t.Object({
  phoneNumber: PhoneNumberParam,
  id: WebhookParams.properties.id,
  deliveryId: t.String({ minLength: 1, maxLength: 64, description: "The delivery's `eventId` (`evt_…`) or its `sequence`", examples: ['evt_01jd8x3v6m4k2r9q8n7p5t3w1y'] }),
})

export const UpdateWebhookBody = t.Object(
  {
    url: t.Optional(CreateWebhookBody.properties.url),
    events: t.Optional(CreateWebhookBody.properties.events),
    secret: t.Optional(
      t.Union([t.String(), t.Null()], {
        description: 'A new Standard Webhooks secret (`whsec_…`), or null to stop signing. The old secret keeps signing beside the new one for `secretGracePeriodSeconds`.',
      }),
    ),
    generateSecret: t.Optional(t.Boolean({ description: 'Rotate to a generated `whsec_…` secret, returned once, in this response' })),
    secretGracePeriodSeconds: t.Optional(
      t.Integer({ minimum: 0, maximum: 604_800, description: 'How long the previous secret keeps signing after a rotation (default 86400, a day; 0 drops it at once)' }),
    ),
    headers: t.Optional(CreateWebhookBody.properties.headers),
    hmac: t.Optional(t.Union([HmacSetting, t.Null()], { description: 'WAHA-style HMAC key; null falls back to the secret' })),
    enabled: t.Optional(
      t.Boolean({ description: '`true` re-enables a disabled webhook (its failing run is forgotten; failed deliveries stay failed and can be retried); `false` disables it' }),
    ),
  },
  { examples: [{ generateSecret: true, secretGracePeriodSeconds: 3600 }, { enabled: true }, { events: ['*'], url: 'https://example.com/whatsapp/v2' }] },
)

export const WebhookTestResult = t.Object(
  {
    delivered: t.Boolean({ description: 'The receiver answered 2xx' }),
    eventId: t.String({ description: 'The test envelope id, sent as `webhook-id`' }),
    statusCode: t.Union([t.Integer(), t.Null()], { description: 'HTTP status, null when no response came' }),
    latencyMs: t.Integer(),
    error: t.Union([t.String(), t.Null()]),
  },
  { examples: [{ delivered: true, eventId: 'evt_01jd8x3v6m4k2r9q8n7p5t3w1y', statusCode: 200, latencyMs: 42, error: null }] },
)
