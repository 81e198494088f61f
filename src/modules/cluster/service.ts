/**
 * `GET /cluster`: the nodes sharing the database and which runs each session. On SQLite
 * the server is the only node and runs every session itself.
 */
import type { Static } from 'elysia'
import type { ClusterMember } from '../../cluster/member'
import type { SessionManager } from '../../sessions/manager'
import type { ClusterView } from './model'

export interface SelfNode {
  id: string
  url: string
  capacity: number
}

export class ClusterService {
  constructor(
    private readonly self: SelfNode,
    private readonly sessions: SessionManager,
    private readonly member?: ClusterMember,
  ) {}

  async overview(): Promise<Static<typeof ClusterView>> {
    if (!this.member) {
      const running = this.sessions.runningHere()
      return {
        nodes: [{ ...this.self, lastSeenAt: new Date().toISOString(), sessions: running.length, live: true, self: true }],
        sessions: running.map((phoneNumber) => ({ phoneNumber, node: this.self.id })),
      }
    }
    const { nodes, sessions } = await this.member.overview()
    return { nodes: nodes.map((node) => ({ ...node, self: node.id === this.self.id })), sessions }
  }
}
