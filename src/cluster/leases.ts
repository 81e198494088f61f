/**
 * The cluster's rows in Postgres: node heartbeats (`cluster_nodes`) and session leases
 * (`session_leases`). Every time is the database's `now()`, never a node's clock, so
 * nodes with skewed clocks still agree on who holds what.
 *
 * A lease names its holder, the URL it is reached at, and an `epoch`: a fencing token
 * bumped every time the lease changes hands (or is taken again after it ran out). Rows are
 * never deleted while the session exists — releasing expires a lease — so an epoch never
 * repeats for a number.
 */
import type { SQL } from 'bun'
import type { Database, DbInteger } from '../storage/db'

export interface NodeIdentity {
  id: string
  url: string
  /** Most sessions the node runs; 0 = no limit. */
  capacity: number
}

export interface HeldLease {
  phoneNumber: string
  epoch: number
}

export interface ClusterNodeRow {
  id: string
  url: string
  capacity: number
  lastSeenAt: string
  /** Leases it holds that have not run out. */
  sessions: number
  /** Its last heartbeat is recent enough to count it alive. */
  live: boolean
}

export interface SessionPlacementRow {
  phoneNumber: string
  node: string
}

interface LeaseRow {
  phone_number: string
  epoch: DbInteger
}

function held(rows: LeaseRow[]): HeldLease[] {
  return rows.map((row) => ({ phoneNumber: row.phone_number, epoch: Number(row.epoch) }))
}

function ttlInterval(ttlMs: number): string {
  return `${Math.round(ttlMs)} milliseconds`
}

export class LeaseTable {
  constructor(
    private readonly db: Database,
    private readonly ttlMs: number,
  ) {}

  /** Says this node is alive (and at which URL, with which capacity). */
  async heartbeat(node: NodeIdentity, starting: boolean): Promise<void> {
    if (starting) {
      await this.db`
        INSERT INTO cluster_nodes (id, url, capacity, started_at, last_seen_at)
        VALUES (${node.id}, ${node.url}, ${node.capacity}, now(), now())
        ON CONFLICT (id) DO UPDATE SET url = excluded.url, capacity = excluded.capacity, started_at = excluded.started_at, last_seen_at = excluded.last_seen_at`
      return
    }
    await this.db`
      INSERT INTO cluster_nodes (id, url, capacity, started_at, last_seen_at)
      VALUES (${node.id}, ${node.url}, ${node.capacity}, now(), now())
      ON CONFLICT (id) DO UPDATE SET url = excluded.url, capacity = excluded.capacity, last_seen_at = excluded.last_seen_at`
  }

  /**
   * Extends every lease this node holds that has not run out, of a session that should
   * still run. What comes back is what the node holds now: a lease missing from it was
   * lost (taken over, or the session stopped elsewhere) and its engine must stop; one that
   * is new to the node was assigned to it by a peer (a start placed there).
   */
  async renew(nodeId: string): Promise<HeldLease[]> {
    const rows: LeaseRow[] = await this.db`
      UPDATE session_leases AS l SET expires_at = now() + ${ttlInterval(this.ttlMs)}::interval
      FROM sessions AS s
      WHERE l.node_id = ${nodeId} AND l.expires_at > now()
        AND s.phone_number = l.phone_number AND s.desired_state = 'running'
      RETURNING l.phone_number, l.epoch`
    return held(rows)
  }

  /**
   * At boot: the leases a previous process under this NODE_ID still holds (it was killed
   * moments ago) are taken back with a new epoch, so nothing that process might still write
   * passes the fencing check.
   */
  async adopt(nodeId: string, url: string): Promise<void> {
    await this.db`
      UPDATE session_leases SET epoch = epoch + 1, node_url = ${url}
      WHERE node_id = ${nodeId} AND expires_at > now()`
  }

  /**
   * Takes up to `limit` sessions that should run but whose lease is free or has run out
   * (their node died, stalled, or released them). `SKIP LOCKED` lets every node claim at
   * once without waiting on each other: each session goes to exactly one of them.
   */
  async claimOrphans(node: NodeIdentity, limit: number): Promise<HeldLease[]> {
    if (limit <= 0) return []
    return this.db.begin(async (tx) => {
      const orphans: { phone_number: string }[] = await tx`
        SELECT s.phone_number FROM sessions AS s
        WHERE s.desired_state = 'running'
          AND NOT EXISTS (SELECT 1 FROM session_leases AS l WHERE l.phone_number = s.phone_number AND l.expires_at > now())
        ORDER BY s.updated_at
        LIMIT ${limit}
        FOR UPDATE OF s SKIP LOCKED`
      const claimed: HeldLease[] = []
      for (const { phone_number } of orphans) {
        const lease = await this.take(tx, phone_number, node)
        if (lease) claimed.push(lease)
      }
      return claimed
    })
  }

  /**
   * How many sessions wait for a node (should run, no live lease), and how many nodes are
   * alive: a heartbeat within two renewal rounds (a node whose leases ran out has missed
   * three, so it no longer counts when its sessions are shared out).
   */
  async orphansAndLiveNodes(): Promise<{ orphans: number; liveNodes: number }> {
    const rows: { orphans: DbInteger; live_nodes: DbInteger }[] = await this.db`
      SELECT
        (SELECT COUNT(*) FROM sessions AS s WHERE s.desired_state = 'running'
           AND NOT EXISTS (SELECT 1 FROM session_leases AS l WHERE l.phone_number = s.phone_number AND l.expires_at > now())) AS orphans,
        (SELECT COUNT(*) FROM cluster_nodes WHERE last_seen_at > now() - ${ttlInterval((this.ttlMs * 2) / 3)}::interval) AS live_nodes`
    return { orphans: Number(rows[0]?.orphans ?? 0), liveNodes: Number(rows[0]?.live_nodes ?? 0) }
  }

