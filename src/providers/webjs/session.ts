/**
 * The webjs engine: one whatsapp-web.js Client (Chromium + WhatsApp Web) per session,
 * behind the engine boundary.
 *
 * Each launch is a `Run`; events of a run that has ended (stopped, crashed, logged out)
 * are ignored, so a late event from a dying browser can never change a newer state.
 * Lifecycle, in WAHA's status names:
 *   start → STARTING → `qr` → SCAN_QR_CODE → `authenticated` → STARTING → `ready` → WORKING
 *   `ready` as another number → CONFLICT (the link is undone)   `auth_failure` → FAILED
 *   `change_state` CONFLICT → CONFLICT; TOS_BLOCK, UNPAIRED… → FAILED   LOGOUT → FAILED, auth wiped
 *   no QR/ready within WEBJS_INIT_TIMEOUT_MS → FAILED with the reason
 *   Chromium gone, page crashed, hung probe → FAILED + `engine.crashed` (the manager restarts it)
 */
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import type WAWebJS from 'whatsapp-web.js'
import type { WebjsConfig } from '../../config'
import { AppError, BadRequestError, ClientNotReadyError, ConflictError, ForbiddenError, NoLinkPendingError, NotFoundError, UpstreamError } from '../../errors'
import type { Logger } from '../../lib/logger'
import {
  BaseEngineSession,
  capabilitiesExcept,
  stateOf,
  type Capability,
  type ChatDTO,
  type ChatQuery,
  type ContactDTO,
  type GroupDTO,
  type GroupUpdate,
  type HistoryQuery,
  type MediaFile,
  type Me,
  type MessageDTO,
  type NumberCheck,
  type Page,
  type ParticipantAction,
  type PresenceState,
  type ProfileDTO,
  type EngineContext,
  type SendRequest,
  type SessionSnapshot,
  type SessionStatus,
  type StatusContent,
} from '../engine'
import { killProfileProcesses, prepareProfile, processGroupMemoryBytes } from './chromium'
import type { BrowserHandles, ClientFactory, WebjsClient, WebjsClientEvent, WebjsClientEvents, WebjsRuntime, WGroupChat, WMessage } from './client'
import {
  isGroupChat,
  isUserMessage,
  LOGOUT_REASON,
  mediaInfoOf,
  mismatchReason,
  outcomeOfState,
  toAckEvent,
  toCallEvent,
  toChatDTO,
  toContactDTO,
  toEditedEvent,
  toGroupDTO,
  toGroupEvents,
  toMessageDTO,
  toReactionEvent,
  toRevokedEvent,
  type GroupNotificationKind,
} from './mappers'

/** Everything of §4–§6 that whatsapp-web.js can do. */
/** Everything whatsapp-web.js offers: all but the simulator's sandbox. */
export const WEBJS_CAPABILITIES: ReadonlySet<Capability> = capabilitiesExcept('sandbox')

export interface WebjsSessionOptions {
  createClient: ClientFactory
  runtime: WebjsRuntime
  settings: WebjsConfig
  logger: Logger
  /** How long to let whatsapp-web.js settle after LOGOUT before closing the browser (default LOGOUT_SETTLE_MS). */
  logoutSettleMs?: number
}

/** How long an eager download of incoming media may take before the message goes out without its bytes. */
const MEDIA_DOWNLOAD_TIMEOUT_MS = 60_000
/**
 * After LOGOUT whatsapp-web.js reloads the page and re-injects by itself, unawaited; the
 * browser is closed once that showed its new QR, or after this long (a re-injection that
 * fails instead is dropped by the rejection guard in ./index.ts).
 */
const LOGOUT_SETTLE_MS = 3000
/** Largest history window fetched from WhatsApp Web while looking for a `before` cursor. */
const HISTORY_SCAN_LIMIT = 4000

interface Run {
  client: WebjsClient
  abort: AbortController
  browser?: BrowserHandles
  /** WhatsApp accepted the pairing (`authenticated`); `ready` is still to come. */
  authenticated?: boolean
  /** Stopped, crashed or finished by a lifecycle event: its events no longer count. */
  ended: boolean
  initTimer?: ReturnType<typeof setTimeout>
  healthTimer?: ReturnType<typeof setTimeout>
  /** Message events are handled one at a time, in the order whatsapp-web.js emitted them. */
  queue: Promise<void>
  teardown?: Promise<void>
  /** Work a lifecycle end still does after reporting (unlinking, wiping auth); stop() waits for it. */
  settling?: Promise<void>
  /** Resolved by the next `qr` of this run, even after it ended (used to let LOGOUT settle). */
  qrWaiters: Array<() => void>
}

class TimeoutError extends Error {}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(message)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** whatsapp-web.js throws strings as well as Errors; page errors carry a stack after the first line. */
export function describeError(error: unknown): string {
  const text = error instanceof Error ? error.message : typeof error === 'string' ? error : JSON.stringify(error)
  const firstLine = (text ?? 'unknown error').split('\n')[0]!.trim()
  return firstLine.length > 300 ? `${firstLine.slice(0, 297)}...` : firstLine
}

