/**
 * This node as a member of the cluster (Postgres): its heartbeat, the leases of the
 * sessions it runs, and the fencing of their writes.
 *
 * Every third of LEASE_TTL_MS it
 *  1. sends a heartbeat (`cluster_nodes`);
 *  2. renews its leases: one it no longer holds stops its engine here, one a peer placed
 *     here starts;
 *  3. claims orphans (sessions that should run whose lease is free or ran out: their node
 *     died, stalled or drained), at most its fair share per round and never beyond
 *     NODE_CAPACITY, so a dead node's sessions spread over the survivors.
 *
 * A node that cannot renew in time (database unreachable, process stalled) stops its
 * engines by itself before its leases can run out on the database's clock: the deadline is
 * measured from when the last successful renewal was SENT, which is never later than when
 * the database stamped it. The database cannot stop a second browser talking to WhatsApp;
 * only the node itself can. And whatever a stalled node tries to write when it wakes is
 * refused by the fencing check, which runs in the same transaction as the write.
 */
import type { SQL } from 'bun'
import { EngineUnavailableError, LeaseLostError } from '../lib/errors'
import type { Logger } from '../lib/logger'
import type { LeasedSessionRunner, Placement, SessionPlacement } from '../sessions/placement'
import type { Database } from '../storage/db'
import { LeaseTable, type ClusterNodeRow, type NodeIdentity, type SessionPlacementRow } from './leases'

export interface ClusterMemberOptions {
  db: Database
  node: NodeIdentity
  leaseTtlMs: number
  logger: Logger
  /** Resolves once every event queued so far is written: a lease is released only after its session's last events. */
  writesSettled: () => Promise<void>
}

interface Held {
  epoch: number
  /** When this node took it (performance.now()): a renewal sent before that cannot know it. */
  since: number
}

/** (Its references to the session manager and timers are #private: Elysia serializes the app's seed, deps, and these would be cycles.) */
export class ClusterMember implements SessionPlacement {
  private readonly table: LeaseTable
  private readonly held = new Map<string, Held>()
  #runner?: LeasedSessionRunner
  #tickTimer?: ReturnType<typeof setTimeout>
  #selfStopTimer?: ReturnType<typeof setTimeout>
  /** When the last successful renewal was sent (performance.now()); the leases are safe until this + TTL. */
  private renewedFrom = 0
  private running = false
  #ticking?: Promise<void>

  constructor(private readonly options: ClusterMemberOptions) {
    this.table = new LeaseTable(options.db, options.leaseTtlMs)
  }

  get nodeId(): string {
    return this.options.node.id
  }

  /** Sessions whose lease this node holds. */
  heldSessions(): string[] {
    return [...this.held.keys()]
  }

  /** Joins the cluster: heartbeat, takes back what a previous process of this node still held, then keeps renewing and claiming. */
  async start(runner: LeasedSessionRunner): Promise<void> {
    this.#runner = runner
    this.running = true
    await this.table.heartbeat(this.options.node, true)
    await this.table.adopt(this.options.node.id, this.options.node.url)
    this.#ticking = this.tick()
    await this.#ticking
  }

