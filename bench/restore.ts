/**
 * Restore after a restart (issue 9, P4): links N simulator sessions, stops the server,
 * starts it again on the same DATA_DIR with default settings, and times from the new
 * process's spawn until every session is WORKING again, and until its first API answer.
 * The same for one session, in the same run, as the baseline.
 *
 *   bun bench/restore.ts [sessions=100] [rounds=3]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { call, median, startServer } from './lib'

const SESSIONS = Number(process.argv[2] ?? 100)
const ROUNDS = Number(process.argv[3] ?? 3)
const KEY = 'bench-admin-key-0123456789abcdef'

async function linked(count: number): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'wws-bench-restore-'))
  const server = await startServer({ WA_ENGINE: 'simulator', API_KEY: KEY, RATE_LIMIT_PER_MINUTE: '0' }, { dataDir })
  try {
    const numbers = Array.from({ length: count }, (_, i) => `96650${String(1_000_000 + i)}`)
    await Promise.all(numbers.map((n) => call(`${server.url}/${n}/start`, 'POST', KEY)))
    for (const n of numbers) {
      for (;;) {
        const state = (await call(`${server.url}/${n}/state`, 'GET', KEY)) as { status: string }
        if (state.status === 'SCAN_QR_CODE') break
        await Bun.sleep(20)
      }
      await call(`${server.url}/${n}/sandbox/scan`, 'POST', KEY)
    }
  } finally {
    await server.stop()
  }
  return dataDir
}

/** ms from spawn to the first answer, and to every session WORKING. */
async function restore(dataDir: string, count: number): Promise<{ firstAnswerMs: number; allWorkingMs: number }> {
  const spawned = performance.now()
  const server = await startServer({ WA_ENGINE: 'simulator', API_KEY: KEY, RATE_LIMIT_PER_MINUTE: '0' }, { dataDir })
  const firstAnswerMs = performance.now() - spawned
  try {
    for (;;) {
      const { sessions } = (await call(`${server.url}/sessions`, 'GET', KEY)) as { sessions: Array<{ status: string }> }
      if (sessions.length === count && sessions.every((s) => s.status === 'WORKING')) break
      await Bun.sleep(10)
    }
    return { firstAnswerMs, allWorkingMs: performance.now() - spawned }
  } finally {
    await server.stop()
  }
}

const one = await linked(1)
const many = await linked(SESSIONS)
try {
  const results = { one: [] as number[], many: [] as number[], firstOne: [] as number[], firstMany: [] as number[] }
  for (let round = 0; round < ROUNDS; round++) {
    const a = await restore(one, 1)
    const b = await restore(many, SESSIONS)
    results.one.push(a.allWorkingMs)
    results.firstOne.push(a.firstAnswerMs)
    results.many.push(b.allWorkingMs)
    results.firstMany.push(b.firstAnswerMs)
  }
  console.log(`restore after a restart, simulator, default settings, ${ROUNDS} rounds, medians (ms from the process's spawn)`)
  console.log(`1 session:          first API answer ${median(results.firstOne).toFixed(0)} ms, WORKING after ${median(results.one).toFixed(0)} ms`)
  console.log(`${SESSIONS} sessions:       first API answer ${median(results.firstMany).toFixed(0)} ms, all WORKING after ${median(results.many).toFixed(0)} ms`)
  console.log(`ratio ${SESSIONS} : 1 = ${(median(results.many) / median(results.one)).toFixed(2)}× (goal ≤ 2×)`)
} finally {
  rmSync(one, { recursive: true, force: true })
  rmSync(many, { recursive: true, force: true })
}
