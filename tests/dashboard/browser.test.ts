/**
 * The dashboard in a real browser: Debian's Chromium driven by puppeteer against a
 * simulator server on 127.0.0.1. Controls are found by their accessible names (the
 * contract of API.md §11), the way a screen reader or a person finds them.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import puppeteer, { type Browser, type ElementHandle, type Page } from 'puppeteer'
import { createApp } from '../../src/app'
import { chromiumPath, CLOSED_NETWORK_FLAGS, withoutChromium } from '../helpers/chromium'
import { createTestServer, tempDir, type TestServer } from '../helpers/app'
import { assertNotBlank } from '../helpers/png'
import { startReceiver, type Receiver } from '../helpers/receiver'
import { writeFileSync } from 'node:fs'

const A = '966500000101'
const B = '966500000102'

let server: TestServer
let listening: { stop(): unknown; server: { port?: number } | null }
let origin: string
let browser: Browser
let page: Page
let accountKey: string
let receiver: Receiver
const problems: string[] = []
const shots = tempDir('wws-dashboard-shots-')

const skip = withoutChromium(import.meta.path)

beforeAll(async () => {
  if (skip) return
  receiver = startReceiver()
  server = await createTestServer({ OUTBOUND_ALLOW_CIDRS: '127.0.0.1/32' })
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
  await receiver?.close()
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

async function openChatWith(number: string): Promise<void> {
  await page.$$eval('#chat-list button', (buttons, wanted) => (buttons.find((button) => button.textContent?.includes(wanted)) as HTMLButtonElement).click(), number)
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

describe.skipIf(skip)('dashboard in Chromium', () => {
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

  test('sends from one number to the other and sees it live in the conversation and the event monitor, acks moving to read', async () => {
    await (await byName('Open chats', 'button', await card(A))).click()
    await byName('Chat list', '')
    const to = await byName('To', 'textbox')
    await to.click({ count: 3 })
    await to.type(B)
    await (await byName('Message', 'textbox')).type('hello from A <b>not bold</b>')
    await (await byName('Send', 'button')).click()
    await waitForText('#conversation .message.mine', 'hello from A <b>not bold</b>')
    // Text from WhatsApp stays text: the tag is not markup.
    expect(await page.$$eval('#conversation b', (bold) => bold.length)).toBe(0)

    // B's side: the chat appears, and its conversation shows the message.
    await page.select('#current-session', B)
    await waitForText('#chat-list', A)
    await openChatWith(A)
    await waitForText('#conversation .message.theirs', 'hello from A')
    await screenshot('chats')

    // A second message arrives live while B's conversation is open.
    await server.call('POST', `/${A}/send-text`, { key: accountKey, body: { chatId: B, text: 'second, live' } })
    await waitForText('#conversation .message.theirs', 'second, live')

    // A sees its messages read (B had the chat open).
    await page.select('#current-session', A)
    await waitForText('#chat-list', B)
    await openChatWith(B)
    await waitForText('#conversation .message.mine .ack', 'read')

    // A file, through the same form.
    const file = join(shots, 'menu.txt')
    writeFileSync(file, 'today: soup')
    const input = (await page.$('#send-file')) as ElementHandle<HTMLInputElement>
    await input.uploadFile(file)
    await (await byName('Message', 'textbox')).type('the menu')
    await (await byName('Send', 'button')).click()
    await waitForText('#conversation .message.mine', 'the menu')
    await waitForText('#conversation .message.mine button', 'menu.txt')

    // The event monitor: the Events region lists event names as they arrive.
    await (await byName('Event monitor', 'button')).click()
    const region = await byName('Events', 'region')
    await waitForText('#event-list', 'message.ack')
    const names = await region.$$eval('.event-name', (items) => items.map((item) => item.textContent))
    expect(names).toContain('message.any')
    expect(names).toContain('session.status')
    // Filter, then the envelope's JSON.
    const filter = await byName('Filter by event name', 'textbox')
    await filter.type('message.any')
    await page.waitForFunction(() => [...document.querySelectorAll('#event-list .event-name')].every((item) => item.textContent === 'message.any'))
    await page.click('#event-list button')
    await waitForText('#event-json', '"event": "message.any"')
    // Paused: new events wait, then show on resume.
    await (await byName('Pause', 'button')).click()
    const before = await page.$$eval('#event-list li', (items) => items.length)
    await server.call('POST', `/${A}/send-text`, { key: accountKey, body: { chatId: B, text: 'while paused' } })
    await waitForText('#event-count', 'waiting')
    expect(await page.$$eval('#event-list li', (items) => items.length)).toBe(before)
    await (await byName('Resume', 'button')).click()
    await page.waitForFunction((count) => document.querySelectorAll('#event-list li').length > count, {}, before)
    await screenshot('events')
    await filter.click({ count: 3 })
    await filter.press('Backspace')
    expect(problems).toEqual([])
  }, 60_000)

  test('webhooks: create with a generated secret, see deliveries with status and latency, delete', async () => {
    await (await byName('Webhooks', 'button')).click()
    const url = await byName('Webhook URL', 'textbox')
    await url.type(`${receiver.url}/hook`)
    const events = await byName('Webhook events', 'textbox')
    await events.click({ count: 3 })
    await events.type('message.any')
    await (await byName('Create webhook', 'button')).click()
    await waitForText('#webhook-created', 'whsec_')
    await waitForText('#webhook-list', `${receiver.url}/hook`)
    await server.call('POST', `/${A}/send-text`, { key: accountKey, body: { chatId: B, text: 'to the webhook' } })
    await Bun.sleep(300)
    await (await byName('Deliveries', 'button')).click()
    await waitForText('#delivery-rows', 'delivered')
    const row = await page.$eval('#delivery-rows tr', (tr) => tr.textContent ?? '')
    expect(row).toContain('message.any')
    expect(row).toContain('200')
    expect(row).toMatch(/\d+ ms/)
    await screenshot('webhooks')
    await (await byName('Delete webhook', 'button')).click()
    await (await byName('Delete webhook', 'button', (await page.$('#confirm-dialog'))!)).click()
    await waitForText('#webhook-list', 'No webhooks')
    expect(problems).toEqual([])
  }, 60_000)

  test('a link invite opens, with no credential, a page with only that number\'s live QR and status', async () => {
    const C = '966500000103'
    await server.call('POST', `/${C}/start`, { key: accountKey })
    await waitForText(`li[aria-label="Session ${C}"] .status`, 'SCAN_QR_CODE').catch(async () => {
      await (await byName('Sessions', 'button')).click()
      await waitForText(`li[aria-label="Session ${C}"] .status`, 'SCAN_QR_CODE')
    })
    // Created from the session's card, as a person would.
    await (await byName('Sessions', 'button')).click()
    await (await byName('Create link invite', 'button', await card(C))).click()
    const inviteField = await page.waitForSelector(`input[aria-label="Link invite for ${C}"]`, { visible: true })
    const url = await inviteField!.evaluate((input) => (input as HTMLInputElement).value)
    expect(url).toContain('/api/whatsapp/link/wli_')

    // A stranger's browser: a fresh context, nothing signed in.
    const context = await browser.createBrowserContext()
    try {
      const guest = await context.newPage()
      const guestProblems: string[] = []
      guest.on('pageerror', (error) => guestProblems.push(String(error)))
      await guest.goto(url.replace(/^http:\/\/[^/]+/, origin), { waitUntil: 'domcontentloaded' })
      const qr = await guest.waitForSelector(`img[alt="QR code for ${C}"]`, { visible: true, timeout: 10_000 })
      await guest.waitForFunction((img) => (img as HTMLImageElement).naturalWidth >= 200, { timeout: 10_000 }, qr)
      expect(await guest.$eval('#link-number', (element) => element.textContent)).toContain(C)
      // Only this number: nothing of the dashboard, no other session.
      const text = await guest.evaluate(() => document.body.textContent ?? '')
      expect(text).not.toContain(A)
      expect(text).not.toContain(B)
      expect(await guest.evaluate(() => sessionStorage.length)).toBe(0)
      const shot = join(shots, 'link-page.png')
      await guest.screenshot({ path: shot, fullPage: true })
      await assertNotBlank(shot)
      await server.call('POST', `/${C}/sandbox/scan`, { key: accountKey })
      await guest.waitForFunction(() => document.querySelector('#link-status')?.textContent?.includes('Linked'), { timeout: 10_000 })
      expect(await guest.$(`img[alt="QR code for ${C}"]`)).toBeNull()
      // Spent: opening it again says so.
      await guest.reload({ waitUntil: 'domcontentloaded' })
      await guest.waitForFunction(() => document.querySelector('#link-error')?.textContent?.includes('used'), { timeout: 10_000 })
      expect(guestProblems).toEqual([])
    } finally {
      await context.close()
    }
  }, 60_000)

  test('stop, restart, log out and delete, each after a confirmation that can be cancelled', async () => {
    const D = '966500000104'
    await (await byName('Sessions', 'button')).click()
    await startAndScan(D)
    const confirmIn = async (label: string, choice: 'Cancel' | string) => {
      await (await byName(label, 'button', await card(D))).click()
      const dialog = (await page.waitForSelector('#confirm-dialog[open]', { visible: true }))!
      expect(await dialog.evaluate((element) => element.textContent ?? '')).toContain(D)
      await (await byName(choice, 'button', dialog as ElementHandle)).click()
      await page.waitForSelector('#confirm-dialog:not([open])', { hidden: true })
    }
    await confirmIn('Stop', 'Cancel')
    await Bun.sleep(200)
    expect(await (await card(D)).$eval('.status', (element) => element.textContent)).toBe('WORKING')
    await confirmIn('Stop', 'Stop')
    await waitForText(`li[aria-label="Session ${D}"] .status`, 'STOPPED')
    // Restart brings it back paired: no QR needed after a stop.
    await confirmIn('Restart', 'Restart')
    await waitForText(`li[aria-label="Session ${D}"] .status`, 'WORKING')
    await confirmIn('Log out', 'Log out')
    await waitForText(`li[aria-label="Session ${D}"] .status`, 'STOPPED')
    expect((await server.call('GET', `/${D}/state`, { key: accountKey })).body.status).toBe('STOPPED')
    await confirmIn('Delete', 'Cancel')
    expect(await page.$(`li[aria-label="Session ${D}"]`)).not.toBeNull()
    await confirmIn('Delete', 'Delete')
    await page.waitForFunction((number) => !document.querySelector(`li[aria-label="Session ${number}"]`), {}, D)
    expect((await server.call('GET', `/${D}/state`, { key: accountKey })).status).toBe(404)
    expect(problems).toEqual([])
  }, 60_000)

  test('API keys: create (shown once), list, revoke; revoking the signed-in key signs out', async () => {
    await (await byName('API keys', 'button')).click()
    await (await byName('Key name', 'textbox')).type('ci')
    await (await byName('Create key', 'button')).click()
    await waitForText('#key-created', 'wws_')
    const shown = await page.$eval('#key-created code', (code) => code.textContent ?? '')
    expect((await server.call('GET', '/sessions', { key: shown })).status).toBe(200)
    await waitForText('#key-list', 'ci')
    await screenshot('keys')
    // Revoke "ci": the key stops working and leaves the list.
    const ciCard = (await page.waitForSelector('li[aria-label="Key ci"]'))!
    await (await byName('Revoke', 'button', ciCard as ElementHandle)).click()
    await (await byName('Revoke', 'button', (await page.$('#confirm-dialog'))!)).click()
    await page.waitForFunction(() => !document.querySelector('li[aria-label="Key ci"]'))
    expect((await server.call('GET', '/sessions', { key: shown })).status).toBe(401)
    // Now the key this page signed in with: the page signs out.
    const mine = (await page.waitForSelector('li[aria-label="Key dashboard test"]'))!
    await (await byName('Revoke', 'button', mine as ElementHandle)).click()
    await (await byName('Revoke', 'button', (await page.$('#confirm-dialog'))!)).click()
    await byName('Sign in', 'button')
    await waitForText('#sign-in-error', 'no longer valid')
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0)
    expect(await page.$eval('#nav', (nav) => (nav as HTMLElement).hidden)).toBe(true)
    expect(problems).toEqual([])
  }, 60_000)
})
