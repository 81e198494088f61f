/**
 * Webjs failover without a QR, end to end: two real server processes (cluster nodes) on one
 * throwaway Postgres run real whatsapp-web.js and Chromium against the WhatsApp Web
 * stand-in. The number is linked by QR on node A, whose login archive is stored in the
 * database soon after `ready`; A is killed with SIGKILL (and its Chromium with it, as when
 * a machine dies); node B takes the lease, restores the login into its own fresh profile
 * and is WORKING without a QR, receiving messages.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { killProfileProcesses } from '../../src/providers/webjs/chromium'
import { startWwebStandin, type WwebStandin } from '../fixtures/wweb-standin'
import { waitFor } from '../helpers/app'
import { chromiumPath, withoutChromium } from '../helpers/chromium'
import { call, ClusterDb, startNode, type ClusterNodeProcess } from '../helpers/cluster'
import { startPostgres, type PostgresCluster } from '../helpers/postgres'

const PHONE = '15550001111'
const PEER = '15550002222'
const WAIT = 60_000

const skip = withoutChromium(import.meta.path)
let standin: WwebStandin
let postgres: PostgresCluster
let db: ClusterDb
let nodeA: ClusterNodeProcess
let nodeB: ClusterNodeProcess

const profileOf = (node: ClusterNodeProcess) => join(node.env.DATA_DIR!, 'sessions', PHONE, 'webjs', `session-${PHONE}`)

beforeAll(async () => {
  if (skip) return
  standin = await startWwebStandin()
  postgres = await startPostgres()
  const url = await postgres.createDatabase('webjs_cluster')
  db = new ClusterDb(url)
  const chromeArgs = standin.chromeArgs.map((arg) => (arg.includes(' ') ? arg.replace(/=(.*)$/, '="$1"') : arg)).join(' ')
  const env = {
    WA_ENGINE: 'webjs',
    CHROME_PATH: chromiumPath(),
    CHROME_ARGS: chromeArgs,
    WEBJS_INIT_TIMEOUT_MS: String(WAIT),
    LEASE_TTL_MS: '3000',
  }
  nodeA = await startNode('node-a', url, env)
  nodeB = await startNode('node-b', url, env)
}, 90_000)

afterAll(async () => {
  await nodeA?.proc.stop('SIGKILL')
  await nodeB?.proc.stop('SIGTERM')
  for (const node of [nodeA, nodeB]) if (node) await killProfileProcesses(profileOf(node))
  await db?.close()
  await postgres?.stop()
  await standin?.close()
})

describe.skipIf(skip)('webjs failover on the WhatsApp Web stand-in', () => {
  test(
    'linked on node A, A killed: WORKING on node B without a QR, from a login restored into its own profile',
    async () => {
      expect((await call(nodeA, 'POST', `/${PHONE}/start`)).status).toBe(200)
      await waitFor(async () => (await db.owner(PHONE))?.nodeId === 'node-a', 10_000, 50)
      await waitFor(async () => (await call<{ status: string }>(nodeA, 'GET', `/${PHONE}/state`)).body.status === 'SCAN_QR_CODE', WAIT, 100)
      const qr = await call<{ value: string }>(nodeA, 'GET', `/${PHONE}/qr`)
      standin.control.scan({ phone: PHONE, pushname: 'Alice', ref: qr.body.value })
      await waitFor(async () => (await call<{ status: string }>(nodeA, 'GET', `/${PHONE}/state`)).body.status === 'WORKING', WAIT, 100)
      // The login archive is stored soon after ready.
      await waitFor(async () => (await db.sql`SELECT generation FROM engine_snapshots WHERE phone_number = ${PHONE} AND engine = 'webjs'`).length > 0, 30_000, 200)
      const scansBefore = standin.control.devices().length

      nodeA.proc.proc.kill('SIGKILL')
      await nodeA.proc.proc.exited
      // The machine is gone: its browser with it.
      await killProfileProcesses(profileOf(nodeA))

      const seen: string[] = []
      await waitFor(
        async () => {
          if ((await db.owner(PHONE))?.nodeId !== 'node-b') return false
          const state = await call<{ status: string }>(nodeB, 'GET', `/${PHONE}/state`)
          seen.push(state.body.status)
          return state.body.status === 'WORKING'
        },
        WAIT,
        200,
      )
      expect(seen).not.toContain('SCAN_QR_CODE')
      expect(nodeB.proc.output()).toContain('restored the login from the stored snapshot')
      expect(existsSync(join(profileOf(nodeB), 'Default', 'IndexedDB'))).toBe(true)
      // No new link was made: the same device, and no QR was scanned.
      expect(standin.control.devices().length).toBe(scansBefore)

      const incoming = await standin.control.incoming({ from: PEER, body: 'are you on node B?' })
      await waitFor(async () => {
        const history = await call<{ messages: Array<{ id: string }> }>(nodeB, 'GET', `/${PHONE}/messages/${PEER}@c.us`)
        return (history.body.messages ?? []).some((message) => message.id === incoming.id)
      }, WAIT, 200)
    },
    180_000,
  )
})
