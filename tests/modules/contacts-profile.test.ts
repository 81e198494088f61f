/** Contacts, number checks, profile pictures, blocking and the profile, between linked numbers. */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { createTestServer, waitFor, type TestServer } from '../helpers/app'
import { A, B, history, historyWhen, jid, PNG_BASE64, sendText } from '../helpers/whatsapp'

interface Contact {
  id: string
  name: string | null
  pushname: string | null
  number: string
  isMyContact: boolean
  isBusiness: boolean
  isBlocked: boolean
}

let server: TestServer
beforeEach(async () => {
  server = await createTestServer()
  await server.link(A)
  await server.link(B)
})
afterEach(async () => {
  await server.close()
})

describe('contacts', () => {
  test('the address book holds the numbers of the network and the people who wrote in', async () => {
    await server.call('POST', `/${A}/sandbox/incoming`, { body: { from: '966511111111', text: 'hello' } })
    const list = await server.call<{ contacts: Contact[] }>('GET', `/${A}/contacts`)
    expect(list.status).toBe(200)
    expect(list.body.contacts).toEqual([
      { id: jid(B), name: `Simulated ${B}`, pushname: `Simulated ${B}`, number: B, isMyContact: true, isBusiness: false, isBlocked: false },
      { id: '966511111111@c.us', name: null, pushname: null, number: '966511111111', isMyContact: false, isBusiness: false, isBlocked: false },
    ])
    const one = await server.call<Contact>('GET', `/${A}/contact/+${B}`)
    expect(one.body.id).toBe(jid(B))
  })

  test('exists: linked and outside numbers exist, others do not', async () => {
    await server.call('POST', `/${A}/sandbox/incoming`, { body: { from: '966511111111', text: 'hello' } })
    expect((await server.call('GET', `/${A}/contact/${B}/exists`)).body).toEqual({ number: B, exists: true, jid: jid(B) })
    expect((await server.call('GET', `/${A}/contact/+966511111111/exists`)).body).toEqual({ number: '966511111111', exists: true, jid: '966511111111@c.us' })
    expect((await server.call('GET', `/${A}/contact/966599999999/exists`)).body).toEqual({ number: '966599999999', exists: false, jid: null })
  })

  test('a profile picture set by B is what A sees; null before', async () => {
    expect((await server.call('GET', `/${A}/contact/${B}/profile-picture`)).body).toEqual({ url: null })
    const set = await server.call('PUT', `/${B}/profile/picture`, { body: { imageUrl: PNG_BASE64, mimeType: 'image/png' } })
    expect(set.status).toBe(200)
    expect((await server.call('GET', `/${A}/contact/${jid(B)}/profile-picture`)).body).toEqual({ url: `data:image/png;base64,${PNG_BASE64}` })
  })

  test('blocking: messages from the blocked number stop, sending to it is refused, unblocking restores both', async () => {
    const blocked = await server.call('POST', `/${A}/contact/block`, { body: { contactId: `+${B}` } })
    expect(blocked.body).toEqual({ success: true, contactId: jid(B), isBlocked: true })
    expect((await server.call<Contact>('GET', `/${A}/contact/${B}`)).body.isBlocked).toBe(true)

    const fromB = await sendText(server, B, A, 'are you there?')
    await Bun.sleep(30)
    expect((await server.call('GET', `/${A}/messages/${B}`)).status).toBe(404)
    // B's message never reaches A's device: one tick.
    expect((await history(server, B, jid(A))).messages.find((m) => m.id === fromB)!.ackName).toBe('SERVER')

    const toBlocked = await server.call('POST', `/${A}/send-text`, { body: { chatId: B, text: 'hi' } })
    expect(toBlocked.status).toBe(409)
    expect(toBlocked.body.error).toContain('blocked')

    const unblocked = await server.call('POST', `/${A}/contact/unblock`, { body: { contactId: jid(B) } })
    expect(unblocked.body).toEqual({ success: true, contactId: jid(B), isBlocked: false })
    await sendText(server, B, A, 'now?')
    await historyWhen(server, A, jid(B), (m) => m.length === 1 && m[0]!.body === 'now?')
    expect((await server.call('POST', `/${A}/send-text`, { body: { chatId: B, text: 'yes' } })).status).toBe(200)
  })
})

