/**
 * Linking a number: the QR as it rotates, as a stream (`GET /:phoneNumber/qr/events`), for
 * the dashboard and any frontend that shows the QR without polling.
 */
import { Elysia } from 'elysia'
import { authGuards, type GuardDeps } from '../../auth/guards'
import type { EventBus } from '../../events/bus'
import { linkStream } from '../../sessions/link-stream'
import { guardedErrors, PhoneParams } from '../common/model'

export interface LinkingModuleDeps {
  bus: EventBus
  keepaliveMs: number
}

export const LINK_STREAM_EXAMPLE =
  ': connected\n\nevent: status\ndata: {"state":"AUTHENTICATING","status":"SCAN_QR_CODE"}\n\nevent: qr\ndata: {"qrCode":"data:image/png;base64,iVBORw0KGgo…","value":"2@AbCd…"}\n\nevent: status\ndata: {"state":"CONNECTED","status":"WORKING","me":{"id":"966500000001@c.us"}}\n\n'

export function linkingModule(guards: GuardDeps, deps: LinkingModuleDeps) {
  return new Elysia({ name: 'linking', seed: guards })
    .use(authGuards(guards))
    .get(
      '/:phoneNumber/qr/events',
      async ({ phoneNumber }) => {
        await guards.sessions.requireRecord(phoneNumber)
        return linkStream(deps.bus, guards.sessions, phoneNumber, { keepaliveMs: deps.keepaliveMs })
      },
      {
        requireSingleAccountProtected: true,
        params: PhoneParams,
        response: guardedErrors,
        detail: {
          tags: ['Sessions'],
          summary: 'Stream the QR as it rotates (SSE)',
          description:
            'Server-Sent Events for showing the QR without polling: first `event: status` with the current `{state, status, me?}` and, while a QR is pending, `event: qr` with `{qrCode, value}` (as `GET /{phoneNumber}/qr`); then a new `qr` each time WhatsApp rotates it and a `status` on every change. The stream ends after `WORKING`. Live only (no `Last-Event-ID`): an old QR is useless.',
          responses: { 200: { description: 'The linking stream', content: { 'text/event-stream': { schema: { type: 'string' as const }, example: LINK_STREAM_EXAMPLE } } } },
        },
      },
    )
}