/** Errors that mean the browser or its page is gone, as puppeteer words them. */
const BROWSER_GONE = [
  /Target closed/i,
  /Session closed/i,
  /Connection closed/i,
  /Execution context was destroyed/i,
  /detached Frame/i,
  /Navigating frame was detached/i,
  /Browser (has )?disconnected/i,
  /Protocol error.*(closed|destroyed|detached)/i,
  /Page crashed/i,
]

export function isBrowserGoneError(error: unknown): boolean {
  const name = error instanceof Error ? error.name : ''
  if (name === 'TargetCloseError') return true
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : ''
  return BROWSER_GONE.some((pattern) => pattern.test(message))
}

/** The last error line Chromium printed, which puppeteer puts under "stderr:" in a launch failure. */
function chromiumComplaint(error: unknown): string {
  const text = error instanceof Error ? error.message : ''
  const lines = text.split('\n').flatMap((line) => {
    const match = /:ERROR:[^\]]*\]\s*(.+)$/.exec(line)
    return match?.[1] ? [match[1].trim()] : []
  })
  const last = lines.at(-1)
  return last ? ` (${last.length > 200 ? `${last.slice(0, 197)}...` : last})` : ''
}

const SERIALIZED_MESSAGE_ID = /^(true|false)_[^_\s]+_[^_\s]+(_[^_\s]+)?$/

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000)
}

export class WebjsSession extends BaseEngineSession {
  readonly engine = 'webjs' as const
  readonly capabilities = WEBJS_CAPABILITIES

  private status: SessionStatus = 'STOPPED'
  private qr?: string
  private me?: Me
  private reason?: string
  private run?: Run
  private readonly logger: Logger
  /** Chromium's profile, inside LocalAuth's dataPath. */
  readonly userDataDir: string

  constructor(
    private readonly context: EngineContext,
    private readonly options: WebjsSessionOptions,
  ) {
    super()
    this.logger = options.logger.child({ session: context.phoneNumber, engine: 'webjs' })
    this.userDataDir = join(context.dataDir, `session-${context.phoneNumber}`)
  }

  snapshot(): SessionSnapshot {
    return {
      status: this.status,
      ...(this.qr !== undefined && { qr: this.qr }),
      ...(this.me && { me: this.me }),
      ...(this.reason !== undefined && { reason: this.reason }),
    }
  }

  /** Resident memory of this session's Chromium: the browser and its process group (renderers, zygote, GPU helper). */
  processMemoryBytes(): number | undefined {
    const run = this.run
    const pid = run && !run.ended ? run.browser?.pid : undefined
    return pid === undefined ? undefined : processGroupMemoryBytes(pid)
  }

  // ─── Lifecycle ────────────────────────────────────────────────────────────

  async start(): Promise<void> {
    if (this.run && !this.run.ended) return
    const previous = this.run
    if (previous) {
      // A run that ended by itself (FAILED, CONFLICT) may still be closing; let it finish first.
      await this.teardown(previous)
      await previous.settling
    }
    this.qr = undefined
    this.reason = undefined
    this.setStatus('STARTING')
    const prepared = await prepareProfile(this.userDataDir)
    if (prepared.killed > 0 || prepared.removedLocks.length > 0) {
      this.logger.warn(prepared, 'cleared a Chromium profile left behind by an earlier run')
    }
    const abort = new AbortController()
    const launching: { run?: Run } = {}
    const client = this.options.createClient({
      phoneNumber: this.context.phoneNumber,
      dataPath: this.context.dataDir,
      userDataDir: this.userDataDir,
      qrMaxRetries: this.options.settings.qrMaxRetries,
      signal: abort.signal,
      onBrowser: (handles) => {
        if (launching.run) this.onBrowser(launching.run, handles)
      },
    })
    const run: Run = { client, abort, ended: false, queue: Promise.resolve(), qrWaiters: [] }
    launching.run = run
    this.run = run
    this.listen(run)
    run.initTimer = setTimeout(() => this.onInitTimeout(run), this.options.settings.initTimeoutMs)
    client.initialize().then(
      () => undefined,
      (error: unknown) => this.onInitFailed(run, error),
    )
  }

  async stop(): Promise<void> {
    const run = this.run
    this.run = undefined
    if (run) {
      // A stop does not wait out the pause after LOGOUT.
      for (const resolve of run.qrWaiters.splice(0)) resolve()
      await this.teardown(run)
      await run.settling
    }
    this.qr = undefined
    this.reason = undefined
    if (this.status !== 'STOPPED') this.setStatus('STOPPED')
  }

  async logout(): Promise<void> {
    const run = this.run
    this.run = undefined
    if (run) {
      const wasWorking = !run.ended && this.status === 'WORKING'
      this.endRun(run)
      if (wasWorking) {
        try {
          // Unlinks the device on the phone too, and closes the browser.
          await withTimeout(run.client.logout(), this.options.settings.destroyTimeoutMs, 'logout did not finish in time')
        } catch (error) {
          this.logger.warn({ err: describeError(error) }, 'could not unlink on the phone; wiping the local pairing anyway')
        }
      }
      await this.teardown(run)
      await run.settling
    }
    await this.wipeAuth()
    this.me = undefined
    this.qr = undefined
    this.reason = undefined
    this.setStatus('STOPPED')
  }

