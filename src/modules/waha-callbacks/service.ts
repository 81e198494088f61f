/**
 * Inbound WAHA callbacks: a WAHA server (the `waha` engine's backend) posts its webhook
 * envelopes here. Each is mapped to our engine events (`wahaEnvelopeToEngineEvents`:
 * one WhatsApp message is one `message` event although WAHA sends `message` and
 * `message.any`) and handed to the session's engine, which updates its state and emits
 * them into the one pipeline (outbox → webhooks, SSE, message store). WAHA retries its
 * webhooks, so a repeated envelope id is acknowledged and dropped.
 *
 * WAHA's session name is our phone number (the waha engine names its WAHA sessions so).
 */
import type { EventIngest } from '../../events/ingest'
import { parsePhoneNumber } from '../../lib/phone'
import { wahaEnvelopeToEngineEvents, type WahaEnvelope } from '../../providers/waha/events'
import type { SessionManager } from '../../sessions/manager'

/** Remembers recent keys per session, forgetting the oldest beyond `capacity`. */
class RecentKeys {
  private readonly bySession = new Map<string, Set<string>>()

  constructor(private readonly capacity: number) {}

  has(session: string, key: string): boolean {
    return this.bySession.get(session)?.has(key) ?? false
  }

  add(session: string, key: string): void {
    let set = this.bySession.get(session)
    if (!set) {
      set = new Set()
      this.bySession.set(session, set)
    }
    set.add(key)
    if (set.size > this.capacity) set.delete(set.values().next().value!)
  }
}

export interface CallbackResult {
  success: true
  /** How many events entered the pipeline (0 for a repeat, or for what carries nothing for us). */
  published: number
  duplicate: boolean
}

export class WahaCallbacksService {
  private readonly envelopes = new RecentKeys(5000)

  constructor(
    private readonly sessions: SessionManager,
    private readonly ingest: EventIngest,
  ) {}

  async accept(envelope: WahaEnvelope): Promise<CallbackResult> {
    const session = parsePhoneNumber(envelope.session)
    if (this.envelopes.has(session, envelope.id)) return { success: true, published: 0, duplicate: true }
    const events = wahaEnvelopeToEngineEvents(envelope)
    if (events.length === 0) {
      await this.sessions.get(session) // 404 for an unknown session, as for every other callback
      return { success: true, published: 0, duplicate: false }
    }
    await this.sessions.acceptExternalEvents(session, events)
    this.envelopes.add(session, envelope.id)
    // Answer once the events are committed to the outbox, so WAHA retries anything we did not store.
    await this.ingest.idle()
    return { success: true, published: events.length, duplicate: false }
  }
}
