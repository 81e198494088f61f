/**
 * §12 contact, presence, profile and Status extras through HTTP on the simulator, between
 * linked numbers: a contact's about text, saving a contact's name, checking many numbers,
 * going online / offline (contacts get presence.update), removing the profile picture,
 * deleting a posted Status (the audience sees it revoked) and voice Status — with the
 * failure paths.
 */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import type { SessionEvent } from '../../src/events/bus'
import { createTestServer, waitFor, type TestServer } from '../helpers/app'
import { A, B, C, history, historyWhen, jid, PNG_BASE64, sendText } from '../helpers/whatsapp'
import { sampleBase64 } from '../helpers/media'

const OUTSIDE = '966500000088'
/** The first bytes of an OGG file: enough for the simulator, which carries media as given. */
// A real OGG/Opus note (made by ffmpeg): voice is checked and converted before it is posted.
const OGG_BASE64 = sampleBase64('opus')

let server: TestServer
let events: SessionEvent[]

beforeEach(async () => {
  server = await createTestServer()
  events = []
  server.deps.bus.subscribe((event) => {
    events.push(event)
  })
  await server.link(A)
  await server.link(B)
  await server.link(C)
})
afterEach(async () => {
  await server.close()
})

function eventsOf(phone: string, type: string) {
  return events.filter((e) => e.session === phone && e.event.type === type).map((e) => e.event)
}

interface ContactView {
  id: string
  name: string | null
  isMyContact: boolean
}

describe('contacts', () => {
  test("a contact's about text; null without one; 404 for a stranger", async () => {
    expect((await server.call('PUT', `/${B}/profile/status`, { body: { status: 'Available 9–17' } })).status).toBe(200)
    const about = await server.call('GET', `/${A}/contact/${jid(B)}/about`)
    expect(about.status).toBe(200)
    expect(about.body).toEqual({ about: 'Available 9–17' })
    expect((await server.call('GET', `/${A}/contact/+${C}/about`)).body).toEqual({ about: null })
    const stranger = await server.call('GET', `/${A}/contact/${OUTSIDE}/about`)
    expect(stranger.status).toBe(404)
    expect(stranger.body).toMatchObject({ code: 'NOT_FOUND' })
    expect((await server.call('GET', `/${A}/contact/not-a-number/about`)).status).toBe(400)
  })

  test("saving a contact's name: shown by the contact routes, also for a number never met; refused for groups, itself, blank names", async () => {
    const saved = await server.call('PUT', `/${A}/contact/${jid(B)}`, { body: { firstName: 'Sara', lastName: 'Ahmed' } })
    expect(saved.status).toBe(200)
    expect(saved.body).toEqual({ success: true, contactId: jid(B), name: 'Sara Ahmed' })
    expect((await server.call<ContactView>('GET', `/${A}/contact/${jid(B)}`)).body).toMatchObject({ name: 'Sara Ahmed', isMyContact: true })
    // B's own view of itself from C is untouched: names are per phone.
    expect((await server.call<ContactView>('GET', `/${C}/contact/${jid(B)}`)).body.name).not.toBe('Sara Ahmed')

    // Renaming, with the first name only.
    expect((await server.call('PUT', `/${A}/contact/${B}`, { body: { firstName: 'Sara (work)' } })).body).toMatchObject({ name: 'Sara (work)' })
    expect((await server.call<ContactView>('GET', `/${A}/contact/${jid(B)}`)).body.name).toBe('Sara (work)')

    // A number never met becomes a contact of the address book.
    expect((await server.call('GET', `/${A}/contact/${OUTSIDE}`)).status).toBe(404)
    expect((await server.call('PUT', `/${A}/contact/+${OUTSIDE}`, { body: { firstName: 'Courier' } })).status).toBe(200)
    const contacts = await server.call<{ contacts: ContactView[] }>('GET', `/${A}/contacts`)
    expect(contacts.body.contacts.find((c) => c.id === jid(OUTSIDE))).toMatchObject({ name: 'Courier', isMyContact: true })

    expect((await server.call('PUT', `/${A}/contact/${jid(A)}`, { body: { firstName: 'Me' } })).status).toBe(400)
    expect((await server.call('PUT', `/${A}/contact/120363000000000001@g.us`, { body: { firstName: 'G' } })).status).toBe(400)
    expect((await server.call('PUT', `/${A}/contact/${jid(B)}`, { body: { firstName: '   ' } })).status).toBe(400)
    expect((await server.call('PUT', `/${A}/contact/${jid(B)}`, { body: { lastName: 'Only' } })).status).toBe(400)
    expect((await server.call('PUT', `/${A}/contact/${jid(B)}`, { body: { firstName: 'x'.repeat(101) } })).status).toBe(400)
  })

  test('checking many numbers: in the order given, duplicates answered twice; at most 100, each a phone number', async () => {
    const checked = await server.call<unknown[]>('POST', `/${A}/contacts/check`, { body: { numbers: [`+${B}`, OUTSIDE, C, B] } })
    expect(checked.status).toBe(200)
    expect(checked.body).toEqual([
      { number: B, exists: true, jid: jid(B) },
      { number: OUTSIDE, exists: false, jid: null },
      { number: C, exists: true, jid: jid(C) },
      { number: B, exists: true, jid: jid(B) },
    ])
    const many = Array.from({ length: 100 }, (_, i) => `9665000${String(i).padStart(5, '0')}`)
    const hundred = await server.call<unknown[]>('POST', `/${A}/contacts/check`, { body: { numbers: many } })
    expect(hundred.status).toBe(200)
    expect(hundred.body).toHaveLength(100)

    expect((await server.call('POST', `/${A}/contacts/check`, { body: { numbers: [...many, B] } })).status).toBe(400)
    expect((await server.call('POST', `/${A}/contacts/check`, { body: { numbers: [] } })).status).toBe(400)
    expect((await server.call('POST', `/${A}/contacts/check`, { body: {} })).status).toBe(400)
    const bad = await server.call('POST', `/${A}/contacts/check`, { body: { numbers: [B, 'abc'] } })
    expect(bad.status).toBe(400)
    expect(JSON.stringify(bad.body)).toContain('numbers[1]')
  })
})