  override async requestPairingCode(phoneNumber: string): Promise<string> {
    const run = this.run
    if (!run || run.ended || this.status !== 'SCAN_QR_CODE') throw new NoLinkPendingError('pairing', stateOf(this.status), this.status)
    let code: string
    try {
      code = await run.client.requestPairingCode(phoneNumber.replace(/\D/g, ''))
    } catch (error) {
      throw this.operationError(run, 'request a pairing code', error)
    }
    const clean = String(code).replace(/[^0-9A-Z]/gi, '').toUpperCase()
    return clean.length === 8 ? `${clean.slice(0, 4)}-${clean.slice(4)}` : clean
  }

  // ─── Client events ────────────────────────────────────────────────────────

  private listen(run: Run): void {
    const on = <E extends WebjsClientEvent>(event: E, handler: (...args: WebjsClientEvents[E]) => void) => {
      run.client.on(event, (...args: WebjsClientEvents[E]) => {
        if (this.run !== run || run.ended) return
        try {
          handler(...args)
        } catch (error) {
          this.logger.error({ err: error, event }, 'handling a whatsapp-web.js event failed')
        }
      })
    }
    // Lets a LOGOUT settle; counts even after the run ended.
    run.client.on('qr', () => {
      for (const resolve of run.qrWaiters.splice(0)) resolve()
    })

    on('qr', (qr) => {
      clearTimeout(run.initTimer)
      this.qr = qr
      if (this.status !== 'SCAN_QR_CODE') this.setStatus('SCAN_QR_CODE')
      this.context.emit({ type: 'qr', value: qr })
    })
    on('authenticated', () => {
      // Linked: WhatsApp Web now loads the account; that gets its own deadline until `ready`.
      clearTimeout(run.initTimer)
      run.authenticated = true
      run.initTimer = setTimeout(() => this.onInitTimeout(run), this.options.settings.initTimeoutMs)
      if (this.status === 'SCAN_QR_CODE') {
        this.qr = undefined
        this.setStatus('STARTING')
      }
    })
    on('ready', () => this.onReady(run))
    on('auth_failure', (message) => {
      this.finish(run, 'FAILED', `WhatsApp refused the saved login (${message}); start the session again and scan a new QR code`, true)
    })
    on('change_state', (state) => {
      const outcome = outcomeOfState(state)
      if (!outcome) {
        this.logger.info({ state }, 'WhatsApp Web connection state')
        return
      }
      this.finish(run, outcome.status, outcome.reason, outcome.wipeAuth)
    })
    on('disconnected', (reason) => this.onDisconnected(run, reason))

    on('message_create', (message) => this.enqueue(run, () => this.onMessage(message)))
    on('message_ack', (message, ack) => this.enqueue(run, async () => this.context.emit(toAckEvent(message, ack))))
    on('message_reaction', (reaction) =>
      this.enqueue(run, async () => {
        const event = toReactionEvent(reaction)
        if (event) this.context.emit(event)
      }),
    )
    on('message_revoke_everyone', (message) => this.enqueue(run, async () => this.context.emit(toRevokedEvent(message, nowSeconds()))))
    on('message_edit', (message, newBody, prevBody) => {
      if (String(newBody) === String(prevBody)) return
      this.enqueue(run, async () => this.context.emit(toEditedEvent(message, newBody, nowSeconds())))
    })
    for (const kind of ['group_join', 'group_leave', 'group_admin_changed', 'group_update'] as const satisfies readonly GroupNotificationKind[]) {
      on(kind, (notification) =>
        this.enqueue(run, async () => {
          for (const event of toGroupEvents(kind, notification, this.me?.id)) this.context.emit(event)
        }),
      )
    }
    on('call', (call) => {
      const event = toCallEvent(call)
      if (event) this.enqueue(run, async () => this.context.emit(event))
    })
  }

  private enqueue(run: Run, work: () => Promise<void>): void {
    run.queue = run.queue.then(async () => {
      if (this.run !== run || run.ended) return
      try {
        await work()
      } catch (error) {
        this.logger.error({ err: error }, 'handling a whatsapp-web.js message event failed')
      }
    })
  }

  private async onMessage(message: WMessage): Promise<void> {
    if (!isUserMessage(message)) return
    const dto = toMessageDTO(message, this.me?.id)
    const media = message.hasMedia ? await this.eagerMedia(message) : undefined
    this.context.emit({ type: 'message', message: dto, ...(media && { media }) })
  }

  /** Incoming media is fetched as it arrives (WhatsApp's links expire); too large or failing → without bytes. */
  private async eagerMedia(message: WMessage): Promise<MediaFile | undefined> {
    const size = mediaInfoOf(message)?.size
    if (size !== undefined && size > this.options.settings.eagerMediaMaxBytes) return undefined
    try {
      const media = await withTimeout(message.downloadMedia(), MEDIA_DOWNLOAD_TIMEOUT_MS, 'media download timed out')
      return media ? this.toMediaFile(media) : undefined
    } catch (error) {
      this.logger.warn({ err: describeError(error), id: message.id._serialized }, 'could not download the media of a message')
      return undefined
    }
  }

