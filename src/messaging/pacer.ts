/**
 * Per-number send pacing, to look less like a bot to WhatsApp's anti-spam: the sends of
 * one number run one at a time, spaced by a random delay between `minDelayMs` and
 * `maxDelayMs`. Without the typing indicator, the delay is a minimum gap since the
 * number's previous send (a lone send is not held back). With it (`typing: true`), every
 * send first shows "typing…" (or "recording…" for voice notes) in the chat for the
 * delay, as a person would. Numbers never wait for each other.
 */
import { KeyedMutex } from '../lib/keyed-mutex'
import type { PresenceState } from '../providers/engine'

export interface PacingOptions {
  minDelayMs: number
  maxDelayMs: number
  typing: boolean
}

/** Shows and clears a presence in the chat being written to; absent when the engine cannot. */
export interface TypingIndicator {
  state: Exclude<PresenceState, 'paused'>
  set(state: PresenceState): Promise<void>
}

export interface PacerClock {
  now(): number
  sleep(ms: number): Promise<void>
  random(): number
}

const systemClock: PacerClock = { now: () => Date.now(), sleep: (ms) => Bun.sleep(ms), random: () => Math.random() }

export class SendPacer {
  private readonly locks = new KeyedMutex()
  private readonly lastSend = new Map<string, number>()

  constructor(
    private readonly options: PacingOptions,
    private readonly clock: PacerClock = systemClock,
  ) {}

  get enabled(): boolean {
    return this.options.maxDelayMs > 0
  }

  /** Runs one send of `session` in turn, after its delay. */
  run<T>(session: string, work: () => Promise<T>, typing?: TypingIndicator): Promise<T> {
    return this.locks.run(session, async () => {
      const { minDelayMs, maxDelayMs } = this.options
      const delay = Math.round(minDelayMs + this.clock.random() * (maxDelayMs - minDelayMs))
      const showTyping = this.options.typing && typing !== undefined && delay > 0
      if (showTyping) {
        await typing.set(typing.state).catch(() => undefined)
        await this.clock.sleep(delay)
      } else if (delay > 0) {
        const previous = this.lastSend.get(session)
        const wait = previous === undefined ? 0 : previous + delay - this.clock.now()
        if (wait > 0) await this.clock.sleep(wait)
      }
      try {
        return await work()
      } finally {
        this.lastSend.set(session, this.clock.now())
        if (showTyping) await typing.set('paused').catch(() => undefined)
      }
    })
  }

  forget(session: string): void {
    this.lastSend.delete(session)
  }
}
