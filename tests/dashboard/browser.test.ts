/**
 * The dashboard in a real browser: Debian's Chromium driven by puppeteer against a
 * simulator server on 127.0.0.1. Controls are found by their accessible names (the
 * contract of API.md §11), the way a screen reader or a person finds them.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import puppeteer, { type Browser, type ElementHandle, type Page } from 'puppeteer'
import { createApp } from '../../src/app'
import { chromiumPath, CLOSED_NETWORK_FLAGS } from '../helpers/chromium'
import { createTestServer, tempDir, type TestServer } from '../helpers/app'
import { assertNotBlank } from '../helpers/png'

const A = '966500000101'
const B = '966500000102'

let server: TestServer
let listening: { stop(): unknown; server: { port?: number } | null }
let origin: string
let browser: Browser
let page: Page
let accountKey: string
const problems: string[] = []
const shots = tempDir('wws-dashboard-shots-')

beforeAll(async () => {
  server = await createTestServer()
  const created = await server.call<{ key: string }>('POST', '/api-keys', { body: { name: 'dashboard test', accountId: 'acme' } })
  accountKey = created.body.key
  const app = createApp(server.deps).listen({ port: 0, hostname: '127.0.0.1' })
  listening = app as unknown as typeof listening
  origin = `http://127.0.0.1:${app.server?.port}`
  browser = await puppeteer.launch({ executablePath: chromiumPath(), args: CLOSED_NETWORK_FLAGS, headless: true })
  page = await browser.newPage()
  await page.setViewport({ width: 1280, height: 900 })
  // Anything the CSP blocks, or any script error, shows up here and fails the test.
  page.on('console', (message) => {
    if (message.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(message.text())) problems.push(message.text())
  })
  page.on('pageerror', (error) => problems.push(String(error)))
}, 60_000)

afterAll(async () => {
  await browser?.close()
  listening?.stop()
  await server?.close()
})

/** The first element with this role and accessible name (optionally inside `scope`). */
async function byName(name: string, role: 'button' | 'textbox' | 'img' | 'region' | 'combobox' | '', scope: Page | ElementHandle = page, timeout = 10_000): Promise<ElementHandle> {
  const handle = await scope.waitForSelector(`aria/${name}${role && `[role="${role}"]`}`, { timeout, visible: true })
  if (!handle) throw new Error(`no element named ${name}`)
  return handle as ElementHandle
}

async function card(number: string): Promise<ElementHandle> {
  const handle = await page.waitForSelector(`li[aria-label="Session ${number}"]`, { timeout: 10_000 })
  if (!handle) throw new Error(`no card for ${number}`)
  return handle as ElementHandle
}

async function waitForText(selector: string, text: string, timeout = 10_000): Promise<void> {
  await page.waitForFunction(
    (sel, expected) => [...document.querySelectorAll(sel)].some((element) => element.textContent?.includes(expected)),
    { timeout },
    selector,
    text,
  )
}

async function screenshot(name: string): Promise<void> {
  const path = join(shots, `${name}.png`)
  await page.screenshot({ path, fullPage: true })
  await assertNotBlank(path)
}

async function startAndScan(number: string): Promise<void> {
  const phone = await byName('Phone number', 'textbox')
  await phone.click({ count: 3 })
  await phone.type(number)
  await (await byName('Start session', 'button')).click()
  const session = await card(number)
  await waitForText(`li[aria-label="Session ${number}"] .status`, 'SCAN_QR_CODE')
  // The QR image, large, with the contract's alt text, holding a real PNG.
  const qr = await page.waitForSelector(`img[alt="QR code for ${number}"]`, { visible: true, timeout: 10_000 })
  await page.waitForFunction((img) => (img as HTMLImageElement).naturalWidth >= 200, { timeout: 10_000 }, qr)
  await (await byName('Simulate scan', 'button', session)).click()
  await waitForText(`li[aria-label="Session ${number}"] .status`, 'WORKING')
}

describe('dashboard in Chromium', () => {
  test('signs in with an API key, starts and links two numbers with live status', async () => {
    await page.goto(`${origin}/api/whatsapp/dashboard`, { waitUntil: 'networkidle0' })
    await screenshot('sign-in')
    const field = await byName('API key', '')
    await field.type('not-a-valid-key')
    await (await byName('Sign in', 'button')).click()
    await waitForText('#sign-in-error', 'not accepted')

    await field.click({ count: 3 })
    await field.type(accountKey)
    await (await byName('Sign in', 'button')).click()
    await byName('Start session', 'button')
    // Kept in sessionStorage, never in a cookie.
    expect(await page.evaluate(() => Object.values(sessionStorage))).toContain(accountKey)
    expect(await page.cookies()).toEqual([])

    await startAndScan(A)
    await startAndScan(B)
    const text = await (await card(A)).evaluate((element) => element.textContent ?? '')
    expect(text).toContain(A)
    expect(text).toContain('simulator')
    expect(text).toContain('Linked as')
    await screenshot('sessions')

    // Status changes made elsewhere (here: over HTTP) arrive by the event stream, no reload.
    await server.call('POST', `/${B}/stop`, { key: accountKey })
    await waitForText(`li[aria-label="Session ${B}"] .status`, 'STOPPED')
    await (await byName('Start', 'button', await card(B))).click()
    await waitForText(`li[aria-label="Session ${B}"] .status`, 'WORKING')
    expect(problems).toEqual([])
  }, 60_000)
})
