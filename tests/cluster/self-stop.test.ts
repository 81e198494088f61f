/**
 * A node cut off from the database stops its engines by itself, before any other node may
 * take its sessions over: node B reaches Postgres through a TCP relay on 127.0.0.1 that the
 * test cuts; B cannot renew, stops its engines (its log says so), and only then does node A
 * claim the sessions and run them. Ordered by the nodes' own log times, not by wall-clock
 * speed.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import type { Socket, TCPSocketListener } from 'bun'
import { waitFor } from '../helpers/app'
import { call, ClusterDb, startNode, workingOwner, type ClusterNodeProcess } from '../helpers/cluster'
import { startPostgres, type PostgresCluster } from '../helpers/postgres'

const NUMBERS = ['966500000201', '966500000202']

let postgres: PostgresCluster
let db: ClusterDb
let relay: TCPSocketListener<RelayEnd>
let relayOpen = true
const relayed = new Set<Socket<unknown>>()
let nodeA: ClusterNodeProcess | undefined
let nodeB: ClusterNodeProcess | undefined

interface RelayEnd {
  peer?: Socket<unknown>
  /** Bytes the client sent before the upstream connection was up. */
  pending: Uint8Array[]
}

/** A TCP relay to Postgres that can be cut: every connection through it is closed, new ones refused. */
function startRelay(targetPort: number): TCPSocketListener<RelayEnd> {
  return Bun.listen<RelayEnd>({
    hostname: '127.0.0.1',
    port: 0,
    socket: {
      open(client) {
        client.data = { pending: [] }
        if (!relayOpen) {
          client.end()
          return
        }
        relayed.add(client)
        void Bun.connect({
          hostname: '127.0.0.1',
          port: targetPort,
          socket: {
            data: (_socket, chunk) => void client.write(chunk),
            close: () => void client.end(),
            error: () => void client.end(),
          },
        }).then(
          (upstream) => {
            relayed.add(upstream)
            client.data.peer = upstream
            for (const chunk of client.data.pending.splice(0)) upstream.write(chunk)
          },
          () => client.end(),
        )
      },
      data(client, chunk) {
        if (!relayOpen) {
          client.end()
          return
        }
        if (client.data.peer) client.data.peer.write(chunk)
        else client.data.pending.push(new Uint8Array(chunk))
      },
      close(client) {
        client.data.peer?.end()
      },
      error(client) {
        client.data.peer?.end()
      },
    },
  })
}

beforeAll(async () => {
  postgres = await startPostgres()
  const url = await postgres.createDatabase('selfstop')
  db = new ClusterDb(url)
  relay = startRelay(postgres.port)
  const viaRelay = url.replace(`:${postgres.port}/`, `:${relay.port}/`)
  nodeB = await startNode('node-b', viaRelay, { LEASE_TTL_MS: '3000' })
  for (const phoneNumber of NUMBERS) {
    expect((await call(nodeB, 'POST', `/${phoneNumber}/start`)).status).toBe(200)
    await waitFor(async () => (await call<{ status: string }>(nodeB!, 'GET', `/${phoneNumber}/state`)).body.status === 'SCAN_QR_CODE', 10_000, 50)
    expect((await call<{ status: string }>(nodeB, 'POST', `/${phoneNumber}/sandbox/scan`)).body.status).toBe('WORKING')
  }
  nodeA = await startNode('node-a', url, { LEASE_TTL_MS: '3000' })
}, 90_000)

afterAll(async () => {
  await nodeA?.proc.stop('SIGKILL')
  await nodeB?.proc.stop('SIGKILL')
  relay?.stop(true)
  await db?.close()
  await postgres?.stop()
})

function logTime(output: string, message: string, session?: string): number | undefined {
  for (const line of output.split('\n')) {
    if (!line.includes(`"msg":"${message}"`) || (session && !line.includes(`"session":"${session}"`))) continue
    const time = /"time":"([^"]+)"/.exec(line)?.[1]
    if (time) return Date.parse(time)
  }
  return undefined
}

test('cut off from the database, a node stops its engines before another node claims and runs its sessions', async () => {
  for (const phoneNumber of NUMBERS) expect((await db.owner(phoneNumber))?.nodeId).toBe('node-b')
  relayOpen = false
  for (const socket of relayed) socket.end()

  for (const phoneNumber of NUMBERS) {
    const owner = await workingOwner(db, [nodeA!], phoneNumber, 30_000)
    expect(owner.id).toBe('node-a')
  }
  await waitFor(() => logTime(nodeB!.proc.output(), 'could not renew session leases in time; stopping their engines') !== undefined, 10_000, 50)
  const selfStopped = logTime(nodeB!.proc.output(), 'could not renew session leases in time; stopping their engines')!
  for (const phoneNumber of NUMBERS) {
    const stoppedEngine = logTime(nodeB!.proc.output(), 'engine stopped: this node no longer holds the session lease', phoneNumber)
    const claimed = logTime(nodeA!.proc.output(), 'claimed session lease', phoneNumber)
    expect(stoppedEngine).toBeDefined()
    expect(claimed).toBeDefined()
    // B's engine was down before A held the lease: never two running engines.
    expect(stoppedEngine!).toBeLessThanOrEqual(claimed!)
    expect(selfStopped).toBeLessThanOrEqual(claimed!)
  }
}, 60_000)