describe('own presence', () => {
  test('online / offline reach the numbers it chats with, not others, not a blocked one', async () => {
    await sendText(server, A, B, 'hi')
    await waitFor(async () => (await server.call('GET', `/${B}/chat/${jid(A)}`)).status === 200)

    expect((await server.call('POST', `/${A}/presence`, { body: { state: 'online' } })).body).toEqual({ success: true })
    await waitFor(() => eventsOf(B, 'presence.update').length === 1)
    expect(eventsOf(B, 'presence.update')[0]).toMatchObject({ chatId: jid(A), participant: jid(A), state: 'online' })

    expect((await server.call('POST', `/${A}/presence`, { body: { state: 'offline' } })).status).toBe(200)
    await waitFor(() => eventsOf(B, 'presence.update').length === 2)
    expect(eventsOf(B, 'presence.update')[1]).toMatchObject({ state: 'offline' })

    // A blocks B: B no longer sees A's presence.
    expect((await server.call('POST', `/${A}/contact/block`, { body: { contactId: B } })).status).toBe(200)
    expect((await server.call('POST', `/${A}/presence`, { body: { state: 'online' } })).status).toBe(200)
    // A later message from A to C is the marker that the network delivered what A sent before it.
    await sendText(server, A, C, 'marker')
    await waitFor(async () => (await server.call('GET', `/${C}/chat/${jid(A)}`)).status === 200)
    expect(eventsOf(B, 'presence.update')).toHaveLength(2)
    // C had no chat with A when A went online; with one now, C sees the next change.
    expect(eventsOf(C, 'presence.update')).toEqual([])
    expect((await server.call('POST', `/${A}/presence`, { body: { state: 'offline' } })).status).toBe(200)
    await waitFor(() => eventsOf(C, 'presence.update').length === 1)

    for (const body of [{ state: 'typing' }, { state: 'away' }, {}]) {
      expect((await server.call('POST', `/${A}/presence`, { body })).status).toBe(400)
    }
  })
})

