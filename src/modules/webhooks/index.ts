import { Elysia } from 'elysia'
import { authGuards, type GuardDeps } from '../../auth/guards'
import { ErrorEnvelope, guardedErrors, PhoneParams } from '../common/model'
import { CreatedWebhook, CreateWebhookBody, DeleteWebhookResult, DeliveriesQuery, DeliveryList, DeliveryParams, DeliveryView, UpdateWebhookBody, WebhookList, WebhookParams, WebhookTestResult, WebhookView } from './model'
import type { WebhooksService } from './service'

const tags = ['Webhooks']

const SIGNING = `Each delivery is a POST of one event envelope (\`{id, timestamp, event, session, me, engine, payload}\`, WAHA's field names, \`engine\` = WEBJS, SIMULATOR or WAHA) with \`content-type: application/json\`.
Message payloads follow WAHA's \`WAMessage\`: \`id, timestamp\` (seconds), \`from, to, fromMe, chatId, type, body, hasMedia, ack, ackName\`, \`media: {url, mimetype, filename}\` where \`url\` is this server's \`GET /:phoneNumber/messages/:chatId/:messageId/media\` under PUBLIC_URL, and \`replyTo: {id}\` as WAHA sends it. As in WAHA, a received message is sent as \`message\` and \`message.any\`, a sent one as \`message.any\` only; \`session.status\` carries \`{name, status, statuses, me?, reason?}\`; the QR itself is not an event (read \`GET /:phoneNumber/qr\`).
With a secret, it is signed per Standard Webhooks: \`webhook-id\` (the envelope id, the same on every retry), \`webhook-timestamp\` (seconds), \`webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">\`; and, for WAHA consumers, \`X-Webhook-Hmac\` (hex HMAC-SHA512 of the body) with \`X-Webhook-Hmac-Algorithm: sha512\`.
Only a 2xx answer counts as delivered; redirects are not followed; 410 disables the webhook; 429/503 \`Retry-After\` is honoured; other failures are retried with exponential backoff and jitter, from a durable outbox that survives restarts. A webhook that keeps failing for WEBHOOK_DISABLE_AFTER_MS is disabled, and says why here.`

