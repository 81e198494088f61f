/**
 * Owns one engine session per phone number: lifecycle under a per-number lock, the
 * desired state persisted (so running sessions return after a restart), crash restarts
 * with backoff, and account ownership. Knows nothing of HTTP.
 */
import { mkdir, realpath, rm } from 'node:fs/promises'
import { join, sep } from 'node:path'
import type { EngineName } from '../config'
import { ClientNotReadyError, ConflictError, ForbiddenError, NoLinkPendingError, NotFoundError, NotSupportedError } from '../errors'
import type { EventBus } from '../events/bus'
import { KeyedMutex } from '../lib/keyed-mutex'
import type { Logger } from '../lib/logger'
import type { EngineRegistry } from '../providers/registry'
import {
  servesCapability,
  stateOf,
  type Capability,
  type EngineContext,
  type EngineEvent,
  type EngineSession,
  type SessionSnapshot,
  type SessionState,
} from '../providers/engine'
import type { EngineSnapshotsRepository } from '../storage/engine-snapshots-repo'
import type { EngineAuthRepository, SessionRecord, SessionsRepository } from '../storage/sessions-repo'
import type { LeasedSessionRunner, SessionPlacement } from './placement'

export interface RestartPolicy {
  /** First delay; each further attempt doubles it, with ±20% jitter. */
  baseDelayMs: number
  maxDelayMs: number
  maxAttempts: number
  /** Spacing between restored sessions of one engine at boot (0: none; engines bound their own concurrent starts). */
  bootStaggerMs: number
}

export interface SessionManagerOptions {
  dataDir: string
  defaultEngine: EngineName
  registry: EngineRegistry
  sessions: SessionsRepository
  engineAuth: EngineAuthRepository
  bus: EventBus
  logger: Logger
  restart: RestartPolicy
  /** Called with each new QR value of a session, e.g. to print it in the terminal. */
  onQr?: (phoneNumber: string, value: string) => void
  /** Called each time a crashed or hung engine session is launched again (metrics). */
  onEngineRestart?: (engine: EngineName) => void
  /**
   * Many nodes on one Postgres: an engine runs only on the node holding the number's lease,
   * and its auth state is written under the lease. Absent on SQLite (this server runs all).
   */
  placement?: SessionPlacement
  /** With `placement`: browser engines' login archives, so another node takes a session over without a QR. */
  snapshots?: EngineSnapshotsRepository
}

export interface StartRequest {
  engine?: EngineName
  /** Who claims the number when it has no owner yet (null: no account, the admin's). */
  accountId: string | null
  /**
   * Checked under the number's lock: when the session exists, it must be owned by exactly
   * this account (null = no account), else 403. Closes the race where two accounts start
   * the same new number at once and both pass the guard.
   */
  requireOwner?: string | null
}

export interface SessionView extends SessionSnapshot {
  phoneNumber: string
  state: SessionState
  engine: EngineName
  accountId: string | null
  capabilities: Capability[]
}

interface LiveSession {
  engineSession: EngineSession
  engine: EngineName
  /** Being replaced after a crash: its remaining events (the STOPPED of its teardown) are stale. */
  retired?: boolean
  /** Set when the manager gave up restarting a crashed engine; overrides the engine session's status. */
  failure?: string
  restartAttempts: number
  restartTimer?: ReturnType<typeof setTimeout>
}

export class SessionManager implements LeasedSessionRunner {
  private readonly live = new Map<string, LiveSession>()
  private readonly locks = new KeyedMutex()
  private readonly deleteListeners: Array<(phoneNumber: string) => Promise<void>> = []
  private closed = false

  constructor(private readonly options: SessionManagerOptions) {}

  /** Starts (or returns the running) session of a number. Idempotent. */
  start(phoneNumber: string, request: StartRequest): Promise<SessionView> {
    return this.locks.run(phoneNumber, () => this.startUnlocked(phoneNumber, request))
  }

  /**
   * Records a session without starting it (WAHA's `POST /api/sessions` with `start: false`,
   * and before a start, so a WAHA config's webhooks exist before its first event). Returns
   * the existing session unchanged when there is one.
   */
  create(phoneNumber: string, request: StartRequest): Promise<SessionView> {
    return this.locks.run(phoneNumber, async () => {
      const record = await this.options.sessions.get(phoneNumber)
      if (record) {
        if (request.requireOwner !== undefined && record.accountId !== request.requireOwner) throw new ForbiddenError(`Number ${phoneNumber} belongs to another account`)
        return this.view(record)
      }
      const engine = request.engine ?? this.options.defaultEngine
      await this.options.registry.get(engine)
      return this.view(await this.options.sessions.upsert({ phoneNumber, accountId: request.accountId, engine, desiredState: 'stopped' }))
    })
  }

