/**
 * Calls (§12): rejecting a ringing call, and each session's call settings — decline every
 * call automatically, optionally answering the caller with a text. The automatic
 * rejection runs on the node whose engine heard the call (it reacts to the engine's
 * `call.received` on the in-process bus), through the same engine operation as the route.
 */
import { NotSupportedError } from '../../errors'
import type { SessionEvent } from '../../events/bus'
import type { Logger } from '../../lib/logger'
import type { Capability, EngineName } from '../../providers/engine'
import type { SessionManager } from '../../sessions/manager'
import type { CallSettings, CallSettingsRepository } from '../../storage/call-settings-repo'

export interface CallsServiceOptions {
  settings: CallSettingsRepository
  /** The capabilities an engine declares (the registry's), to refuse settings it cannot honour. */
  capabilitiesOf: (engine: EngineName) => Promise<ReadonlySet<Capability>>
  /** Sends the reply text the way the send routes do (paced, stored, reported). */
  reply: (phone: string, chatId: string, text: string) => Promise<unknown>
  logger: Logger
}

export class CallsService {
  /** Automatic rejections under way, so tests and shutdown can wait for them. */
  private pending = new Set<Promise<void>>()

  constructor(
    private readonly sessions: SessionManager,
    private readonly options: CallsServiceOptions,
  ) {}

  async reject(phone: string, callId: string): Promise<{ success: boolean }> {
    const engine = await this.sessions.requireConnected(phone, 'calls.reject')
    await engine.rejectCall(callId)
    return { success: true }
  }

  async settings(phone: string): Promise<CallSettings> {
    await this.sessions.get(phone)
    return this.options.settings.get(phone)
  }

  async updateSettings(phone: string, update: Partial<CallSettings>): Promise<CallSettings> {
    const session = await this.sessions.get(phone)
    const current = await this.options.settings.get(phone)
    const next: CallSettings = {
      rejectCalls: update.rejectCalls ?? current.rejectCalls,
      rejectCallsMessage: update.rejectCallsMessage !== undefined ? update.rejectCallsMessage : current.rejectCallsMessage,
    }
    if (next.rejectCalls) {
      const capabilities = await this.options.capabilitiesOf(session.engine)
      if (!capabilities.has('calls.reject')) throw new NotSupportedError(session.engine, 'calls.reject')
      if (next.rejectCallsMessage !== null && !capabilities.has('send.text')) throw new NotSupportedError(session.engine, 'send.text')
    }
    await this.options.settings.set(phone, next)
    return next
  }

  /** Bus listener: declines a ringing call when the session's settings say so. */
  onEvent(source: SessionEvent): void {
    const event = source.event
    if (event.type !== 'call.received') return
    const work = this.autoReject(source.session, event.id, event.from).catch((error: unknown) => {
      this.options.logger.warn({ err: error, session: source.session, call: event.id }, 'automatic call rejection failed')
    })
    this.pending.add(work)
    void work.finally(() => this.pending.delete(work))
  }

  /** Resolves once every automatic rejection started so far has finished. */
  async idle(): Promise<void> {
    await Promise.all([...this.pending])
  }

  private async autoReject(phone: string, callId: string, caller: string): Promise<void> {
    const settings = await this.options.settings.get(phone)
    if (!settings.rejectCalls) return
    const engine = await this.sessions.requireConnected(phone, 'calls.reject')
    await engine.rejectCall(callId)
    if (settings.rejectCallsMessage !== null) await this.options.reply(phone, caller, settings.rejectCallsMessage)
  }
}
