/**
 * WAHA's webhooks, as the callback routes receive them: one envelope → the events it
 * carries for our session (named after its phone number), keyed by the envelope id, which
 * WAHA keeps when it retries. Loaded only when a callback arrives.
 */
import type { CallbackDecoder } from '../engine'
import { wahaEnvelopeToEngineEvents, type WahaEnvelope } from './events'

export const wahaCallbackDecoder: CallbackDecoder = {
  decode(_kind, body) {
    const envelope = body as WahaEnvelope
    return { session: envelope.session, deliveryId: envelope.id, events: wahaEnvelopeToEngineEvents(envelope) }
  },
}