  stop(phoneNumber: string): Promise<SessionView> {
    return this.locks.run(phoneNumber, async () => {
      const record = await this.requireRecord(phoneNumber)
      this.announceStopped(phoneNumber, await this.shutdownLive(phoneNumber))
      await this.options.sessions.setDesiredState(phoneNumber, 'stopped')
      await this.options.placement?.release(phoneNumber)
      return this.view({ ...record, desiredState: 'stopped' })
    })
  }

  restart(phoneNumber: string): Promise<SessionView> {
    return this.locks.run(phoneNumber, async () => {
      const record = await this.requireRecord(phoneNumber)
      this.announceStopped(phoneNumber, await this.shutdownLive(phoneNumber))
      return this.startUnlocked(phoneNumber, { engine: record.engine as EngineName, accountId: record.accountId })
    })
  }

  /** Unpairs: the engine logs out where it can, and its auth state is wiped either way. */
  logout(phoneNumber: string): Promise<SessionView> {
    return this.locks.run(phoneNumber, async () => {
      const record = await this.requireRecord(phoneNumber)
      this.announceStopped(phoneNumber, await this.logoutUnlocked(phoneNumber))
      await this.options.sessions.setDesiredState(phoneNumber, 'stopped')
      await this.options.placement?.release(phoneNumber)
      return this.view({ ...record, desiredState: 'stopped' })
    })
  }

  /** Logs out, deletes the session and its data, and releases the account's claim on the number. */
  delete(phoneNumber: string): Promise<void> {
    return this.locks.run(phoneNumber, async () => {
      await this.requireRecord(phoneNumber)
      await this.logoutUnlocked(phoneNumber)
      await this.removeSessionDir(phoneNumber)
      await this.options.sessions.delete(phoneNumber)
      await this.options.placement?.remove(phoneNumber)
      for (const listener of this.deleteListeners) {
        try {
          await listener(phoneNumber)
        } catch (error) {
          this.options.logger.error({ session: phoneNumber, err: error }, 'could not delete data of a deleted session')
        }
      }
    })
  }

  /**
   * Runs after a session is deleted, under its lock, so data tied to the number (webhooks,
   * stored events) is gone before another account can claim it.
   */
  onDeleted(listener: (phoneNumber: string) => Promise<void>): void {
    this.deleteListeners.push(listener)
  }

  /**
   * 404 unknown, 501 when the engine cannot pair by code, and like `qr` a 409 CONFLICT
   * naming the status when no link is pending (not CLIENT_NOT_READY: a WORKING session is
   * connected, it just has nothing to link).
   */
  async requestPairingCode(phoneNumber: string): Promise<string> {
    let engineSession: EngineSession | undefined
    try {
      engineSession = await this.requireEngine(phoneNumber, 'session.pairingCode')
    } catch (error) {
      if (!(error instanceof ClientNotReadyError)) throw error
    }
    const view = await this.get(phoneNumber)
    if (!engineSession || view.status !== 'SCAN_QR_CODE') throw new NoLinkPendingError('pairing', view.state, view.status)
    return engineSession.requestPairingCode(phoneNumber)
  }

  async qr(phoneNumber: string): Promise<string> {
    const view = await this.get(phoneNumber)
    if (view.qr === undefined) throw new NoLinkPendingError('QR code', view.state, view.status)
    return view.qr
  }

  async get(phoneNumber: string): Promise<SessionView> {
    return this.view(await this.requireRecord(phoneNumber))
  }

  async find(phoneNumber: string): Promise<SessionRecord | undefined> {
    return this.options.sessions.get(phoneNumber)
  }

  async list(accountId?: string): Promise<SessionView[]> {
    const records = await this.options.sessions.list(accountId)
    return records.map((record) => this.view(record))
  }

