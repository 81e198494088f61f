import { t } from 'elysia'

export const ClusterNodeView = t.Object({
  id: t.String({ description: 'NODE_ID', examples: ['node-a'] }),
  url: t.String({ description: 'NODE_URL: where the other nodes reach it', examples: ['http://10.0.0.5:3000'] }),
  lastSeenAt: t.String({ format: 'date-time', description: 'Its last heartbeat, on the database clock' }),
  sessions: t.Integer({ description: 'Sessions it runs (live leases)', examples: [12] }),
  capacity: t.Integer({ description: 'NODE_CAPACITY (0 = no limit)', examples: [0] }),
  live: t.Boolean({ description: 'Its heartbeat is younger than LEASE_TTL_MS' }),
  self: t.Boolean({ description: 'The node that answered this request' }),
})

export const ClusterView = t.Object(
  {
    nodes: t.Array(ClusterNodeView),
    sessions: t.Array(
      t.Object({
        phoneNumber: t.String({ examples: ['966500000001'] }),
        node: t.String({ description: 'NODE_ID of the node running it', examples: ['node-a'] }),
      }),
      { description: 'Every running session and its node (sessions that should run but wait for a node are not listed)' },
    ),
  },
  {
    examples: [
      {
        nodes: [
          { id: 'node-a', url: 'http://10.0.0.5:3000', lastSeenAt: '2026-01-01T12:00:04.000Z', sessions: 2, capacity: 0, live: true, self: true },
          { id: 'node-b', url: 'http://10.0.0.6:3000', lastSeenAt: '2026-01-01T12:00:03.000Z', sessions: 1, capacity: 40, live: true, self: false },
        ],
        sessions: [
          { phoneNumber: '966500000001', node: 'node-a' },
          { phoneNumber: '966500000002', node: 'node-a' },
          { phoneNumber: '966500000003', node: 'node-b' },
        ],
      },
    ],
  },
)
