/**
 * Memory per linked webjs session (issue 9, P3): the real server (`bun src/index.ts`,
 * WA_ENGINE=webjs, Debian's Chromium, real whatsapp-web.js) against the WhatsApp Web
 * stand-in (tests/fixtures/wweb-standin) in this process. Links one session, measures,
 * links the rest, measures again, and prints the proportional set size (PSS, from
 * /proc/<pid>/smaps_rollup: shared pages split between the processes sharing them, so
 * the figures add up) of the server and of every Chromium process under it, by process
 * type: per session at N, and the marginal cost of one more session.
 *
 *   bun bench/memory.ts [sessions=10] [settleSeconds=5]
 *
 * CHROME_ARGS in the environment is passed on after the stand-in's flags (to try a flag);
 * CHROME_PATH picks the browser (default /usr/bin/chromium); WEBJS_LEAN_CHROMIUM=false
 * measures Chromium's own process model (the figures before issue 9's flags).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { startWwebStandin } from '../tests/fixtures/wweb-standin'
import { call, median, startServer, waitFor } from './lib'

const SESSIONS = Number(process.argv[2] ?? 10)
const SETTLE_SECONDS = Number(process.argv[3] ?? 5)
const KEY = 'bench-admin-key-0123456789abcdef'
const CHROME_PATH = process.env.CHROME_PATH ?? '/usr/bin/chromium'

if (!existsSync(CHROME_PATH)) {
  console.error(`No Chromium at ${CHROME_PATH} (set CHROME_PATH): the webjs engine needs one.`)
  process.exit(1)
}

interface ProcessInfo {
  pid: number
  ppid: number
  kind: string
  pssKb: number
}

function readProcess(pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
    // Chromium's children rewrite their command line into one space-separated string.
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(/\0| (?=--)/)
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8')
    const pssKb = Number(rollup.match(/^Pss:\s+(\d+) kB/m)?.[1] ?? 0)
    return { pid, ppid, kind: kindOf(args), pssKb }
  } catch {
    return undefined // gone meanwhile, or not ours to read
  }
}

/** Chromium's process type from its command line (`--type=renderer`, utility sub-types), else the executable. */
function kindOf(args: string[]): string {
  const type = args.find((arg) => arg.startsWith('--type='))?.slice('--type='.length)
  if (!type) return /chrom/i.test(args[0] ?? '') ? 'chromium browser' : 'server (bun)'
  if (type !== 'utility') return `chromium ${type}`
  const subtype = args.find((arg) => arg.startsWith('--utility-sub-type='))?.slice('--utility-sub-type='.length) ?? '?'
  return `chromium utility ${subtype.replace(/\.mojom\./, ' ').replace(/^(\w+) \1/i, '$1')}`
}

/** The process and all its descendants. */
function tree(root: number): ProcessInfo[] {
  const all = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map((entry) => readProcess(Number(entry)))
    .filter((info): info is ProcessInfo => info !== undefined)
  const children = new Map<number, ProcessInfo[]>()
  for (const info of all) children.set(info.ppid, [...(children.get(info.ppid) ?? []), info])
  const found: ProcessInfo[] = []
  const visit = (pid: number) => {
    const self = all.find((info) => info.pid === pid)
    if (self) found.push(self)
    for (const child of children.get(pid) ?? []) visit(child.pid)
  }
  visit(root)
  return found
}

interface Snapshot {
  sessions: number
  totalKb: number
  processes: number
  byKind: Map<string, { count: number; pssKb: number }>
}

/** Several readings a second apart; the median total (PSS moves while pages settle). */
async function snapshot(root: number, sessions: number): Promise<Snapshot> {
  await Bun.sleep(SETTLE_SECONDS * 1000)
  const readings: Snapshot[] = []
  for (let i = 0; i < 3; i++) {
    const processes = tree(root)
    const byKind = new Map<string, { count: number; pssKb: number }>()
    for (const info of processes) {
      const entry = byKind.get(info.kind) ?? { count: 0, pssKb: 0 }
      entry.count++
      entry.pssKb += info.pssKb
      byKind.set(info.kind, entry)
    }
    readings.push({ sessions, totalKb: processes.reduce((sum, info) => sum + info.pssKb, 0), processes: processes.length, byKind })
    await Bun.sleep(1000)
  }
  const middle = median(readings.map((r) => r.totalKb))
  return readings.find((r) => r.totalKb === middle) ?? readings[0]!
}

