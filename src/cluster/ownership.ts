/**
 * Which node runs a session (API.md §10). Request forwarding asks this before a route of a
 * number runs: the owner's lease names the node and the URL to forward to. Knows nothing of
 * HTTP; built once in src/deps.ts.
 */
import type { Database, DbInteger } from '../storage/db'

export interface SessionOwner {
  nodeId: string
  /** Base URL (no trailing slash) at which that node is reached: the only forwarding target. */
  url: string
  /** The lease's fencing token: bumped on every takeover. */
  epoch: number
  /** The lease has run out (on the database's clock): its holder may be dead or stalled. */
  expired: boolean
}

export interface SessionOwnership {
  /** This node's NODE_ID. */
  readonly selfNodeId: string
  /** This node's NODE_URL. */
  readonly selfUrl: string
  /** More than one node may share the database (Postgres); false on SQLite. */
  readonly clustered: boolean
  /** The node holding the number's lease; null when nobody holds one (no lease row). */
  ownerOf(phoneNumber: string): Promise<SessionOwner | null>
}

/** SQLite: one node, which runs every session. */
export class SingleNodeOwnership implements SessionOwnership {
  readonly clustered = false

  constructor(
    readonly selfNodeId: string,
    readonly selfUrl: string,
  ) {}

  async ownerOf(): Promise<SessionOwner> {
    return { nodeId: this.selfNodeId, url: this.selfUrl, epoch: 0, expired: false }
  }
}

interface LeaseOwnerRow {
  node_id: string
  node_url: string
  epoch: DbInteger
  expired: boolean
}

/** Postgres: the owner is whoever the lease row names, its expiry judged by the database's clock. */
export class LeaseOwnership implements SessionOwnership {
  readonly clustered = true

  constructor(
    private readonly db: Database,
    readonly selfNodeId: string,
    readonly selfUrl: string,
  ) {}

  async ownerOf(phoneNumber: string): Promise<SessionOwner | null> {
    const rows: LeaseOwnerRow[] = await this.db`
      SELECT node_id, node_url, epoch, expires_at <= now() AS expired FROM session_leases WHERE phone_number = ${phoneNumber}`
    const row = rows[0]
    if (!row) return null
    return { nodeId: row.node_id, url: row.node_url, epoch: Number(row.epoch), expired: row.expired === true }
  }
}