export function webhooksModule(deps: GuardDeps, service: WebhooksService) {
  return new Elysia({ name: 'webhooks', seed: deps })
    .use(authGuards(deps))
    .post(
      '/:phoneNumber/webhooks',
      async ({ phoneNumber, principal, body, set }) => {
        const created = await service.create(phoneNumber, principal, body)
        set.status = 201
        return created
      },
      {
        requireSingleAccountProtected: true,
        params: PhoneParams,
        body: CreateWebhookBody,
        response: { 201: CreatedWebhook, 409: ErrorEnvelope, ...guardedErrors },
        detail: {
          tags,
          summary: 'Add a webhook',
          description: `Subscribes a URL to this session's events; a session may have several (up to 20). The session must exist. The URL must be public unless OUTBOUND_ALLOW_CIDRS allows its address. \`generateSecret: true\` makes a \`whsec_…\` secret, returned only in this response.\n\n${SIGNING}`,
        },
      },
    )
    .get('/:phoneNumber/webhooks', ({ phoneNumber, principal }) => service.list(phoneNumber, principal), {
      requireSingleAccountProtected: true,
      params: PhoneParams,
      response: { 200: WebhookList, ...guardedErrors },
      detail: {
        tags,
        summary: "List the session's webhooks",
        description: "The session's webhooks with their health: `status` (`active`/`disabled`), `disabledReason`, `failingSince`. Secrets are never shown again. The admin also sees the default webhook from WEBHOOK_URL (`phoneNumber: null`), which receives every session's events.",
      },
    })
    .get('/:phoneNumber/webhooks/:id', ({ phoneNumber, principal, params }) => service.get(phoneNumber, principal, params.id), {
      requireSingleAccountProtected: true,
      params: WebhookParams,
      response: { 200: WebhookView, ...guardedErrors },
      detail: { tags, summary: 'One webhook', description: 'The webhook with its health (`status`, `disabledReason`, `failingSince`) and, during a secret rotation, `previousSecretExpiresAt`. The secret is never shown again.' },
    })
    .patch('/:phoneNumber/webhooks/:id', ({ phoneNumber, principal, params, body }) => service.update(phoneNumber, principal, params.id, body), {
      requireSingleAccountProtected: true,
      params: WebhookParams,
      body: UpdateWebhookBody,
      response: { 200: CreatedWebhook, 409: ErrorEnvelope, ...guardedErrors },
      detail: {
        tags,
        summary: 'Change a webhook (url, events, headers, secret rotation, enabled)',
        description:
          'Only the fields given change. **Secret rotation**: a new `secret`, or `generateSecret: true` (returned once, in this response), replaces the current secret; the previous one keeps signing beside it for `secretGracePeriodSeconds` (default a day), so `webhook-signature` carries two `v1,…` signatures and a receiver verifying with either secret accepts the delivery. `secret: null` stops signing. **Enabling**: `enabled: true` re-enables a webhook disabled by a 410 or by failing too long, with a fresh health record; deliveries that failed meanwhile stay failed and can be sent again with `POST …/deliveries/:deliveryId/retry`. `enabled: false` disables it (pending deliveries are given up). The default webhook from WEBHOOK_URL is changed in the configuration (409).',
      },
    })
    .post('/:phoneNumber/webhooks/:id/test', ({ phoneNumber, principal, params }) => service.test(phoneNumber, principal, params.id), {
      requireSingleAccountProtected: true,
      params: WebhookParams,
      response: { 200: WebhookTestResult, ...guardedErrors },
      detail: {
        tags,
        summary: 'Send a signed test event',
        description:
          'POSTs one envelope `{id, timestamp, event: "webhook.test", session, me, engine, payload: {webhookId, message}}` to the webhook now, signed and with its headers exactly like a real delivery, and answers with the outcome (`delivered`, `statusCode`, `latencyMs`, `error`). Works on a disabled webhook too, to check the endpoint before re-enabling it. The test is not a session event: it is not stored, not streamed on SSE and not retried, and it does not change the webhook\'s health.',
      },
    })
    .post(
      '/:phoneNumber/webhooks/:id/deliveries/:deliveryId/retry',
      ({ phoneNumber, principal, params }) => service.retry(phoneNumber, principal, params.id, params.deliveryId),
      {
        requireSingleAccountProtected: true,
        params: DeliveryParams,
        response: { 200: DeliveryView, 409: ErrorEnvelope, ...guardedErrors },
        detail: {
          tags,
          summary: 'Retry one failed delivery now',
          description:
            "Sends a `failed` delivery again at once, with the same `webhook-id`, and from then on like any pending delivery (backoff on failure). Answers with the delivery, now `pending`; read the log to see the outcome. 409 when it is already delivered or still pending, or when the webhook is disabled (re-enable it first).",
        },
      },
    )
    .delete('/:phoneNumber/webhooks/:id', ({ phoneNumber, principal, params }) => service.delete(phoneNumber, principal, params.id), {
      requireSingleAccountProtected: true,
      params: WebhookParams,
      response: { 200: DeleteWebhookResult, 409: ErrorEnvelope, ...guardedErrors },
      detail: {
        tags,
        summary: 'Remove a webhook',
        description: 'Stops deliveries to it, pending ones included, and deletes its delivery log. The default webhook from WEBHOOK_URL is removed by changing the configuration (409).',
      },
    })
    .get(
      '/:phoneNumber/webhooks/:id/deliveries',
      ({ phoneNumber, principal, params, query }) => service.deliveries(phoneNumber, principal, params.id, query),
      {
        requireSingleAccountProtected: true,
        params: WebhookParams,
        query: DeliveriesQuery,
        response: { 200: DeliveryList, ...guardedErrors },
        detail: {
          tags,
          summary: "A webhook's deliveries",
          description:
            "One row per event sent to this webhook, newest first: state (`pending`, `delivered`, `failed`), attempts, last status code, latency and error, when the next retry is due, and the recent attempts. Page with `before` = the previous page's `nextBefore`. Delivered rows are kept for OUTBOX_RETENTION_MS.",
        },
      },
    )
}