  /**
   * The live engine session of a number, for the feature services. Throws 404 for an unknown
   * session, and NOT_SUPPORTED when its engine lacks the capability — before touching it.
   */
  async requireEngine(phoneNumber: string, capability?: Capability): Promise<EngineSession> {
    const record = await this.requireRecord(phoneNumber)
    const live = this.live.get(phoneNumber)
    const engine = record.engine as EngineName
    const capabilities = live?.engineSession.capabilities ?? (await this.options.registry.get(engine)).capabilities
    if (capability && !capabilities.has(capability)) throw new NotSupportedError(engine, capability)
    // Declared without its method (still the base's default) is a bug; it answers 501 all the same, before the engine is touched.
    if (capability && live && !servesCapability(live.engineSession, capability)) throw new NotSupportedError(engine, capability)
    if (!live) throw new ClientNotReadyError('DISCONNECTED', 'STOPPED')
    return live.engineSession
  }

  /** Like `requireEngine`, and the session must be WORKING (409 CLIENT_NOT_READY otherwise). */
  async requireConnected(phoneNumber: string, capability?: Capability): Promise<EngineSession> {
    const engineSession = await this.requireEngine(phoneNumber, capability)
    const entry = this.live.get(phoneNumber)
    const snapshot = entry ? this.liveSnapshot(entry) : engineSession.snapshot()
    if (snapshot.status !== 'WORKING') throw new ClientNotReadyError(stateOf(snapshot.status), snapshot.status)
    return engineSession
  }

  /**
   * Hands events an engine receives out of band (WAHA's callbacks) to the live engine session of
   * a number, which updates its state and emits them into the normal pipeline. 404 for an
   * unknown session, 409 when it is not running here, 501 when its engine takes no
   * external events.
   */
  async acceptExternalEvents(phoneNumber: string, events: EngineEvent[]): Promise<void> {
    const engineSession = await this.requireEngine(phoneNumber)
    if (!engineSession.acceptExternalEvents) throw new NotSupportedError(engineSession.engine, 'events delivered by callbacks')
    await engineSession.acceptExternalEvents(events)
  }

  /**
   * Brings back every session that was running when the server stopped. Sessions start in
   * parallel, as many of each engine at once as the engine allows (`maxConcurrentStarts`:
   * webjs one browser launch per core, the simulator all of them), optionally spaced by
   * BOOT_STAGGER_MS per engine. The server answers requests meanwhile.
   */
  async restoreAll(): Promise<void> {
    // In a cluster, the nodes claim the sessions that should run (src/cluster/member.ts).
    if (this.options.placement) return
    const records = await this.options.sessions.listDesiredRunning()
    const byEngine = new Map<string, SessionRecord[]>()
    for (const record of records) byEngine.set(record.engine, [...(byEngine.get(record.engine) ?? []), record])
    await Promise.all([...byEngine].map(([engine, queue]) => this.restoreEngine(engine as EngineName, queue)))
  }

  private async restoreEngine(engine: EngineName, queue: SessionRecord[]): Promise<void> {
    let limit = queue.length
    try {
      limit = Math.min(limit, (await this.options.registry.get(engine)).maxConcurrentStarts ?? limit)
    } catch {
      // The engine does not load: each start below fails and logs why.
    }
    const stagger = this.options.restart.bootStaggerMs
    let nextLaunchAt = 0
    const worker = async () => {
      for (let record = queue.shift(); record && !this.closed; record = queue.shift()) {
        if (stagger > 0) {
          const wait = nextLaunchAt - Date.now()
          nextLaunchAt = Math.max(nextLaunchAt, Date.now()) + stagger
          if (wait > 0) await Bun.sleep(wait)
          if (this.closed) return
        }
        try {
          await this.start(record.phoneNumber, { engine, accountId: record.accountId })
        } catch (error) {
          this.options.logger.error({ session: record.phoneNumber, err: error }, 'could not restore session')
        }
      }
    }
    await Promise.all(Array.from({ length: Math.max(1, limit) }, worker))
  }

  /** Numbers whose engine runs on this server now. */
  runningHere(): string[] {
    return [...this.live]
      .filter(([, entry]) => !entry.failure && isActive(entry.engineSession.snapshot().status))
      .map(([phoneNumber]) => phoneNumber)
      .sort()
  }

  /** Memory held by each live session's own processes (webjs: its Chromium), where the engine can tell. */
  memoryUsage(): Array<{ phoneNumber: string; engine: EngineName; bytes: number }> {
    const usage: Array<{ phoneNumber: string; engine: EngineName; bytes: number }> = []
    for (const [phoneNumber, entry] of this.live) {
      const bytes = entry.engineSession.processMemoryBytes?.()
      if (bytes !== undefined) usage.push({ phoneNumber, engine: entry.engine, bytes })
    }
    return usage
  }

