/**
 * What the session manager needs from the cluster (src/cluster/member.ts) when many nodes
 * share one Postgres: which node runs a session, and writes that only the lease holder may
 * make. On SQLite there is none: the one server runs every session.
 */
import type { SQL } from 'bun'

export type Placement = { here: true } | { here: false; nodeId: string }

export interface SessionPlacement {
  /**
   * Before an engine starts for a start request: takes the number's lease for this node,
   * or places the session on the least-loaded node (which then starts it). Throws 503 when
   * every live node is full.
   */
  acquire(phoneNumber: string, engine: string): Promise<Placement>
  /** This node holds the number's lease (as far as it knows): its engine may run here. */
  holds(phoneNumber: string): boolean
  /** Stopped or logged out on request: the lease is given up at once. */
  release(phoneNumber: string): Promise<void>
  /** Deleted: the lease row goes. */
  remove(phoneNumber: string): Promise<void>
  /**
   * Runs a write of the session's state in one transaction with the fencing check: when
   * this node no longer holds the lease, nothing is written (LeaseLostError) and the
   * session's engine here is stopped.
   */
  fenced<T>(phoneNumber: string, work: (tx: SQL) => Promise<T>): Promise<T>
}

/** What the cluster asks of the session manager as leases come and go. */
export interface LeasedSessionRunner {
  /** This node got the lease (claimed an orphan, or a peer placed a start here): run the engine if the session should run. */
  runLeased(phoneNumber: string): Promise<void>
  /** This node lost the lease: stop the engine here, without changing whether the session should run. */
  stopUnleased(phoneNumber: string, reason: string): Promise<void>
}
