/**
 * Inbound engine callbacks: an engine's backend (a WAHA server, for the `waha` engine)
 * posts what it hears from WhatsApp here. The session named in the body decides the engine;
 * the engine registry gives that engine's decoder, which turns the body into our engine
 * events (for WAHA: one WhatsApp message is one `message` event although WAHA sends
 * `message` and `message.any`); the session's engine then updates its state and emits them
 * into the one pipeline (outbox → webhooks, SSE, message store). Backends retry, so a
 * repeated delivery id is acknowledged and dropped: remembered in memory on one node, in
 * the database when nodes share one (a retry may reach any node).
 */
import type { EventIngest } from '../../events/ingest'
import { BadRequestError, ConflictError } from '../../errors'
import { parsePhoneNumber } from '../../lib/phone'
import type { CallbackDecoder, CallbackKind, EngineEvent, EngineName } from '../../providers/engine'
import type { SessionManager } from '../../sessions/manager'

/** Delivery ids already taken in, shared by every node (CallbackDeliveriesRepository). */
export interface SharedCallbackIds {
  /** Records the id; false when it was recorded before. */
  claim(session: string, deliveryId: string): Promise<boolean>
  release(session: string, deliveryId: string): Promise<void>
}

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
    /** The engine registry's decoder of an engine's callbacks; undefined for an engine that receives none. */
    private readonly decoderOf: (engine: EngineName) => Promise<CallbackDecoder | undefined>,
    /** Set when several nodes share the database: ids are remembered there instead of here. */
    private readonly shared?: SharedCallbackIds,
  ) {}

  async accept(kind: CallbackKind, body: unknown): Promise<CallbackResult> {
    const named = (body as { session?: unknown } | null)?.session
    if (typeof named !== 'string') throw new BadRequestError('Invalid body: session: Required property is missing')
    const session = parsePhoneNumber(named)
    const record = await this.sessions.requireRecord(session) // 404 for an unknown session
    const decoder = await this.decoderOf(record.engine)
    if (!decoder) {
      throw new ConflictError(`Session ${session} runs on the ${record.engine} engine, which receives no callbacks: start it on an engine that does (e.g. waha)`, { engine: record.engine })
    }
    const { deliveryId, events } = decoder.decode(kind, body)
    if (this.shared) return this.acceptShared(this.shared, session, deliveryId, events)
    if (this.envelopes.has(session, deliveryId)) return { success: true, published: 0, duplicate: true }
    if (events.length === 0) return { success: true, published: 0, duplicate: false }
    await this.sessions.acceptExternalEvents(session, events)
    this.envelopes.add(session, deliveryId)
    // Answer once the events are committed to the outbox, so WAHA retries anything we did not store.
    await this.ingest.idle()
    return { success: true, published: events.length, duplicate: false }
  }

  private async acceptShared(shared: SharedCallbackIds, session: string, deliveryId: string, events: EngineEvent[]): Promise<CallbackResult> {
    if (!(await shared.claim(session, deliveryId))) return { success: true, published: 0, duplicate: true }
    if (events.length === 0) return { success: true, published: 0, duplicate: false }
    try {
      await this.sessions.acceptExternalEvents(session, events)
      await this.ingest.idle()
    } catch (error) {
      // Not taken in: the backend's retry must not be mistaken for a repeat.
      await shared.release(session, deliveryId).catch(() => undefined)
      throw error
    }
    return { success: true, published: events.length, duplicate: false }
  }
}
