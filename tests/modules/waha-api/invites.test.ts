/**
 * Issue 13 part A through WAHA's routes, as a WAHA client uses them, on simulator sessions:
 * join-info and join by link, the invite code reset, the about text and a saved contact,
 * online / offline reaching a contact, and a Status deleted by its key.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { SessionEvent } from '../../../src/events/bus'
import { createTestServer, waitFor, type TestServer } from '../../helpers/app'
import { waha } from './helpers'

const A = '966500000301'
const B = '966500000302'
const C = '966500000303'
const jid = (phone: string) => `${phone}@c.us`

let server: TestServer
const events: SessionEvent[] = []

beforeAll(async () => {
  server = await createTestServer()
  server.deps.bus.subscribe((event) => {
    events.push(event)
  })
  for (const phone of [A, B, C]) await server.link(phone)
  await waha(server, 'POST', '/api/sendText', { body: { session: A, chatId: jid(B), text: 'hello B' } })
  await server.deps.ingest.idle()
})
afterAll(async () => {
  await server?.close()
})

describe('WAHA routes of issue 13 part A', () => {
  test('join-info and join by link; the reset code is a new one and the old one is 404', async () => {
    const group = await waha(server, 'POST', `/api/${A}/groups`, { body: { name: 'Team', participants: [{ id: jid(B) }] } })
    const groupId: string = group.body.id
    const code: string = (await waha(server, 'GET', `/api/${A}/groups/${groupId}/invite-code`)).body

    const info = await waha(server, 'GET', `/api/${C}/groups/join-info?code=${encodeURIComponent(`https://chat.whatsapp.com/${code}`)}`)
    expect(info.status).toBe(200)
    expect(info.body).toMatchObject({ id: groupId, subject: 'Team', size: 2, membershipApprovalMode: false, owner: jid(A) })

    const joined = await waha(server, 'POST', `/api/${C}/groups/join`, { body: { code: `https://chat.whatsapp.com/${code}` } })
    expect(joined.status).toBe(200)
    expect(joined.body).toEqual({ id: groupId })
    const participants = await waha(server, 'GET', `/api/${A}/groups/${groupId}/participants`)
    expect(participants.body.map((p: { id: string }) => p.id).sort()).toEqual([jid(A), jid(B), jid(C)].sort())

    const reset = await waha(server, 'POST', `/api/${A}/groups/${groupId}/invite-code/revoke`)
    expect(reset.status).toBe(200)
    expect(reset.body).not.toBe(code)
    expect(reset.body).toBe((await waha(server, 'GET', `/api/${A}/groups/${groupId}/invite-code`)).body)
    expect((await waha(server, 'GET', `/api/${B}/groups/join-info?code=${code}`)).status).toBe(404)
    // Only admins reset it.
    expect((await waha(server, 'POST', `/api/${B}/groups/${groupId}/invite-code/revoke`)).status).toBe(403)
  })

  test("about text and a saved contact's name", async () => {
    await server.call('PUT', `/${B}/profile/status`, { body: { status: 'At work' } })
    const about = await waha(server, 'GET', `/api/contacts/about?session=${A}&contactId=${jid(B)}`)
    expect(about.status).toBe(200)
    expect(about.body).toEqual({ about: 'At work' })

    const saved = await waha(server, 'PUT', `/api/${A}/contacts/${jid(B)}`, { body: { firstName: 'Bilal', lastName: 'K.' } })
    expect(saved.status).toBe(200)
    expect(saved.body).toEqual({ success: true })
    expect((await waha(server, 'GET', `/api/contacts?session=${A}&contactId=${jid(B)}`)).body).toMatchObject({ name: 'Bilal K.', isMyContact: true })
  })

  test('presence online / offline reaches a contact', async () => {
    const before = events.filter((e) => e.session === B && e.event.type === 'presence.update').length
    expect((await waha(server, 'POST', `/api/${A}/presence`, { body: { presence: 'online' } })).status).toBe(201)
    await waitFor(() => events.filter((e) => e.session === B && e.event.type === 'presence.update').length === before + 1)
    expect(events.findLast((e) => e.session === B && e.event.type === 'presence.update')?.event).toMatchObject({ state: 'online', participant: jid(A) })
  })

  test('a Status deleted by its key', async () => {
    const posted = await waha(server, 'POST', `/api/${A}/status/text`, { body: { text: 'Closing early', backgroundColor: '#38b42f', font: 0 } })
    expect(posted.status).toBe(201)
    const key = String(posted.body.id).split('_').pop()
    expect((await waha(server, 'POST', `/api/${A}/status/delete`, { body: { id: key } })).status).toBe(201)
    await waitFor(() => events.some((e) => e.session === B && e.event.type === 'message.revoked'))
    const own = await server.call<{ messages: Array<{ id: string; type: string }> }>('GET', `/${A}/messages/status@broadcast`)
    expect(own.body.messages.find((m) => m.id === posted.body.id)?.type).toBe('revoked')
  })
})