const mb = (kb: number) => (kb / 1024).toFixed(1)

const standin = await startWwebStandin({ qrRefreshMs: 60_000 })
// A host rule holds spaces: quoted, as an operator would write CHROME_ARGS.
const chromeArgs = [...standin.chromeArgs.map((arg) => (arg.includes(' ') ? arg.replace(/=(.*)$/, '="$1"') : arg)), process.env.CHROME_ARGS ?? '']
  .join(' ')
  .trim()
const server = await startServer({
  WA_ENGINE: 'webjs',
  API_KEY: KEY,
  LOG_LEVEL: 'error',
  RATE_LIMIT_PER_MINUTE: '0',
  CHROME_PATH,
  CHROME_ARGS: chromeArgs,
  WEBJS_INIT_TIMEOUT_MS: '120000',
  ...(process.env.WEBJS_LEAN_CHROMIUM && { WEBJS_LEAN_CHROMIUM: process.env.WEBJS_LEAN_CHROMIUM }),
})

async function link(phone: string): Promise<void> {
  await call(`${server.url}/${phone}/start`, 'POST', KEY)
  let ref: string | undefined
  const shown = await waitFor(async () => {
    const response = await fetch(`${server.url}/${phone}/qr`, { headers: { 'x-api-key': KEY, accept: 'application/json' } })
    if (!response.ok) return false
    const body = (await response.json()) as { value?: string }
    ref = body.value
    return typeof ref === 'string' && ref.length > 0
  }, 120_000, 200)
  if (!shown) throw new Error(`${phone}: no QR within 120 s`)
  await standin.control.scan({ phone, pushname: `Bench ${phone.slice(-2)}`, ref })
  const working = await waitFor(async () => ((await call(`${server.url}/${phone}/state`, 'GET', KEY)) as { status: string }).status === 'WORKING', 120_000, 200)
  if (!working) throw new Error(`${phone}: not WORKING within 120 s`)
}

function print(snap: Snapshot): void {
  console.log(`${snap.sessions} linked: ${snap.processes} processes, ${mb(snap.totalKb)} MB PSS in all, ${mb(snap.totalKb / snap.sessions)} MB per session`)
  for (const [kind, entry] of [...snap.byKind].sort((a, b) => b[1].pssKb - a[1].pssKb)) {
    console.log(`  ${kind.padEnd(40)} ×${String(entry.count).padStart(3)}  ${mb(entry.pssKb).padStart(8)} MB  (${mb(entry.pssKb / entry.count)} MB each)`)
  }
}

try {
  const numbers = Array.from({ length: SESSIONS }, (_, i) => `9665100000${String(i + 10)}`)
  const pid = server.proc.pid
  const started = performance.now()
  await link(numbers[0]!)
  const one = await snapshot(pid, 1)
  // Two at a time: the server bounds concurrent browser launches to the cores anyway.
  for (let i = 1; i < numbers.length; i += 2) await Promise.all(numbers.slice(i, i + 2).map(link))
  const all = await snapshot(pid, SESSIONS)
  console.log(`Chromium ${CHROME_PATH}, WEBJS_LEAN_CHROMIUM=${process.env.WEBJS_LEAN_CHROMIUM ?? 'true (default)'}, CHROME_ARGS: ${chromeArgs.replace(/--host-resolver-rules="[^"]*"/, '--host-resolver-rules=…')}`)
  console.log(`linked ${SESSIONS} sessions in ${((performance.now() - started) / 1000).toFixed(1)} s (settled ${SETTLE_SECONDS} s before measuring)`)
  print(one)
  print(all)
  if (SESSIONS > 1) console.log(`marginal: ${mb((all.totalKb - one.totalKb) / (SESSIONS - 1))} MB PSS per additional session (goal ≤ 120 MB per session at 10)`)
} finally {
  await server.stop()
  await standin.close()
}