  /** Leaves the cluster cleanly (SIGTERM): no more renewals; every lease is released after its last events are written, so peers take over at once. */
  async close(): Promise<void> {
    this.running = false
    clearTimeout(this.#tickTimer)
    clearTimeout(this.#selfStopTimer)
    await this.#ticking?.catch(() => undefined)
    await this.options.writesSettled().catch(() => undefined)
    const leases = [...this.held]
    this.held.clear()
    for (const [phoneNumber, { epoch }] of leases) {
      await this.table.release(phoneNumber, this.options.node.id, epoch).catch((error: unknown) => {
        this.options.logger.warn({ session: phoneNumber, err: error }, 'could not release a session lease; it runs out by itself')
      })
    }
  }

  // ─── SessionPlacement (the session manager's side) ─────────────────────────

  async acquire(phoneNumber: string, engine: string): Promise<Placement> {
    const lease = await this.table.place(phoneNumber, this.options.node)
    // After the commit: a renewal sent before it could not see this lease, and must not count it lost.
    const since = performance.now()
    if (!lease) throw new EngineUnavailableError(engine, 'Every node of the cluster runs as many sessions as its NODE_CAPACITY allows; add a node or raise NODE_CAPACITY')
    if (lease.nodeId !== this.options.node.id) {
      this.options.logger.info({ session: phoneNumber, node: lease.nodeId }, 'session placed on another node')
      return { here: false, nodeId: lease.nodeId }
    }
    const known = this.held.get(phoneNumber)
    if (!known || known.epoch !== lease.epoch) this.held.set(phoneNumber, { epoch: lease.epoch, since })
    return { here: true }
  }

  holds(phoneNumber: string): boolean {
    return this.held.has(phoneNumber)
  }

  async release(phoneNumber: string): Promise<void> {
    const lease = this.held.get(phoneNumber)
    if (!lease) return
    await this.options.writesSettled()
    if (this.held.get(phoneNumber) !== lease) return
    this.held.delete(phoneNumber)
    await this.table.release(phoneNumber, this.options.node.id, lease.epoch)
  }

  async remove(phoneNumber: string): Promise<void> {
    this.held.delete(phoneNumber)
    await this.table.remove(phoneNumber)
  }

  async fenced<T>(phoneNumber: string, work: (tx: SQL) => Promise<T>): Promise<T> {
    return this.options.db.begin(async (tx) => {
      await this.check(tx, phoneNumber)
      return work(tx)
    }) as Promise<T>
  }

  /** The fencing check inside a writer's transaction (the event ingest's, `fenced`'s): throws LeaseLostError, and stops the engine, when the lease is gone. */
  async check(tx: SQL, phoneNumber: string): Promise<void> {
    const lease = this.held.get(phoneNumber)
    if (lease && (await this.table.holds(tx, phoneNumber, this.options.node.id, lease.epoch))) return
    if (lease) this.lost(phoneNumber, lease, 'a write found the lease taken over or run out')
    throw new LeaseLostError(phoneNumber)
  }

  /** `GET /cluster`: the nodes and which runs each session. */
  overview(): Promise<{ nodes: ClusterNodeRow[]; sessions: SessionPlacementRow[] }> {
    return this.table.overview()
  }

  // ─── The loop ──────────────────────────────────────────────────────────────

  /** The next round in a third of the TTL; `soon` (orphans left over after a full share) sooner, to pick up what the others did not. */
  private schedule(soon = false): void {
    if (!this.running) return
    clearTimeout(this.#tickTimer)
    const round = Math.floor(this.options.leaseTtlMs / 3)
    this.#tickTimer = setTimeout(() => {
      this.#ticking = this.tick()
    }, Math.max(100, soon ? Math.floor(round / 5) : round))
  }

  private async tick(): Promise<void> {
    let soon = false
    try {
      // A timer that fires late (the process was stopped) must not renew leases peers may have taken meanwhile.
      if (this.held.size > 0 && performance.now() >= this.selfStopAt()) this.selfStop()
      const sentAt = performance.now()
      await this.table.heartbeat(this.options.node, false)
      const renewed = await this.table.renew(this.options.node.id)
      if (!this.running) return
      this.renewedFrom = sentAt
      this.armSelfStop()
      this.reconcile(renewed, sentAt)
      soon = await this.claim()
    } catch (error) {
      this.options.logger.warn({ err: error }, 'cluster heartbeat or lease renewal failed; retrying (engines stop if leases cannot be renewed in time)')
    } finally {
      this.schedule(soon)
    }
  }

  private reconcile(renewed: Array<{ phoneNumber: string; epoch: number }>, sentAt: number): void {
    const current = new Map(renewed.map((lease) => [lease.phoneNumber, lease.epoch]))
    for (const [phoneNumber, lease] of this.held) {
      if (lease.since > sentAt) continue // taken after this renewal was sent
      if (current.get(phoneNumber) !== lease.epoch) this.lost(phoneNumber, lease, 'the lease was not renewed (taken over, or the session stopped elsewhere)')
    }
    for (const [phoneNumber, epoch] of current) {
      if (this.held.get(phoneNumber)?.epoch === epoch) continue
      // A peer placed a start here, or a previous process of this node held it.
      this.held.set(phoneNumber, { epoch, since: sentAt })
      this.run(phoneNumber)
    }
  }

  /** Returns true when more orphans may be waiting (this round took its full share). */
  private async claim(): Promise<boolean> {
    const { capacity } = this.options.node
    const spare = capacity === 0 ? Number.POSITIVE_INFINITY : capacity - this.held.size
    if (spare <= 0) return false
    const { orphans, liveNodes } = await this.table.orphansAndLiveNodes()
    if (orphans === 0) return false
    // A fair share per round, so a dead node's sessions spread over the survivors; what is left is claimed next round.
    const limit = Math.min(spare, Math.ceil(orphans / Math.max(1, liveNodes)))
    const claimed = await this.table.claimOrphans(this.options.node, limit)
    const since = performance.now()
    for (const lease of claimed) {
      this.held.set(lease.phoneNumber, { epoch: lease.epoch, since })
      this.options.logger.info({ session: lease.phoneNumber, epoch: lease.epoch }, 'claimed session lease')
      this.run(lease.phoneNumber)
    }
    return claimed.length > 0 && claimed.length === limit && limit < orphans
  }

  private run(phoneNumber: string): void {
    void this.#runner?.runLeased(phoneNumber).catch((error: unknown) => {
      this.options.logger.error({ session: phoneNumber, err: error }, 'could not run a leased session')
    })
  }

  private lost(phoneNumber: string, lease: Held, reason: string): void {
    if (this.held.get(phoneNumber) !== lease) return
    this.held.delete(phoneNumber)
    this.options.logger.warn({ session: phoneNumber, epoch: lease.epoch, reason }, 'session lease lost; stopping its engine here')
    void this.#runner?.stopUnleased(phoneNumber, reason).catch((error: unknown) => {
      this.options.logger.error({ session: phoneNumber, err: error }, 'could not stop the engine of a lost session')
    })
  }

  /** Stops every engine once the leases may have run out without a renewal; re-armed by each successful one. */
  private armSelfStop(): void {
    clearTimeout(this.#selfStopTimer)
    this.#selfStopTimer = setTimeout(() => this.selfStop(), Math.max(0, this.selfStopAt() - performance.now()))
  }

  /**
   * A sixth of the TTL before the leases can run out on the database's clock: the engines
   * are stopped (which takes a moment) before any peer may claim them.
   */
  private selfStopAt(): number {
    return this.renewedFrom + this.options.leaseTtlMs - this.options.leaseTtlMs / 6
  }

  private selfStop(): void {
    if (this.held.size === 0) return
    this.options.logger.warn({ sessions: this.held.size }, 'could not renew session leases in time; stopping their engines')
    for (const [phoneNumber, lease] of [...this.held]) this.lost(phoneNumber, lease, 'the lease could not be renewed in time')
  }
}
