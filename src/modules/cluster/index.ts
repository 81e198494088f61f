/** `GET /cluster` (admin): the nodes and which runs each session (API.md §10). */
import { Elysia } from 'elysia'
import { authGuards, type GuardDeps } from '../../auth/guards'
import { ForbiddenError } from '../../errors'
import { guardedErrors } from '../common/model'
import { ClusterView } from './model'
import type { ClusterService } from './service'

export function clusterModule(deps: GuardDeps, service: ClusterService) {
  return new Elysia({ name: 'cluster', seed: deps })
    .use(authGuards(deps))
    .get(
      '/cluster',
      ({ principal }) => {
        if (!principal.isAdmin) throw new ForbiddenError('The cluster view needs the admin key')
        return service.overview()
      },
      {
        requireAuth: true,
        response: { 200: ClusterView, ...guardedErrors },
        detail: {
          tags: ['Cluster'],
          summary: 'Nodes and where each session runs',
          description:
            'Admin only (other credentials are 403). With a Postgres `DATABASE_URL` every server on the database is a node: each sends a heartbeat every third of `LEASE_TTL_MS` and runs the sessions whose lease it holds. ' +
            '`nodes` lists every node that ever sent a heartbeat (`live` false once it is older than `LEASE_TTL_MS`: its sessions move to the others), `sessions` every running session and its node. ' +
            'On SQLite the server is the only node.',
        },
      },
    )
}