describe('profile picture and Status', () => {
  test('removing the profile picture: contacts see none; removing again is still a success', async () => {
    expect((await server.call('PUT', `/${A}/profile/picture`, { body: { imageUrl: PNG_BASE64, mimeType: 'image/png' } })).status).toBe(200)
    expect((await server.call<{ url: string | null }>('GET', `/${B}/contact/${jid(A)}/profile-picture`)).body.url).toStartWith('data:image/png')
    expect((await server.call('DELETE', `/${A}/profile/picture`)).body).toEqual({ success: true })
    expect((await server.call('GET', `/${B}/contact/${jid(A)}/profile-picture`)).body).toEqual({ url: null })
    expect((await server.call('GET', `/${A}/profile`)).body).toMatchObject({ pictureUrl: null })
    expect((await server.call('DELETE', `/${A}/profile/picture`)).status).toBe(200)
  })

  test('deleting a posted Status: the audience sees it revoked; only own Status posts can be', async () => {
    await sendText(server, B, A, 'hello A') // B has a chat with A: B is in A's Status audience
    await waitFor(async () => (await server.call('GET', `/${A}/chat/${jid(B)}`)).status === 200)
    const posted = await server.call<{ messageId: string }>('POST', `/${A}/status`, { body: { type: 'text', text: 'Open until 22:00' } })
    expect(posted.status).toBe(200)
    const seenByB = await historyWhen(server, B, 'status@broadcast', (messages) => messages.some((m) => m.body === 'Open until 22:00'))
    const bCopy = seenByB.find((m) => m.body === 'Open until 22:00')!

    // B cannot delete A's post; a direct message is not a Status post; an unknown id is 404.
    expect((await server.call('DELETE', `/${B}/status/${bCopy.id}`)).status).toBe(400)
    const direct = await sendText(server, A, B, 'not a status')
    expect((await server.call('DELETE', `/${A}/status/${direct}`)).status).toBe(400)
    expect((await server.call('DELETE', `/${A}/status/true_status@broadcast_3EB0000000000000DEAD`)).status).toBe(404)
    expect((await server.call('DELETE', `/${A}/status/not-a-message-id`)).status).toBe(400)

    const deleted = await server.call('DELETE', `/${A}/status/${posted.body.messageId}`)
    expect(deleted.status).toBe(200)
    expect(deleted.body).toEqual({ success: true })
    await waitFor(() => eventsOf(B, 'message.revoked').length === 1)
    await historyWhen(server, B, 'status@broadcast', (messages) => messages.some((m) => m.id === bCopy.id && m.type === 'revoked'))
    const own = await history(server, A, 'status@broadcast')
    expect(own.messages.find((m) => m.id === posted.body.messageId)?.type).toBe('revoked')
    // Deleted once is deleted.
    expect((await server.call('DELETE', `/${A}/status/${posted.body.messageId}`)).status).toBe(400)
  })

  test('a voice Status: posted as a voice note the audience receives; audioUrl is required', async () => {
    await sendText(server, B, A, 'hello A')
    await waitFor(async () => (await server.call('GET', `/${A}/chat/${jid(B)}`)).status === 200)
    const posted = await server.call<{ messageId: string }>('POST', `/${A}/status`, {
      body: { type: 'voice', audioUrl: OGG_BASE64, mimeType: 'audio/ogg; codecs=opus', backgroundColor: '#112233' },
    })
    expect(posted.status).toBe(200)
    const received = await historyWhen(server, B, 'status@broadcast', (messages) => messages.some((m) => m.type === 'voice'))
    expect(received.find((m) => m.type === 'voice')).toMatchObject({ hasMedia: true, fromMe: false })
    expect((await history(server, A, 'status@broadcast')).messages[0]).toMatchObject({ id: posted.body.messageId, type: 'voice' })

    const missing = await server.call('POST', `/${A}/status`, { body: { type: 'voice' } })
    expect(missing.status).toBe(400)
    expect(missing.body).toMatchObject({ details: { field: 'audioUrl' } })
    expect((await server.call('POST', `/${A}/status`, { body: { type: 'voice', audioUrl: OGG_BASE64, mimeType: 'audio/ogg', backgroundColor: 'blue' } })).status).toBe(400)
  })
})