  private onReady(run: Run): void {
    clearTimeout(run.initTimer)
    const info = run.client.info
    const wid = info?.wid
    if (!wid) {
      this.finish(run, 'FAILED', 'WhatsApp Web reported ready without the linked account; restart the session', false)
      return
    }
    this.me = { id: wid._serialized, ...(info.pushname && { pushName: info.pushname }) }
    this.qr = undefined
    // A LID-only identity carries no phone number to compare with.
    if (wid.server === 'c.us' && wid.user !== this.context.phoneNumber) {
      this.onWrongNumber(run, wid.user)
      return
    }
    this.reason = undefined
    // whatsapp-web.js may report ready again after it re-injected; that is no new status.
    if (this.status !== 'WORKING') this.setStatus('WORKING')
    this.scheduleProbe(run)
  }

  /** The phone of another number scanned the QR: refuse the link, as the simulator does. */
  private onWrongNumber(run: Run, linkedNumber: string): void {
    this.endRun(run)
    this.reason = mismatchReason(linkedNumber, this.context.phoneNumber)
    this.setStatus('CONFLICT')
    this.settle(run, async () => {
      try {
        await withTimeout(run.client.logout(), this.options.settings.destroyTimeoutMs, 'logout did not finish in time')
      } catch (error) {
        this.logger.warn({ err: describeError(error) }, 'could not unlink the wrong number; wiping the local pairing')
      }
      await this.teardown(run)
      await this.wipeAuth()
    })
  }

  private onDisconnected(run: Run, reason: string): void {
    if (reason === 'LOGOUT') {
      this.endRun(run)
      this.qr = undefined
      this.reason = LOGOUT_REASON
      this.setStatus('FAILED', true)
      // whatsapp-web.js reloads the page and re-injects by itself after LOGOUT; closing the
      // browser in the middle of that makes it reject where nobody awaits. Let it finish.
      const reinjected = this.nextQr(run, this.options.logoutSettleMs ?? LOGOUT_SETTLE_MS)
      this.settle(run, async () => {
        await reinjected
        await this.teardown(run)
        await this.wipeAuth()
      })
      return
    }
    if (reason === 'Max qrcode retries reached') {
      this.finish(
        run,
        'FAILED',
        `Nobody scanned the QR code: ${this.options.settings.qrMaxRetries} codes expired (WEBJS_QR_MAX_RETRIES). Start the session again for a new one`,
        false,
      )
      return
    }
    const outcome = outcomeOfState(reason)
    if (outcome) {
      this.finish(run, outcome.status, outcome.reason, outcome.wipeAuth)
      return
    }
    this.crash(run, `WhatsApp Web disconnected (${reason})`)
  }