  /** Stops every engine without changing what should run, so the next boot restores them. */
  async shutdown(): Promise<void> {
    this.closed = true
    await Promise.allSettled(
      [...this.live.keys()].map((phoneNumber) => this.locks.run(phoneNumber, () => this.shutdownLive(phoneNumber))),
    )
  }

  // ─── Leases (cluster) ──────────────────────────────────────────────────────

  async runLeased(phoneNumber: string): Promise<void> {
    await this.locks.run(phoneNumber, async () => {
      if (this.closed || !this.options.placement?.holds(phoneNumber)) return
      const record = await this.options.sessions.get(phoneNumber)
      if (!record || record.desiredState !== 'running') {
        await this.options.placement.release(phoneNumber)
        return
      }
      const current = this.live.get(phoneNumber)
      if (current && !current.failure && isActive(current.engineSession.snapshot().status)) return
      const engine = record.engine as EngineName
      try {
        const factory = await this.options.registry.get(engine)
        await this.shutdownLive(phoneNumber)
        await this.launch(phoneNumber, engine, factory.create.bind(factory), 0)
      } catch (error) {
        // Another node may be able to run it (this one lacks Chromium, say): let it.
        this.options.logger.error({ session: phoneNumber, err: error }, 'could not start a leased session here; releasing its lease')
        await this.options.placement.release(phoneNumber)
      }
    })
  }

  async stopUnleased(phoneNumber: string, reason: string): Promise<void> {
    await this.locks.run(phoneNumber, async () => {
      // Taken back meanwhile (this node claimed it again): the running engine is the right one.
      if (this.options.placement?.holds(phoneNumber)) return
      const entry = await this.shutdownLive(phoneNumber)
      if (entry) this.options.logger.warn({ session: phoneNumber, reason }, 'engine stopped: this node no longer holds the session lease')
    })
  }

  // ─── Internals ─────────────────────────────────────────────────────────────

  private async startUnlocked(phoneNumber: string, request: StartRequest): Promise<SessionView> {
    const record = await this.options.sessions.get(phoneNumber)
    if (record && request.requireOwner !== undefined && record.accountId !== request.requireOwner) {
      throw new ForbiddenError(`Number ${phoneNumber} belongs to another account`)
    }
    const engine = request.engine ?? (record?.engine as EngineName | undefined) ?? this.options.defaultEngine
    const current = this.live.get(phoneNumber)
    if (current && !current.failure && isActive(current.engineSession.snapshot().status)) {
      if (request.engine && request.engine !== current.engine) {
        throw new ConflictError(`The session is running on the ${current.engine} engine; stop it before switching to ${request.engine}`)
      }
      if (record && (record.desiredState !== 'running' || (record.accountId === null && request.accountId !== null))) {
        // Running already: mark it wanted, and let an unowned number be claimed as a stopped one would be.
        const saved = await this.options.sessions.upsert({ ...record, accountId: record.accountId ?? request.accountId, desiredState: 'running' })
        return this.view(saved)
      }
      return this.view(record ?? (await this.requireRecord(phoneNumber)))
    }
    const factory = await this.options.registry.get(engine)
    await this.shutdownLive(phoneNumber)
    const saved = await this.options.sessions.upsert({
      phoneNumber,
      accountId: record?.accountId ?? request.accountId,
      engine,
      desiredState: 'running',
    })
    const placed = await this.options.placement?.acquire(phoneNumber, engine)
    if (placed && !placed.here) {
      // Its node starts it at its next lease round; its own routes are answered there.
      return { ...this.view(saved), status: 'STARTING', state: stateOf('STARTING') }
    }
    await this.launch(phoneNumber, engine, factory.create.bind(factory), 0)
    return this.view(saved)
  }

