/**
 * The rejection guard: whatsapp-web.js's unawaited page work failing because the browser
 * went away must not take the server down; any other unhandled rejection still does.
 */
import { expect, test } from 'bun:test'
import { join } from 'node:path'

async function run(...args: string[]) {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, 'guard.script.ts'), ...args], { stdout: 'pipe', stderr: 'pipe', env: { PATH: process.env.PATH ?? '' } })
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  return { stdout, stderr, code }
}

test('rejections from a closed browser page are dropped', async () => {
  const result = await run()
  expect(result.code).toBe(0)
  expect(result.stdout.trim()).toBe('survived')
})

test('any other unhandled rejection still ends the process', async () => {
  const result = await run('unrelated')
  expect(result.code).not.toBe(0)
  expect(result.stdout).not.toContain('still running')
  expect(result.stderr).toContain('a real bug elsewhere')
})
