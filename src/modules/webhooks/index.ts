import { Elysia } from 'elysia'
import { authGuards, type GuardDeps } from '../../auth/guards'
import { ErrorEnvelope, guardedErrors, PhoneParams } from '../common/model'
import { CreatedWebhook, CreateWebhookBody, DeleteWebhookResult, DeliveriesQuery, DeliveryList, WebhookList, WebhookParams } from './model'
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