  private async launch(
    phoneNumber: string,
    engine: EngineName,
    create: (context: EngineContext) => EngineSession,
    restartAttempts: number,
  ): Promise<void> {
    const dataDir = this.sessionDir(phoneNumber, engine)
    await mkdir(dataDir, { recursive: true })
    const auth = this.options.engineAuth
    const placement = this.options.placement
    const snapshots = this.options.snapshots
    let entry: LiveSession | undefined
    const engineSession = create({
      phoneNumber,
      dataDir,
      authState: {
        load: () => auth.load(phoneNumber, engine),
        // In a cluster only the lease holder may write it: a stalled former owner must not overwrite the new one's pairing.
        save: (state) => (placement ? placement.fenced(phoneNumber, (tx) => auth.save(phoneNumber, engine, state, tx)) : auth.save(phoneNumber, engine, state)),
        clear: () =>
          placement
            ? placement.fenced(phoneNumber, async (tx) => {
                await auth.clear(phoneNumber, engine, tx)
                await snapshots?.clear(phoneNumber, engine, tx)
              })
            : auth.clear(phoneNumber, engine),
      },
      ...(placement &&
        snapshots && {
          profileSnapshots: {
            load: () => snapshots.load(phoneNumber, engine),
            save: async (archive: Uint8Array) => {
              await placement.fenced(phoneNumber, (tx) => snapshots.save(phoneNumber, engine, archive, tx))
            },
          },
        }),
      emit: (event) => {
        // Events from an engine session that has since been replaced are stale.
        if (entry && !entry.retired && this.live.get(phoneNumber) === entry) this.onEngineEvent(phoneNumber, entry, event)
      },
    })
    entry = { engineSession, engine, restartAttempts }
    this.live.set(phoneNumber, entry)
    try {
      await engineSession.start()
    } catch (error) {
      this.live.delete(phoneNumber)
      await engineSession.stop().catch(() => undefined)
      throw error
    }
  }

  private onEngineEvent(phoneNumber: string, entry: LiveSession, event: EngineEvent): void {
    const { logger, bus } = this.options
    if (event.type === 'engine.crashed') {
      this.scheduleRestart(phoneNumber, entry, event.reason)
      return
    }
    if (event.type === 'qr') this.options.onQr?.(phoneNumber, event.value)
    if (event.type === 'session.status') {
      logger.info({ session: phoneNumber, status: event.status, reason: event.reason }, 'session status')
      if (event.status === 'WORKING') entry.restartAttempts = 0
      if (event.ended) {
        // Logged out or refused for good: a server restart must not bring it back, nor another node take it over.
        this.options.sessions
          .setDesiredState(phoneNumber, 'stopped')
          .then(() => this.options.placement?.release(phoneNumber))
          .catch((error: unknown) => {
            logger.error({ session: phoneNumber, err: error }, 'could not record that the session ended')
          })
      }
    }
    const snapshot = entry.engineSession.snapshot()
    bus.publish({
      session: phoneNumber,
      engine: entry.engine,
      ...(snapshot.me && { me: snapshot.me }),
      receivedAt: Date.now(),
      event,
    })
  }

  private scheduleRestart(phoneNumber: string, entry: LiveSession, reason: string): void {
    const { restart, logger } = this.options
    if (this.closed || entry.restartTimer) return
    if (entry.restartAttempts >= restart.maxAttempts) {
      entry.failure = `The engine crashed and was restarted ${restart.maxAttempts} times without recovering; last error: ${reason}`
      logger.error({ session: phoneNumber, reason }, 'gave up restarting session')
      this.publishStatus(phoneNumber, entry)
      return
    }
    const exponential = Math.min(restart.maxDelayMs, restart.baseDelayMs * 2 ** entry.restartAttempts)
    const delay = Math.round(exponential * (0.8 + Math.random() * 0.4))
    logger.warn({ session: phoneNumber, reason, attempt: entry.restartAttempts + 1, delay }, 'engine crashed; restarting')
    entry.restartTimer = setTimeout(() => {
      entry.restartTimer = undefined
      void this.locks.run(phoneNumber, async () => {
        if (this.closed || this.live.get(phoneNumber) !== entry) return
        if (this.options.placement && !this.options.placement.holds(phoneNumber)) return
        const record = await this.options.sessions.get(phoneNumber)
        if (!record || record.desiredState !== 'running') return
        entry.retired = true
        this.options.onEngineRestart?.(entry.engine)
        await entry.engineSession.stop().catch(() => undefined)
        const factory = await this.options.registry.get(entry.engine)
        try {
          await this.launch(phoneNumber, entry.engine, factory.create.bind(factory), entry.restartAttempts + 1)
        } catch (error) {
          const next: LiveSession = { ...entry, restartAttempts: entry.restartAttempts + 1, restartTimer: undefined }
          this.live.set(phoneNumber, next)
          this.scheduleRestart(phoneNumber, next, error instanceof Error ? error.message : String(error))
        }
      })
    }, delay)
  }