  private nextQr(run: Run, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs)
      run.qrWaiters.push(() => {
        clearTimeout(timer)
        // whatsapp-web.js still exposes a few functions after emitting `qr`.
        setTimeout(resolve, 500)
      })
    })
  }

  // ─── Browser, deadline, health ───────────────────────────────────────────

  private onBrowser(run: Run, handles: BrowserHandles): void {
    run.browser = handles
    if (this.run !== run || run.ended) {
      // Stopped while Chromium was starting.
      void this.teardown(run)
      return
    }
    handles.onGone((reason) => {
      if (this.run !== run || run.ended) return
      this.crash(run, `Chromium went away: ${reason}`)
    })
  }

  private onInitTimeout(run: Run): void {
    if (this.run !== run || run.ended) return
    if (this.status !== 'STARTING') return
    const seconds = Math.round(this.options.settings.initTimeoutMs / 1000)
    const where = run.authenticated
      ? 'the device is linked, but WhatsApp Web did not finish loading the account'
      : run.browser
        ? 'Chromium is running, but WhatsApp Web never became ready'
        : 'Chromium did not start'
    this.finish(
      run,
      'FAILED',
      `WhatsApp Web did not load within ${seconds} s (${where}). Check that this server reaches https://web.whatsapp.com (DNS, firewall; a proxy goes in CHROME_ARGS, e.g. --proxy-server=…), or raise WEBJS_INIT_TIMEOUT_MS`,
      false,
    )
  }

  private onInitFailed(run: Run, error: unknown): void {
    if (this.run !== run || run.ended) return
    if (isBrowserGoneError(error)) {
      this.crash(run, `Chromium went away while WhatsApp Web was loading: ${describeError(error)}`)
      return
    }
    const detail = describeError(error)
    const reason = /Failed to launch|Browser was not found|spawn/i.test(detail)
      ? `Chromium could not start: ${detail}${chromiumComplaint(error)}. Check CHROME_PATH and CHROME_ARGS`
      : /net::ERR_|ERR_NAME_NOT_RESOLVED|ERR_CONNECTION/i.test(detail)
        ? `Could not open https://web.whatsapp.com (${detail}). Check this server's network, DNS and proxy (CHROME_ARGS)`
        : `WhatsApp Web could not start: ${detail}`
    this.finish(run, 'FAILED', reason, false)
  }

  private scheduleProbe(run: Run): void {
    const interval = this.options.settings.healthIntervalMs
    if (interval <= 0) return
    clearTimeout(run.healthTimer)
    run.healthTimer = setTimeout(() => void this.probe(run), interval)
  }

  /** A timed `page.evaluate` and `getState()`; one retry, then the engine counts as crashed. */
  private async probe(run: Run): Promise<void> {
    const once = async () => {
      const browser = run.browser
      await withTimeout(
        Promise.all([browser ? browser.evaluate() : Promise.resolve(), run.client.getState()]),
        this.options.settings.healthTimeoutMs,
        `WhatsApp Web did not answer the health probe within ${this.options.settings.healthTimeoutMs} ms`,
      )
    }
    try {
      await once()
    } catch (first) {
      if (this.run !== run || run.ended) return
      this.logger.warn({ err: describeError(first) }, 'health probe failed; trying once more')
      await Bun.sleep(Math.min(1000, this.options.settings.healthTimeoutMs))
      if (this.run !== run || run.ended) return
      try {
        await once()
      } catch (second) {
        if (this.run !== run || run.ended) return
        this.crash(run, `the health probe failed: ${describeError(second)}`)
        return
      }
    }
    if (this.run === run && !run.ended) this.scheduleProbe(run)
  }

  // ─── Endings ──────────────────────────────────────────────────────────────

  private endRun(run: Run): void {
    run.ended = true
    clearTimeout(run.initTimer)
    clearTimeout(run.healthTimer)
  }

  /** A lifecycle end that is not a crash: report it, close the browser, never auto-restart. */
  private finish(run: Run, status: Extract<SessionStatus, 'FAILED' | 'CONFLICT'>, reason: string, wipeAuth: boolean): void {
    this.endRun(run)
    this.qr = undefined
    this.reason = reason
    this.setStatus(status, true)
    this.settle(run, async () => {
      await this.teardown(run)
      if (wipeAuth) await this.wipeAuth()
    })
  }

  private settle(run: Run, work: () => Promise<void>): void {
    run.settling = (run.settling ?? Promise.resolve()).then(work).catch((error: unknown) => {
      this.logger.error({ err: error }, 'closing the session after a lifecycle event failed')
    })
  }

  /** The engine died underneath: report FAILED and let the session manager restart it. */
  private crash(run: Run, reason: string): void {
    if (run.ended) return
    this.endRun(run)
    this.qr = undefined
    this.reason = `${reason}; restarting`
    this.setStatus('FAILED')
    void this.teardown(run)
    this.context.emit({ type: 'engine.crashed', reason })
  }

  /**
   * Closes a run's browser for good: `destroy()` with a deadline, then the launch's abort
   * signal (puppeteer SIGKILLs Chromium's process group), then anything still on the profile.
   */
  private teardown(run: Run): Promise<void> {
    this.endRun(run)
    run.teardown ??= (async () => {
      try {
        await withTimeout(run.client.destroy(), this.options.settings.destroyTimeoutMs, 'destroy() did not finish in time')
      } catch (error) {
        this.logger.warn({ err: describeError(error) }, 'whatsapp-web.js did not close cleanly; killing Chromium')
      }
      run.abort.abort()
      const killed = await killProfileProcesses(this.userDataDir)
      if (killed > 0) this.logger.warn({ killed }, 'killed Chromium processes left on the profile')
    })()
    return run.teardown
  }

  private async wipeAuth(): Promise<void> {
    await rm(this.userDataDir, { recursive: true, force: true, maxRetries: 3 })
    await this.context.authState.clear()
  }

  private setStatus(status: SessionStatus, ended = false): void {
    this.status = status
    this.context.emit({
      type: 'session.status',
      status,
      ...(this.me && { me: this.me }),
      ...(this.reason !== undefined && { reason: this.reason }),
      ...(ended && { ended }),
    })
  }

  // ─── Operations ───────────────────────────────────────────────────────────

  private requireWorking(): Run {
    const run = this.run
    if (!run || run.ended || this.status !== 'WORKING') throw new ClientNotReadyError(stateOf(this.status), this.status)
    return run
  }

  private operationError(run: Run, what: string, error: unknown): AppError {
    if (error instanceof AppError) return error
    if (isBrowserGoneError(error)) {
      this.crash(run, `Chromium went away while trying to ${what}: ${describeError(error)}`)
      return new ClientNotReadyError(stateOf(this.status), this.status)
    }
    return new UpstreamError(`WhatsApp Web could not ${what}: ${describeError(error)}`)
  }

  /** Runs one operation on a WORKING session, mapping whatsapp-web.js failures to typed errors. */
  private async op<T>(what: string, work: (client: WebjsClient) => Promise<T>): Promise<T> {
    const run = this.requireWorking()
    try {
      return await work(run.client)
    } catch (error) {
      throw this.operationError(run, what, error)
    }
  }

  private meId(): string | undefined {
    return this.me?.id
  }

  private toMedia(file: MediaFile): WAWebJS.MessageMedia {
    const { MessageMedia } = this.options.runtime
    return new MessageMedia(file.mimeType, Buffer.from(file.data).toString('base64'), file.filename ?? null, file.data.byteLength)
  }

  private toMediaFile(media: WAWebJS.MessageMedia): MediaFile {
    return {
      data: new Uint8Array(Buffer.from(media.data, 'base64')),
      mimeType: media.mimetype,
      ...(media.filename && { filename: media.filename }),
    }
  }

  private async message(client: WebjsClient, messageId: string): Promise<WMessage> {
    if (!SERIALIZED_MESSAGE_ID.test(messageId)) {
      throw new BadRequestError('messageId must be a WhatsApp message id such as true_15550002222@c.us_3EB0C0FFEE', { messageId })
    }
    const message = await client.getMessageById(messageId)
    if (!message) throw new NotFoundError(`Message ${messageId} not found`)
    return message
  }

  private async chat(client: WebjsClient, chatId: string) {
    const chat = await client.getChatById(chatId)
    if (!chat) throw new NotFoundError(`Chat ${chatId} not found`)
    return chat
  }

  private async group(client: WebjsClient, groupId: string): Promise<WGroupChat> {
    const chat = await client.getChatById(groupId)
    if (!chat || !isGroupChat(chat)) throw new NotFoundError(`Group ${groupId} not found`)
    return chat
  }

  private sent(message: WMessage | null | undefined, chatId: string): MessageDTO {
    if (!message) throw new NotFoundError(`Chat ${chatId} not found, or WhatsApp Web refused to send there`)
    return toMessageDTO(message, this.meId())
  }

  override send(request: SendRequest): Promise<MessageDTO> {
    return this.op(`send a ${request.content.type} message`, async (client) => {
      const { runtime } = this.options
      const content = request.content
      // A send does not mark the chat read: that is POST /chat/:chatId/seen.
      const options: WAWebJS.MessageSendOptions = { sendSeen: false, ...(request.quotedMsgId && { quotedMessageId: request.quotedMsgId }) }
      let body: WAWebJS.MessageContent
      switch (content.type) {
        case 'text':
          body = content.text
          if (content.mentions?.length) options.mentions = content.mentions
          options.linkPreview = content.linkPreview !== false
          break
        case 'image':
        case 'video':
          body = this.toMedia(content.media)
          if (content.caption) options.caption = content.caption
          break
        case 'file':
          body = this.toMedia(content.media)
          options.sendMediaAsDocument = true
          if (content.caption) options.caption = content.caption
          break
        case 'voice':
          body = this.toMedia(content.media)
          options.sendAudioAsVoice = true
          break
        case 'audio':
          body = this.toMedia(content.media)
          break
        case 'sticker':
          if (!content.media.mimeType.startsWith('image/')) {
            throw new BadRequestError(`A sticker must be an image (WebP, PNG or JPEG); got ${content.media.mimeType}`)
          }
          body = this.toMedia(content.media)
          options.sendMediaAsSticker = true
          break
        case 'location':
          body = new runtime.Location(content.latitude, content.longitude, {
            ...(content.name && { name: content.name }),
            ...(content.address && { address: content.address }),
          })
          break
        case 'poll':
          body = new runtime.Poll(content.name, content.options, { allowMultipleAnswers: content.multipleAnswers, messageSecret: undefined })
          break
        case 'contact': {
          if (content.vcards.length === 0) throw new BadRequestError('A contact message needs at least one vCard')
          const bad = content.vcards.find((vcard) => !vcard.trimStart().startsWith('BEGIN:VCARD'))
          if (bad !== undefined) throw new BadRequestError('Each contact must be a vCard starting with BEGIN:VCARD')
          // WhatsApp Web parses one vCard per message (parseVCards); several go as several messages.
          let first: MessageDTO | undefined
          for (const vcard of content.vcards) {
            const message = this.sent(await client.sendMessage(request.chatId, vcard.trim(), { ...options, parseVCards: true }), request.chatId)
            first ??= message
          }
          return first!
        }
      }
      return this.sent(await client.sendMessage(request.chatId, body, options), request.chatId)
    })
  }

  override react(messageId: string, emoji: string): Promise<void> {
    return this.op('react to the message', async (client) => {
      const message = await this.message(client, messageId)
      await message.react(emoji)
    })
  }

  override editMessage(messageId: string, text: string): Promise<void> {
    return this.op('edit the message', async (client) => {
      const message = await this.message(client, messageId)
      if (!message.fromMe) throw new ConflictError('Only messages this account sent can be edited', { messageId })
      const edited = await message.edit(text)
      if (!edited) throw new ConflictError('WhatsApp does not allow editing this message (only text and captions, up to 15 minutes after sending)', { messageId })
    })
  }

  override deleteMessage(messageId: string, forEveryone: boolean): Promise<void> {
    return this.op('delete the message', async (client) => {
      const message = await this.message(client, messageId)
      await message.delete(forEveryone)
    })
  }

  override forwardMessage(messageId: string, chatId: string): Promise<MessageDTO> {
    return this.op('forward the message', async (client) => {
      const message = await this.message(client, messageId)
      const target = await this.chat(client, chatId)
      const before = new Set((await target.fetchMessages({ limit: 20, fromMe: true })).map((m) => m.id._serialized))
      await message.forward(chatId)
      // whatsapp-web.js does not return the forwarded copy; it is the newest new own message there.
      for (const wait of [0, 200, 500, 1000, 2000]) {
        if (wait) await Bun.sleep(wait)
        const recent = await target.fetchMessages({ limit: 20, fromMe: true })
        const copy = [...recent].reverse().find((m) => !before.has(m.id._serialized))
        if (copy) return toMessageDTO(copy, this.meId())
      }
      throw new UpstreamError('WhatsApp Web forwarded the message but did not show the copy in the chat')
    })
  }

  override markSeen(chatId: string): Promise<void> {
    return this.op('mark the chat read', async (client) => {
      if (!(await client.sendSeen(chatId))) throw new NotFoundError(`Chat ${chatId} not found`)
    })
  }

  override setPresence(chatId: string, state: PresenceState): Promise<void> {
    return this.op('set the chat presence', async (client) => {
      const chat = await this.chat(client, chatId)
      if (state === 'typing') await chat.sendStateTyping()
      else if (state === 'recording') await chat.sendStateRecording()
      else await chat.clearState()
    })
  }

  override postStatus(content: StatusContent): Promise<MessageDTO> {
    return this.op('post the Status', async (client) => {
      const chatId = 'status@broadcast'
      if (content.type === 'text') {
        const extra = {
          ...(content.backgroundColor && { backgroundColor: content.backgroundColor }),
          ...(content.font !== undefined && { fontStyle: content.font }),
        }
        return this.sent(await client.sendMessage(chatId, content.text, { sendSeen: false, extra }), chatId)
      }
      return this.sent(
        await client.sendMessage(chatId, this.toMedia(content.media), { sendSeen: false, ...(content.caption && { caption: content.caption }) }),
        chatId,
      )
    })
  }

  override listChats(query: ChatQuery): Promise<Page<ChatDTO>> {
    return this.op('list chats', async (client) => {
      const chats = (await client.getChats())
        .map(toChatDTO)
        .filter((chat) => query.archived === undefined || chat.archived === query.archived)
        .sort((a, b) => b.timestamp - a.timestamp)
      const start = (query.page - 1) * query.limit
      return { items: chats.slice(start, start + query.limit), total: chats.length }
    })
  }

  override getChat(chatId: string): Promise<ChatDTO> {
    return this.op('read the chat', async (client) => toChatDTO(await this.chat(client, chatId)))
  }

  /**
   * Newest first, `limit` at a time. whatsapp-web.js loads history oldest-first up to a
   * count, so the window grows until it holds the cursor and `limit` older messages.
   */
  override getMessages(chatId: string, query: HistoryQuery): Promise<{ messages: MessageDTO[]; hasMore: boolean }> {
    return this.op('read the chat history', async (client) => {
      const chat = await this.chat(client, chatId)
      let window = query.before === undefined ? query.limit + 1 : Math.max(2 * (query.limit + 1), 50)
      for (;;) {
        const loaded = await chat.fetchMessages({ limit: window })
        const complete = loaded.length < window
        let older = loaded
        if (query.before !== undefined) {
          const at = loaded.findIndex((m) => m.id._serialized === query.before)
          if (at === -1) {
            if (complete || window >= HISTORY_SCAN_LIMIT) throw new NotFoundError(`Message ${query.before} not found in ${chatId}`)
            window = Math.min(window * 2, HISTORY_SCAN_LIMIT)
            continue
          }
          older = loaded.slice(0, at)
        }
        if (older.length > query.limit || complete || window >= HISTORY_SCAN_LIMIT) {
          const newestFirst = [...older].reverse()
          return {
            messages: newestFirst.slice(0, query.limit).map((m) => toMessageDTO(m, this.meId())),
            hasMore: newestFirst.length > query.limit,
          }
        }
        window = Math.min(window * 2, HISTORY_SCAN_LIMIT)
      }
    })
  }

  override downloadMedia(messageId: string): Promise<MediaFile | null> {
    return this.op('download the media', async (client) => {
      const message = await this.message(client, messageId)
      if (!message.hasMedia) return null
      const media: WAWebJS.MessageMedia | undefined = await message.downloadMedia()
      return media ? this.toMediaFile(media) : null
    })
  }

  override listContacts(): Promise<ContactDTO[]> {
    return this.op('list contacts', async (client) => (await client.getContacts()).filter((c) => c.isGroup !== true).map(toContactDTO))
  }

  override getContact(contactId: string): Promise<ContactDTO> {
    return this.op('read the contact', async (client) => {
      const contact = await client.getContactById(contactId)
      if (!contact) throw new NotFoundError(`Contact ${contactId} not found`)
      return toContactDTO(contact)
    })
  }

  override getProfilePictureUrl(contactId: string): Promise<string | null> {
    return this.op('read the profile picture', async (client) => (await client.getProfilePicUrl(contactId)) ?? null)
  }

  override checkNumber(number: string): Promise<NumberCheck> {
    return this.op('check the number', async (client) => {
      const digits = number.replace(/@.*$/, '').replace(/\D/g, '')
      if (!/^[0-9]{7,15}$/.test(digits)) throw new BadRequestError('number must be a phone number of 7 to 15 digits', { number })
      const wid = await client.getNumberId(digits)
      return { number: digits, exists: wid !== null, jid: wid?._serialized ?? null }
    })
  }

  override setBlocked(contactId: string, blocked: boolean): Promise<void> {
    return this.op(blocked ? 'block the contact' : 'unblock the contact', async (client) => {
      const contact = await client.getContactById(contactId)
      if (!contact) throw new NotFoundError(`Contact ${contactId} not found`)
      const done = blocked ? await contact.block() : await contact.unblock()
      if (!done) throw new BadRequestError(`${contactId} cannot be ${blocked ? 'blocked' : 'unblocked'} (groups cannot)`)
    })
  }

  override listGroups(): Promise<GroupDTO[]> {
    return this.op('list groups', async (client) => (await client.getChats()).filter(isGroupChat).map(toGroupDTO))
  }

  override createGroup(name: string, participants: string[]): Promise<GroupDTO> {
    return this.op('create the group', async (client) => {
      const result = await client.createGroup(name, participants)
      if (typeof result === 'string') throw new UpstreamError(`WhatsApp did not create the group: ${result}`)
      return toGroupDTO(await this.group(client, result.gid._serialized))
    })
  }

  override getGroup(groupId: string): Promise<GroupDTO> {
    return this.op('read the group', async (client) => toGroupDTO(await this.group(client, groupId)))
  }

  override updateGroup(groupId: string, update: GroupUpdate): Promise<GroupDTO> {
    return this.op('update the group', async (client) => {
      const group = await this.group(client, groupId)
      const refuse = (what: string) => {
        throw new ForbiddenError(`WhatsApp refused to change the group's ${what}: this account is not allowed to (it may need to be an admin)`, { groupId })
      }
      if (update.subject !== undefined && !(await group.setSubject(update.subject))) refuse('subject')
      if (update.description !== undefined && !(await group.setDescription(update.description))) refuse('description')
      if (update.messagesAdminsOnly !== undefined && !(await group.setMessagesAdminsOnly(update.messagesAdminsOnly))) refuse('who may send messages')
      if (update.infoAdminsOnly !== undefined && !(await group.setInfoAdminsOnly(update.infoAdminsOnly))) refuse('who may edit its info')
      return toGroupDTO(await this.group(client, groupId))
    })
  }

  override leaveGroup(groupId: string): Promise<void> {
    return this.op('leave the group', async (client) => {
      await (await this.group(client, groupId)).leave()
    })
  }

  override updateParticipants(groupId: string, action: ParticipantAction, participants: string[]): Promise<GroupDTO> {
    return this.op(`${action} group participants`, async (client) => {
      const group = await this.group(client, groupId)
      if (action === 'add') {
        const result = await group.addParticipants(participants)
        if (typeof result === 'string') throw new UpstreamError(`WhatsApp did not add the participants: ${result}`)
        const outcomes = Object.entries(result as Record<string, { code?: number; message?: string; isInviteV4Sent?: boolean }>)
        const failed = outcomes.filter(([, r]) => r.code !== 200 && !r.isInviteV4Sent)
        if (outcomes.length > 0 && failed.length === outcomes.length) {
          throw new ConflictError('WhatsApp added none of the participants', Object.fromEntries(failed.map(([id, r]) => [id, { code: r.code, message: r.message }])))
        }
      } else {
        const change = action === 'remove' ? group.removeParticipants : action === 'promote' ? group.promoteParticipants : group.demoteParticipants
        const result = await change.call(group, participants)
        if (result?.status !== undefined && result.status !== 200) {
          throw new UpstreamError(`WhatsApp refused to ${action} the participants (status ${result.status})`, { status: result.status })
        }
      }
      return toGroupDTO(await this.group(client, groupId))
    })
  }

  override getInviteLink(groupId: string): Promise<string> {
    return this.op('read the group invite link', async (client) => {
      const code = await (await this.group(client, groupId)).getInviteCode()
      if (!code) throw new ForbiddenError('WhatsApp gave no invite link: only group admins can read it', { groupId })
      return `https://chat.whatsapp.com/${code}`
    })
  }

  override setGroupPicture(groupId: string, picture: MediaFile): Promise<void> {
    return this.op('set the group picture', async (client) => {
      const group = await this.group(client, groupId)
      if (!(await group.setPicture(this.toMedia(picture)))) {
        throw new ForbiddenError("WhatsApp refused to change the group's picture: this account is not allowed to (it may need to be an admin)", { groupId })
      }
    })
  }

  override getProfile(): Promise<ProfileDTO> {
    return this.op('read the profile', async (client) => {
      const info = client.info
      if (!info?.wid) throw new UpstreamError('WhatsApp Web did not report the linked account')
      const id = info.wid._serialized
      const [status, pictureUrl] = await Promise.all([
        client
          .getContactById(id)
          .then((contact) => contact?.getAbout())
          .catch(() => null),
        client.getProfilePicUrl(id).catch(() => undefined),
      ])
      return {
        id,
        pushname: info.pushname ?? '',
        phone: info.wid.user,
        ...(info.platform && { platform: info.platform }),
        ...(typeof status === 'string' && { status }),
        pictureUrl: pictureUrl ?? null,
      }
    })
  }

  override setProfileName(name: string): Promise<void> {
    return this.op('set the profile name', async (client) => {
      if (!(await client.setDisplayName(name))) throw new UpstreamError('WhatsApp refused the new profile name')
      if (this.me) this.me = { ...this.me, pushName: name }
    })
  }

  override setProfileStatus(status: string): Promise<void> {
    return this.op('set the profile status', async (client) => {
      await client.setStatus(status)
    })
  }

  override setProfilePicture(picture: MediaFile): Promise<void> {
    return this.op('set the profile picture', async (client) => {
      if (!(await client.setProfilePicture(this.toMedia(picture)))) throw new UpstreamError('WhatsApp refused the new profile picture')
    })
  }
}
