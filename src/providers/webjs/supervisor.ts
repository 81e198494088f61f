/**
 * The webjs engine's browser lifecycle: one whatsapp-web.js Client (Chromium + WhatsApp
 * Web) per launch, its deadlines, health probe and endings.
 *
 * Each launch is a `Run`; events of a run that has ended (stopped, crashed, logged out)
 * are ignored, so a late event from a dying browser can never change a newer state.
 * Lifecycle, in WAHA's status names:
 *   start → STARTING → `qr` → SCAN_QR_CODE → `authenticated` → STARTING → `ready` → WORKING
 *   `ready` as another number → CONFLICT (the link is undone)   `auth_failure` → FAILED
 *   `change_state` CONFLICT → CONFLICT; TOS_BLOCK, UNPAIRED… → FAILED   LOGOUT → FAILED, auth wiped
 *   no QR/ready within WEBJS_INIT_TIMEOUT_MS → FAILED with the reason
 *   Chromium gone, page crashed, hung probe → FAILED + `engine.crashed` (the manager restarts it)
 *
 * The operations (./session.ts) reach the client only through `op()`, which refuses unless
 * the session is WORKING and turns a vanished browser into a crash.
 */
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { WebjsSettings } from './definition'
import { AppError, ClientNotReadyError, NoLinkPendingError } from '../../errors'
import type { Logger } from '../../lib/logger'
import { stateOf, type EngineContext, type Me, type SessionSnapshot, type SessionStatus } from '../engine'
import { killProfileProcesses, prepareProfile, processGroupMemoryBytes } from './chromium'
import { loginChangedAt, packLogin, unpackLogin } from './profile-archive'
import type { BrowserHandles, ClientFactory, WebjsClient, WebjsClientEvent, WebjsClientEvents } from './client'
import { describeError, initFailureReason, isBrowserGoneError, upstreamErrorOf, withTimeout } from './errors'
import { LOGOUT_REASON, mismatchReason, outcomeOfState } from './mappers'

export interface WebjsSupervisorOptions {
  createClient: ClientFactory
  settings: WebjsSettings
  logger: Logger
  /** How long to let whatsapp-web.js settle after LOGOUT before closing the browser (default LOGOUT_SETTLE_MS). */
  logoutSettleMs?: number
}

/**
 * A run's client events, for the operations' side (messages, acks, groups…): handlers and
 * queued work of a run that has ended are dropped.
 */
export interface RunEvents {
  on<E extends WebjsClientEvent>(event: E, handler: (...args: WebjsClientEvents[E]) => void): void
  /** Message events are handled one at a time, in the order whatsapp-web.js emitted them. */
  enqueue(work: () => Promise<void>): void
}

/**
 * After LOGOUT whatsapp-web.js reloads the page and re-injects by itself, unawaited; the
 * browser is closed once that showed its new QR, or after this long (a re-injection that
 * fails instead is dropped by the rejection guard in ./index.ts).
 */
const LOGOUT_SETTLE_MS = 3000

interface Run {
  client: WebjsClient
  abort: AbortController
  browser?: BrowserHandles
  /** WhatsApp accepted the pairing (`authenticated`); `ready` is still to come. */
  authenticated?: boolean
  /** Stopped, crashed or finished by a lifecycle event: its events no longer count. */
  ended: boolean
  initTimer?: ReturnType<typeof setTimeout>
  /** Next save of the login archive (cluster only). */
  snapshotTimer?: ReturnType<typeof setTimeout>
  /** Reached `ready`: its profile holds a login worth saving when it stops. */
  linked?: boolean
  healthTimer?: ReturnType<typeof setTimeout>
  queue: Promise<void>
  teardown?: Promise<void>
  /** Work a lifecycle end still does after reporting (unlinking, wiping auth); stop() waits for it. */
  settling?: Promise<void>
  /** Resolved by the next `qr` of this run, even after it ended (used to let LOGOUT settle). */
  qrWaiters: Array<() => void>
}

/** Cluster only: the login is saved this soon after `ready` (WhatsApp Web has written its keys by then), then this often. */
const SNAPSHOT_AFTER_READY_MS = 5_000
const SNAPSHOT_EVERY_MS = 10 * 60_000

