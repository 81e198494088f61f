/**
 * Chromium housekeeping without a browser: finding the binary (and the error naming the
 * fix), clearing stale Singleton locks, and killing what runs on a profile — never the
 * server's own process group.
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { existsSync, lstatSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AppError } from '../../../src/errors'
import { BASE_CHROME_FLAGS, LEAN_CHROME_FLAGS, chromeArgs, killProfileProcesses, prepareProfile, profileProcesses, resolveChromium } from '../../../src/providers/webjs/chromium'
import { tempDir } from '../../helpers/app'

let dir: string | undefined
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = undefined
})

describe('finding Chromium', () => {
  test('CHROME_PATH wins when it exists; otherwise the first common path that exists', () => {
    dir = tempDir()
    const fake = join(dir, 'chrome')
    writeFileSync(fake, '')
    expect(resolveChromium(fake)).toBe(fake)
    expect(resolveChromium(undefined, [join(dir, 'nope'), fake])).toBe(fake)
  })

  test('a CHROME_PATH that does not exist, or no browser at all: an error that names the fix', () => {
    dir = tempDir()
    let error = (() => {
      try {
        resolveChromium(join(dir, 'missing'))
      } catch (caught) {
        return caught as AppError
      }
    })()
    expect(error).toBeInstanceOf(AppError)
    expect(error?.message).toContain(`CHROME_PATH is set to ${join(dir, 'missing')}`)
    error = (() => {
      try {
        resolveChromium(undefined, [join(dir, 'a'), join(dir, 'b')])
      } catch (caught) {
        return caught as AppError
      }
    })()
    expect(error?.message).toContain('apt-get install chromium')
    expect(error?.message).toContain('CHROME_PATH')
    // A directory is not a browser.
    expect(() => resolveChromium(dir)).toThrow('CHROME_PATH')
  })

  test('CHROME_ARGS come after the base flags, so they can override them', () => {
    expect(chromeArgs(['--proxy-server=http://10.0.0.1:3128', '--lang=ar'])).toEqual([...BASE_CHROME_FLAGS, '--proxy-server=http://10.0.0.1:3128', '--lang=ar'])
    // Lean: one process per session; the operator's flags still come last.
    expect(chromeArgs(['--lang=ar'], true)).toEqual([...BASE_CHROME_FLAGS, ...LEAN_CHROME_FLAGS, '--lang=ar'])
    expect(LEAN_CHROME_FLAGS).toContain('--single-process')
    expect(BASE_CHROME_FLAGS).toContain('--no-sandbox')
  })
})

describe('profiles', () => {
  test('stale Singleton locks (dangling symlinks from another host) are removed; other files stay', async () => {
    dir = tempDir()
    const profile = join(dir, 'session-15550001111')
    mkdirSync(profile)
    symlinkSync('otherhost-99999', join(profile, 'SingletonLock'))
    symlinkSync('/tmp/nowhere/SingletonSocket', join(profile, 'SingletonSocket'))
    writeFileSync(join(profile, 'Local State'), '{}')
    const result = await prepareProfile(profile)
    expect(result).toEqual({ killed: 0, removedLocks: ['SingletonLock', 'SingletonSocket'] })
    expect(() => lstatSync(join(profile, 'SingletonLock'))).toThrow()
    expect(existsSync(join(profile, 'Local State'))).toBe(true)
    // A profile that does not exist yet is fine.
    expect(await prepareProfile(join(dir, 'new'))).toEqual({ killed: 0, removedLocks: [] })
  })

  test('a process left on the profile is found and killed; this process (same group) survives', async () => {
    dir = tempDir()
    const profile = join(dir, 'session-15550001111')
    // Same process group as the test runner: only the pid may be killed, never the group.
    const leftover = Bun.spawn([process.execPath, '-e', 'setTimeout(() => {}, 60000)', `--user-data-dir=${profile}`], { stdout: 'ignore', stderr: 'ignore' })
    await Bun.sleep(100)
    const found = profileProcesses(profile)
    expect(found.map((p) => p.pid)).toEqual([leftover.pid])
    expect(found[0]?.main).toBe(true)
    expect(profileProcesses(join(dir, 'other'))).toEqual([])

    expect(await killProfileProcesses(profile)).toBe(1)
    expect(await leftover.exited).not.toBe(0)
    expect(profileProcesses(profile)).toEqual([])
  })
})