  /**
   * Where a session being started should run: its current holder when its lease is live;
   * otherwise the live node with spare capacity that runs the fewest sessions (this node on
   * a tie), which is given the lease here — it sees it at its next renewal and starts the
   * engine. Undefined when every live node is full.
   */
  async place(phoneNumber: string, self: NodeIdentity): Promise<(HeldLease & { nodeId: string }) | undefined> {
    return this.db.begin(async (tx) => {
      // The session row is the lock that serializes placements of one number across nodes.
      await tx`SELECT phone_number FROM sessions WHERE phone_number = ${phoneNumber} FOR UPDATE`
      const current: Array<LeaseRow & { node_id: string }> = await tx`
        SELECT phone_number, epoch, node_id FROM session_leases WHERE phone_number = ${phoneNumber} AND expires_at > now()`
      if (current[0]) return { ...held(current)[0]!, nodeId: current[0].node_id }
      const candidates: Array<{ id: string; url: string; capacity: number; load: DbInteger }> = await tx`
        SELECT n.id, n.url, n.capacity,
          (SELECT COUNT(*) FROM session_leases AS l WHERE l.node_id = n.id AND l.expires_at > now()) AS load
        FROM cluster_nodes AS n
        WHERE n.last_seen_at > now() - ${ttlInterval(this.ttlMs)}::interval OR n.id = ${self.id}`
      const open = candidates
        .map((node) => ({ id: node.id, url: node.id === self.id ? self.url : node.url, capacity: node.id === self.id ? self.capacity : Number(node.capacity), load: Number(node.load) }))
        .filter((node) => node.capacity === 0 || node.load < node.capacity)
        .sort((a, b) => a.load - b.load || (a.id === self.id ? -1 : b.id === self.id ? 1 : a.id.localeCompare(b.id)))
      const target = open[0]
      if (!target) return undefined
      const lease = await this.take(tx, phoneNumber, { id: target.id, url: target.url, capacity: target.capacity })
      return lease && { ...lease, nodeId: target.id }
    })
  }

  /** Gives up a lease at once (stop, logout, shutdown), so a peer may take the session without waiting for it to run out. */
  async release(phoneNumber: string, nodeId: string, epoch: number): Promise<void> {
    await this.db`
      UPDATE session_leases SET expires_at = now() - interval '1 millisecond'
      WHERE phone_number = ${phoneNumber} AND node_id = ${nodeId} AND epoch = ${epoch}`
  }

  /** A deleted session's lease goes with it. */
  async remove(phoneNumber: string): Promise<void> {
    await this.db`DELETE FROM session_leases WHERE phone_number = ${phoneNumber}`
  }

  /**
   * The fencing check, inside the writer's own transaction: this node still holds the
   * lease at this epoch and it has not run out. `FOR SHARE` keeps a takeover (which
   * updates the row) waiting until this transaction ends, so nothing written under the old
   * epoch can commit after the new owner took over.
   */
  async holds(tx: SQL, phoneNumber: string, nodeId: string, epoch: number): Promise<boolean> {
    const rows: unknown[] = await tx`
      SELECT 1 FROM session_leases
      WHERE phone_number = ${phoneNumber} AND node_id = ${nodeId} AND epoch = ${epoch} AND expires_at > now()
      FOR SHARE`
    return rows.length > 0
  }

  /** Every node that has sent a heartbeat, with its live lease count; and which node runs each session. */
  async overview(): Promise<{ nodes: ClusterNodeRow[]; sessions: SessionPlacementRow[] }> {
    const nodes: Array<{ id: string; url: string; capacity: number; last_seen_at: Date; sessions: DbInteger; live: boolean }> = await this.db`
      SELECT n.id, n.url, n.capacity, n.last_seen_at,
        (SELECT COUNT(*) FROM session_leases AS l WHERE l.node_id = n.id AND l.expires_at > now()) AS sessions,
        n.last_seen_at > now() - ${ttlInterval(this.ttlMs)}::interval AS live
      FROM cluster_nodes AS n ORDER BY n.id`
    const sessions: Array<{ phone_number: string; node_id: string }> = await this.db`
      SELECT phone_number, node_id FROM session_leases WHERE expires_at > now() ORDER BY phone_number`
    return {
      nodes: nodes.map((node) => ({
        id: node.id,
        url: node.url,
        capacity: Number(node.capacity),
        lastSeenAt: new Date(node.last_seen_at).toISOString(),
        sessions: Number(node.sessions),
        live: node.live === true,
      })),
      sessions: sessions.map((row) => ({ phoneNumber: row.phone_number, node: row.node_id })),
    }
  }

  /** Gives a free or run-out lease to `node`, with the next epoch; undefined when someone holds it live. */
  private async take(tx: SQL, phoneNumber: string, node: NodeIdentity): Promise<HeldLease | undefined> {
    const rows: LeaseRow[] = await tx`
      INSERT INTO session_leases (phone_number, node_id, node_url, epoch, expires_at)
      VALUES (${phoneNumber}, ${node.id}, ${node.url}, 1, now() + ${ttlInterval(this.ttlMs)}::interval)
      ON CONFLICT (phone_number) DO UPDATE SET
        node_id = excluded.node_id, node_url = excluded.node_url,
        epoch = session_leases.epoch + 1, expires_at = excluded.expires_at
      WHERE session_leases.expires_at <= now()
      RETURNING phone_number, epoch`
    return held(rows)[0]
  }
}