describe('profile', () => {
  test('get, then name, about text and picture, seen by the other number', async () => {
    const profile = await server.call('GET', `/${A}/profile`)
    expect(profile.body).toEqual({ id: jid(A), pushname: `Simulated ${A}`, phone: A, platform: 'simulator', status: '', pictureUrl: null })

    expect((await server.call('PUT', `/${A}/profile/name`, { body: { name: 'Support desk' } })).body).toEqual({ success: true })
    expect((await server.call('PUT', `/${A}/profile/status`, { body: { status: 'Available 9–17' } })).status).toBe(200)
    expect((await server.call('PUT', `/${A}/profile/picture`, { body: { imageUrl: `data:image/png;base64,${PNG_BASE64}` } })).status).toBe(200)
    expect((await server.call('GET', `/${A}/profile`)).body).toEqual({
      id: jid(A),
      pushname: 'Support desk',
      phone: A,
      platform: 'simulator',
      status: 'Available 9–17',
      pictureUrl: `data:image/png;base64,${PNG_BASE64}`,
    })
    expect((await server.call<Contact>('GET', `/${B}/contact/${A}`)).body.pushname).toBe('Support desk')
    // The session reports the new name too, and keeps it across a restart.
    expect((await server.call<{ me: { pushName: string } }>('GET', `/${A}/state`)).body.me.pushName).toBe('Support desk')
    await server.call('POST', `/${A}/restart`)
    await waitFor(async () => (await server.call<{ status: string }>('GET', `/${A}/state`)).body.status === 'WORKING')
    expect((await server.call<{ me: { pushName: string } }>('GET', `/${A}/state`)).body.me.pushName).toBe('Support desk')
  })
})

describe('the simulated phone keeps its data', () => {
  test('chats survive a stop/start; messages sent meanwhile arrive when the number comes back', async () => {
    await sendText(server, A, B, 'before')
    await historyWhen(server, B, jid(A), (m) => m.length === 1)
    await server.call('POST', `/${B}/stop`)
    const whileAway = await sendText(server, A, B, 'while you were away')
    await Bun.sleep(30)
    expect((await history(server, A, jid(B))).messages.find((m) => m.id === whileAway)!.ackName).toBe('SERVER')
    await server.call('POST', `/${B}/start`)
    await waitFor(async () => (await server.call<{ status: string }>('GET', `/${B}/state`)).body.status === 'WORKING')
    await historyWhen(server, B, jid(A), (m) => m.length === 2 && m[0]!.body === 'while you were away')
    await historyWhen(server, A, jid(B), (m) => m[0]!.ackName === 'DEVICE')
    const chat = await server.call<{ unreadCount: number }>('GET', `/${B}/chat/${A}`)
    expect(chat.body.unreadCount).toBe(2)
  })

  test('deleting a session deletes its history and media', async () => {
    await server.call('POST', `/${A}/send-image`, { body: { chatId: B, imageUrl: PNG_BASE64, mimeType: 'image/png' } })
    const { existsSync, readdirSync } = await import('node:fs')
    const mediaDir = `${server.dataDir}/media/${A}`
    expect(readdirSync(mediaDir)).toHaveLength(1)
    expect((await server.call('DELETE', `/${A}`)).status).toBe(200)
    expect(existsSync(mediaDir)).toBe(false)
    const rows = await server.deps.storage.db`SELECT COUNT(*) AS n FROM messages WHERE session = ${A}`
    expect(Number(rows[0].n)).toBe(0)
  })
})
