/**
 * A number's linking progress as Server-Sent Events, for whoever shows the QR (the
 * dashboard, a link-invite page): `event: status` with `{state, status, me?, reason?}`,
 * and `event: qr` with `{qrCode, value}` each time WhatsApp rotates the QR. The stream
 * starts with the current status (and the pending QR, if any) and ends after WORKING,
 * since there is nothing left to link. Live only: a QR is worth nothing replayed.
 */
import QRCode from 'qrcode'
import type { EventBus, SessionEvent } from '../events/bus'
import { stateOf } from '../providers/engine'
import type { SessionManager, SessionView } from './manager'

export interface LinkStreamOptions {
  keepaliveMs: number
  /** Called once when the stream ends because the number is linked (WORKING). */
  onLinked?: () => void
}

const encoder = new TextEncoder()

export async function qrPayload(value: string): Promise<{ qrCode: string; value: string }> {
  return { qrCode: await QRCode.toDataURL(value, { margin: 2, width: 320 }), value }
}

function statusPayload(view: Pick<SessionView, 'state' | 'status' | 'me' | 'reason'>) {
  return { state: view.state, status: view.status, ...(view.me && { me: view.me }), ...(view.reason && { reason: view.reason }) }
}

export function linkStream(bus: EventBus, sessions: SessionManager, phoneNumber: string, options: LinkStreamOptions): Response {
  let cleanup = () => {}
  const stream = new ReadableStream<Uint8Array>({
    start: async (controller) => {
      let closed = false
      // Frames go out in the order their events happened, though QR images are made asynchronously.
      let chain: Promise<void> = Promise.resolve()
      const write = (text: string) => {
        if (closed) return
        try {
          controller.enqueue(encoder.encode(text))
        } catch {
          finish()
        }
      }
      const send = (event: string, data: Promise<unknown> | unknown) => {
        chain = chain.then(async () => write(`event: ${event}\ndata: ${JSON.stringify(await data)}\n\n`)).catch(() => undefined)
        return chain
      }
      const finish = () => {
        if (closed) return
        closed = true
        cleanup()
        try {
          controller.close()
        } catch {
          // already closed
        }
      }
      const linked = () => {
        options.onLinked?.()
        void chain.then(finish)
      }
      const keepalive = setInterval(() => write(': keepalive\n\n'), options.keepaliveMs)
      const unsubscribe = bus.subscribe((event: SessionEvent) => {
        if (event.session !== phoneNumber) return
        const engineEvent = event.event
        if (engineEvent.type === 'qr') void send('qr', qrPayload(engineEvent.value))
        else if (engineEvent.type === 'session.status') {
          void send('status', {
            state: stateOf(engineEvent.status),
            status: engineEvent.status,
            ...((engineEvent.me ?? event.me) && { me: engineEvent.me ?? event.me }),
            ...(engineEvent.reason !== undefined && { reason: engineEvent.reason }),
          })
          if (engineEvent.status === 'WORKING') linked()
        }
      })
      cleanup = () => {
        clearInterval(keepalive)
        unsubscribe()
      }
      write(': connected\n\n')
      try {
        const view = await sessions.get(phoneNumber)
        void send('status', statusPayload(view))
        if (view.qr !== undefined) void send('qr', qrPayload(view.qr))
        if (view.status === 'WORKING') linked()
      } catch {
        finish()
      }
    },
    cancel: () => cleanup(),
  })
  return new Response(stream, {
    headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' },
  })
}