export class WebjsSupervisor {
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
    private readonly options: WebjsSupervisorOptions,
    /** Subscribes the operations' side to each new run's client events. */
    private readonly forward: (events: RunEvents) => void,
  ) {
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

  /** The linked account's JID, once WORKING. */
  /** Resident memory of the current run's Chromium and its process group; undefined while none runs. */
  browserMemoryBytes(): number | undefined {
    const run = this.run
    const pid = run && !run.ended ? run.browser?.pid : undefined
    return pid === undefined ? undefined : processGroupMemoryBytes(pid)
  }

  meId(): string | undefined {
    return this.me?.id
  }

  renamed(pushName: string): void {
    if (this.me) this.me = { ...this.me, pushName }
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
    await this.restoreLogin()
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
      // The browser is closed, its files settled: the last word on the login, for whichever node runs the session next.
      if (run.linked) await this.saveLogin('final')
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

  // ─── Operations' door ─────────────────────────────────────────────────────

  /** Runs one operation on a WORKING session, mapping whatsapp-web.js failures to typed errors. */
  async op<T>(what: string, work: (client: WebjsClient) => Promise<T>): Promise<T> {
    const run = this.run
    if (!run || run.ended || this.status !== 'WORKING') throw new ClientNotReadyError(stateOf(this.status), this.status)
    return this.guarded(run, what, work)
  }

  /** Runs one step of linking (a pairing code) while the session shows a QR code. */
  whileLinking<T>(what: string, work: (client: WebjsClient) => Promise<T>): Promise<T> {
    const run = this.run
    if (!run || run.ended || this.status !== 'SCAN_QR_CODE') throw new NoLinkPendingError('pairing', stateOf(this.status), this.status)
    return this.guarded(run, what, work)
  }

  private async guarded<T>(run: Run, what: string, work: (client: WebjsClient) => Promise<T>): Promise<T> {
    try {
      return await work(run.client)
    } catch (error) {
      throw this.operationError(run, what, error)
    }
  }

  private operationError(run: Run, what: string, error: unknown): AppError {
    if (!(error instanceof AppError) && isBrowserGoneError(error)) {
      this.crash(run, `Chromium went away while trying to ${what}: ${describeError(error)}`)
      return new ClientNotReadyError(stateOf(this.status), this.status)
    }
    return upstreamErrorOf(what, error)
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

    this.forward({ on, enqueue: (work) => this.enqueue(run, work) })
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
    run.linked = true
    this.scheduleProbe(run)
    this.scheduleSnapshot(run, SNAPSHOT_AFTER_READY_MS)
  }

  /** Cluster only: saves the login soon after `ready`, then periodically, while the run lasts. */
  private scheduleSnapshot(run: Run, delayMs: number): void {
    if (!this.context.profileSnapshots || run.ended) return
    clearTimeout(run.snapshotTimer)
    run.snapshotTimer = setTimeout(() => {
      void this.saveLogin('periodic').finally(() => this.scheduleSnapshot(run, SNAPSHOT_EVERY_MS))
    }, delayMs)
  }

  /** Packs the profile's login and stores it (fenced: a node that lost the session stores nothing). */
  private async saveLogin(why: 'periodic' | 'final'): Promise<void> {
    const store = this.context.profileSnapshots
    if (!store) return
    try {
      const archive = await packLogin(this.userDataDir)
      if (!archive) return
      await store.save(archive)
      this.logger.debug({ bytes: archive.byteLength, why }, 'saved the login snapshot')
    } catch (error) {
      this.logger.warn({ err: describeError(error), why }, 'could not save the login snapshot')
    }
  }

  /**
   * Cluster only: unless this node's own profile holds a login newer than the stored one (a
   * restart after a crash here), the session starts from the stored login, unpacked into a
   * fresh profile: what the disk holds from an earlier turn may be stale (the session ran
   * elsewhere since, or was linked anew). No stored login: the profile on disk, if any.
   */
  private async restoreLogin(): Promise<void> {
    const store = this.context.profileSnapshots
    if (!store) return
    try {
      const stored = await store.load()
      if (!stored) return
      const local = await loginChangedAt(this.userDataDir)
      if (local !== undefined && local > stored.savedAt) return
      const archive = stored.archive
      await killProfileProcesses(this.userDataDir)
      await rm(this.userDataDir, { recursive: true, force: true, maxRetries: 3 })
      await unpackLogin(this.userDataDir, archive)
      this.logger.info({ bytes: archive.byteLength }, 'restored the login from the stored snapshot into a fresh profile')
    } catch (error) {
      this.logger.warn({ err: describeError(error) }, 'could not restore the login snapshot; the session may need a new QR')
    }
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
    this.finish(run, 'FAILED', initFailureReason(error), false)
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
    clearTimeout(run.snapshotTimer)
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
}