  private publishStatus(phoneNumber: string, entry: LiveSession): void {
    const view = this.liveSnapshot(entry)
    this.options.bus.publish({
      session: phoneNumber,
      engine: entry.engine,
      ...(view.me && { me: view.me }),
      receivedAt: Date.now(),
      event: { type: 'session.status', status: view.status, ...(view.reason && { reason: view.reason }) },
    })
  }

  /** Stops the running engine session, if any, and returns it. */
  private async shutdownLive(phoneNumber: string): Promise<LiveSession | undefined> {
    const entry = this.live.get(phoneNumber)
    if (!entry) return undefined
    clearTimeout(entry.restartTimer)
    this.live.delete(phoneNumber)
    try {
      await entry.engineSession.stop()
    } catch (error) {
      this.options.logger.warn({ session: phoneNumber, err: error }, 'engine did not stop cleanly')
    }
    return entry
  }

  /**
   * A session stopped on request (stop, restart, logout) says so, as WAHA does: the engine's
   * own last events are dropped once it leaves `live`, so without this, watchers (SSE,
   * webhooks, the dashboard) would still believe it WORKING. Not on server shutdown (the
   * session comes back by itself) nor on delete (its events and webhooks go with it).
   */
  private announceStopped(phoneNumber: string, entry: LiveSession | undefined): void {
    if (!entry) return
    this.options.bus.publish({
      session: phoneNumber,
      engine: entry.engine,
      receivedAt: Date.now(),
      event: { type: 'session.status', status: 'STOPPED' },
    })
  }

  private async logoutUnlocked(phoneNumber: string): Promise<LiveSession | undefined> {
    const entry = this.live.get(phoneNumber)
    if (entry) {
      clearTimeout(entry.restartTimer)
      this.live.delete(phoneNumber)
      try {
        await entry.engineSession.logout()
      } catch (error) {
        // The phone may be gone already; the local wipe below still unpairs this server.
        this.options.logger.warn({ session: phoneNumber, err: error }, 'engine logout failed; wiping local auth')
        await entry.engineSession.stop().catch(() => undefined)
      }
    }
    await this.options.engineAuth.clear(phoneNumber)
    await this.options.snapshots?.clear(phoneNumber)
    await this.removeSessionDir(phoneNumber)
    return entry
  }

  private sessionDir(phoneNumber: string, engine?: EngineName): string {
    const base = join(this.options.dataDir, 'sessions', phoneNumber)
    return engine ? join(base, engine) : base
  }

  /** Deletes a session's files, refusing anything that resolves outside DATA_DIR/sessions. */
  private async removeSessionDir(phoneNumber: string): Promise<void> {
    const root = join(this.options.dataDir, 'sessions')
    const target = this.sessionDir(phoneNumber)
    let resolvedRoot: string
    let resolvedTarget: string
    try {
      resolvedRoot = await realpath(root)
      resolvedTarget = await realpath(target)
    } catch {
      return // nothing on disk
    }
    if (!resolvedTarget.startsWith(resolvedRoot + sep)) {
      throw new Error(`Refusing to delete ${resolvedTarget}: outside ${resolvedRoot}`)
    }
    await rm(resolvedTarget, { recursive: true, force: true })
  }

  /** The session's record, or 404 for a number that was never started (or was deleted). */
  async requireRecord(phoneNumber: string): Promise<SessionRecord> {
    const record = await this.options.sessions.get(phoneNumber)
    if (!record) throw new NotFoundError(`Session ${phoneNumber} not found; start it first (POST /${phoneNumber}/start)`)
    return record
  }

  private liveSnapshot(entry: LiveSession): SessionSnapshot {
    const snapshot = entry.engineSession.snapshot()
    if (!entry.failure) return snapshot
    return { status: 'FAILED', reason: entry.failure, ...(snapshot.me && { me: snapshot.me }) }
  }

  private view(record: SessionRecord): SessionView {
    const entry = this.live.get(record.phoneNumber)
    const snapshot: SessionSnapshot = entry ? this.liveSnapshot(entry) : { status: 'STOPPED' }
    return {
      phoneNumber: record.phoneNumber,
      ...snapshot,
      state: stateOf(snapshot.status),
      engine: (entry?.engine ?? record.engine) as EngineName,
      accountId: record.accountId,
      capabilities: entry ? [...entry.engineSession.capabilities] : [],
    }
  }
}

function isActive(status: SessionSnapshot['status']): boolean {
  return status === 'STARTING' || status === 'SCAN_QR_CODE' || status === 'WORKING' || status === 'CONFLICT'
}
