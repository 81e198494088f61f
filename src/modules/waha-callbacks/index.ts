/**
 * `POST /webhook/message` and `POST /webhook/state-change`: where a WAHA server reports
 * back (API.md §7.3). Guarded by `requireWahaProtected` (X-Api-Key = WAHA_API_KEY or the
 * admin key); with WAHA_WEBHOOK_HMAC_KEY set, WAHA's `X-Webhook-Hmac` must also verify.
 * The body schemas are those of the engines that receive callbacks, from the engine
 * registry; this module imports no engine.
 */
import { Elysia, t, type TSchema } from 'elysia'
import { authGuards, type GuardDeps } from '../../auth/guards'
import { UnauthorizedError } from '../../errors'
import { keepRawBody, rawBodyOf } from '../../http/body'
import { API_BASE } from '../../lib/api-paths'
import { verifyWahaHmac } from '../../events/signing'
import type { CallbackKind } from '../../providers/engine'
import { ErrorEnvelope, guardedErrors } from '../common/model'
import type { WahaCallbacksService } from './service'

const tags = ['WAHA callbacks']

const CallbackResult = t.Object(
  {
    success: t.Boolean(),
    published: t.Integer({ description: 'Events that entered the pipeline: 0 for a repeat (WAHA retried, or sent `message` and `message.any` for one message) or for `state.change`' }),
    duplicate: t.Boolean(),
  },
  { examples: [{ success: true, published: 1, duplicate: false }] },
)

const COMMON = `WAHA's envelope (\`{id, timestamp, session, engine, event, payload, me?, environment?}\`) as WAHA's OpenAPI document describes it; \`session\` is the phone number of a session of this server running on the waha engine (404 unknown, 409 on an engine that receives no callbacks, or not running). Answers 200 once the event is stored in the outbox, so WAHA retries anything not stored. Repeats of an envelope id are acknowledged and dropped. With WAHA_WEBHOOK_HMAC_KEY set, \`X-Webhook-Hmac\` (hex HMAC-SHA512 of the body) must verify (401 otherwise).`

/**
 * The JSON body exactly as received, for `X-Webhook-Hmac` (computed over these bytes): kept
 * by the one body parser (which reads within MAX_BODY_BYTES), and only on these two paths.
 */
const CALLBACK_PATHS = new Set([`${API_BASE}/webhook/message`, `${API_BASE}/webhook/state-change`])

export interface CallbackRoutesOptions {
  /** The body schemas of each callback, one per engine that receives callbacks (the registry's). */
  schemas: (kind: CallbackKind) => TSchema[]
  hmacKey?: string
}

/** One engine's schema as is (its error messages stay precise), several as a union, none as "names a session". */
function bodyOf(schemas: TSchema[]): TSchema {
  if (schemas.length === 1) return schemas[0]!
  if (schemas.length > 1) return t.Union(schemas)
  return t.Object({ session: t.String() }, { additionalProperties: true })
}

export function wahaCallbacksModule(deps: GuardDeps, service: WahaCallbacksService, options: CallbackRoutesOptions) {
  const hmacKey = options.hmacKey
  const checkHmac = async (request: Request) => {
    if (!hmacKey) return
    const bytes = rawBodyOf(request)
    const body = bytes === undefined ? undefined : new TextDecoder().decode(bytes)
    if (body === undefined || !verifyWahaHmac(request.headers, body, hmacKey)) {
      throw new UnauthorizedError('X-Webhook-Hmac is missing or does not match the body (WAHA_WEBHOOK_HMAC_KEY)')
    }
  }
  return new Elysia({ name: 'waha-callbacks', seed: deps })
    .onRequest(({ request }) => {
      if (hmacKey && request.method === 'POST' && CALLBACK_PATHS.has(new URL(request.url).pathname)) {
        keepRawBody(request)
      }
    })
    .use(authGuards(deps))
    .post(
      '/webhook/message',
      async ({ body, request }) => {
        await checkHmac(request)
        return service.accept('message', body)
      },
      {
        requireWahaProtected: true,
        body: bodyOf(options.schemas('message')),
        response: { 200: CallbackResult, 409: ErrorEnvelope, ...guardedErrors },
        detail: {
          tags,
          summary: 'WAHA message events in',
          description: `Takes WAHA's \`message\`, \`message.any\`, \`message.ack\`, \`message.reaction\`, \`message.revoked\`, \`message.edited\`, \`group.v2.*\`, \`presence.update\` and \`call.received\` events and feeds them into this server's events (webhooks, SSE, history), as if the engine had seen them. ${COMMON}`,
        },
      },
    )
    .post(
      '/webhook/state-change',
      async ({ body, request }) => {
        await checkHmac(request)
        return service.accept('state-change', body)
      },
      {
        requireWahaProtected: true,
        body: bodyOf(options.schemas('state-change')),
        response: { 200: CallbackResult, 409: ErrorEnvelope, ...guardedErrors },
        detail: {
          tags,
          summary: 'WAHA session status in',
          description: `Takes WAHA's \`session.status\` (and the deprecated \`state.change\`, acknowledged and not published): the session's status and linked account follow WAHA's (PASSKEY_* count as SCAN_QR_CODE), and a \`session.status\` event is published. ${COMMON}`,
        },
      },
    )
}
