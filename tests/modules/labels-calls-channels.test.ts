/**
 * §12 labels, calls and channels through HTTP on the simulator: labels made, changed and
 * put on chats (the chat list's `labelId` filter, the label events), calls offered by one
 * session to another and rejected by hand or by the call settings (with the reply), and
 * channels created, looked up, followed, muted, posted to and deleted — with the failure
 * paths of each, and what survives a server restart.
 */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { createTestServer, waitFor, type TestServer } from '../helpers/app'
import { startReceiver } from '../helpers/receiver'
import { A, B, C, history, historyWhen, jid, PNG_BASE64, sendText } from '../helpers/whatsapp'

let server: TestServer

beforeEach(async () => {
  server = await createTestServer()
  await server.link(A)
  await server.link(B)
  await server.link(C)
})
afterEach(async () => {
  await server.close()
})

interface Label {
  id: string
  name: string
  color: number
  colorHex: string
}

async function events(phone: string, name: string) {
  await server.deps.ingest.idle()
  return (await server.deps.events.outbox.replay(phone, 0, 1000)).filter((e) => e.event === name).map((e) => JSON.parse(e.body) as { payload: Record<string, unknown> })
}

async function receivedFrom(from: string, to: string, text: string) {
  await sendText(server, from, to, text)
  await waitFor(async () => (await server.call('GET', `/${to}/chat/${jid(from)}`)).status === 200)
}

describe('labels', () => {
  test('the starter labels, then create, rename, recolour and delete with label.upsert / label.deleted', async () => {
    const listed = await server.call<Label[]>('GET', `/${A}/labels`)
    expect(listed.status).toBe(200)
    expect(listed.body.map((l) => l.name)).toEqual(['New customer', 'New order', 'Pending payment', 'Paid', 'Order complete'])
    expect(listed.body[0]).toEqual({ id: '1', name: 'New customer', color: 1, colorHex: '#64c4ff' })

    const created = await server.call<Label>('POST', `/${A}/labels`, { body: { name: 'VIP', colorHex: '#F74848' } })
    expect(created.status).toBe(200)
    expect(created.body).toEqual({ id: '6', name: 'VIP', color: 13, colorHex: '#f74848' })
    // A colour outside the palette becomes the nearest one.
    expect((await server.call<Label>('POST', `/${A}/labels`, { body: { name: 'Almost red', colorHex: '#f54a4a' } })).body.color).toBe(13)

    const renamed = await server.call<Label>('PUT', `/${A}/labels/6`, { body: { name: 'Gold' } })
    expect(renamed.body).toEqual({ id: '6', name: 'Gold', color: 13, colorHex: '#f74848' })
    expect((await server.call<Label>('PUT', `/${A}/labels/6`, { body: { color: 16 } })).body).toEqual({ id: '6', name: 'Gold', color: 16, colorHex: '#ffaf04' })

    // Labels are the number's own: B still has only the starter ones.
    expect((await server.call<Label[]>('GET', `/${B}/labels`)).body).toHaveLength(5)

    expect((await server.call('DELETE', `/${A}/labels/6`)).body).toEqual({ success: true })
    expect((await server.call<Label[]>('GET', `/${A}/labels`)).body.map((l) => l.name)).not.toContain('Gold')

    const upserts = await events(A, 'label.upsert')
    expect(upserts.map((e) => e.payload)).toEqual([
      { id: '6', name: 'VIP', color: 13, colorHex: '#f74848' },
      { id: '7', name: 'Almost red', color: 13, colorHex: '#f74848' },
      { id: '6', name: 'Gold', color: 13, colorHex: '#f74848' },
      { id: '6', name: 'Gold', color: 16, colorHex: '#ffaf04' },
    ])
    expect((await events(A, 'label.deleted')).map((e) => e.payload)).toEqual([{ id: '6', name: 'Gold', color: 16, colorHex: '#ffaf04' }])
  })

  test('failure paths: duplicate name 409, unknown label 404, bad bodies 400', async () => {
    const duplicate = await server.call('POST', `/${A}/labels`, { body: { name: 'paid' } })
    expect(duplicate.status).toBe(409)
    expect(duplicate.body).toMatchObject({ code: 'CONFLICT', details: { labelId: '4' } })
    expect((await server.call('PUT', `/${A}/labels/2`, { body: { name: 'Paid' } })).status).toBe(409)
    expect((await server.call('PUT', `/${A}/labels/99`, { body: { name: 'X' } })).status).toBe(404)
    expect((await server.call('DELETE', `/${A}/labels/99`)).status).toBe(404)
    expect((await server.call('GET', `/${A}/labels/99/chats`)).status).toBe(404)
    expect((await server.call('PUT', `/${A}/labels/2`, { body: {} })).status).toBe(400)
    expect((await server.call('POST', `/${A}/labels`, { body: { name: '' } })).status).toBe(400)
    expect((await server.call('POST', `/${A}/labels`, { body: { name: 'X', color: 20 } })).status).toBe(400)
    expect((await server.call('POST', `/${A}/labels`, { body: { name: 'X', colorHex: 'red' } })).status).toBe(400)
    expect((await server.call('GET', `/${A}/labels/bad%20id/chats`)).status).toBe(400)
    // WhatsApp Business stops at twenty labels.
    for (let n = 6; n <= 20; n++) expect((await server.call('POST', `/${A}/labels`, { body: { name: `L${n}` } })).status).toBe(200)
    const full = await server.call('POST', `/${A}/labels`, { body: { name: 'One too many' } })
    expect(full.status).toBe(400)
    expect(full.body).toMatchObject({ code: 'BAD_REQUEST' })
  })

  test("a chat's labels: set, filter the chat list, chats of a label, and the label.chat events", async () => {
    await receivedFrom(B, A, 'hello from B')
    await receivedFrom(C, A, 'hello from C')

    const set = await server.call<{ labels: Label[] }>('PUT', `/${A}/chat/${jid(B)}/labels`, { body: { labelIds: ['1', '4'] } })
    expect(set.status).toBe(200)
    expect(set.body.labels.map((l) => l.name)).toEqual(['New customer', 'Paid'])
    await server.call('PUT', `/${A}/chat/${C}/labels`, { body: { labelIds: ['1'] } })

    expect((await server.call<{ labels: string[] }>('GET', `/${A}/chat/${jid(B)}`)).body.labels).toEqual(['1', '4'])
    const filtered = await server.call<{ chats: Array<{ id: string }>; total: number }>('GET', `/${A}/chats?labelId=4`)
    expect(filtered.body.chats.map((c) => c.id)).toEqual([jid(B)])
    expect((await server.call<{ total: number }>('GET', `/${A}/chats?labelId=1`)).body.total).toBe(2)
    const ofLabel = await server.call<Array<{ id: string; labels: string[] }>>('GET', `/${A}/labels/1/chats`)
    expect(ofLabel.body.map((c) => c.id).sort()).toEqual([jid(B), jid(C)])
    expect((await server.call<unknown[]>('GET', `/${A}/labels/2/chats`)).body).toEqual([])

    // Replacing: 1 stays, 4 comes off, 3 goes on.
    await server.call('PUT', `/${A}/chat/${jid(B)}/labels`, { body: { labelIds: ['1', '3'] } })
    // Deleting a label takes it off every chat.
    await server.call('DELETE', `/${A}/labels/1`)
    expect((await server.call<{ labels: string[] }>('GET', `/${A}/chat/${jid(B)}`)).body.labels).toEqual(['3'])
    expect((await server.call<{ total: number }>('GET', `/${A}/chats?labelId=1`)).body.total).toBe(0)

    const added = (await events(A, 'label.chat.added')).map((e) => [e.payload.labelId, e.payload.chatId])
    expect(added).toEqual([
      ['1', jid(B)],
      ['4', jid(B)],
      ['1', jid(C)],
      ['3', jid(B)],
    ])
    const removed = (await events(A, 'label.chat.deleted')).map((e) => [e.payload.labelId, e.payload.chatId])
    expect(removed).toEqual([
      ['4', jid(B)],
      ['1', jid(B)],
      ['1', jid(C)],
    ])
    const first = (await events(A, 'label.chat.added'))[0]!.payload
    expect(first).toEqual({ labelId: '1', chatId: jid(B), label: { id: '1', name: 'New customer', color: 1, colorHex: '#64c4ff' } })
  })

  test("a chat's labels: 400 for unknown label ids or a bad chat id, 404 for an unknown chat", async () => {
    await receivedFrom(B, A, 'hi')
    const unknown = await server.call('PUT', `/${A}/chat/${jid(B)}/labels`, { body: { labelIds: ['1', '77'] } })
    expect(unknown.status).toBe(400)
    expect(unknown.body).toMatchObject({ code: 'BAD_REQUEST', details: { field: 'labelIds', unknown: ['77'] } })
    expect((await server.call<{ labels: string[] }>('GET', `/${A}/chat/${jid(B)}`)).body.labels).toEqual([])
    expect((await server.call('PUT', `/${A}/chat/${jid(C)}/labels`, { body: { labelIds: ['1'] } })).status).toBe(404)
    expect((await server.call('PUT', `/${A}/chat/not-a-chat/labels`, { body: { labelIds: ['1'] } })).status).toBe(400)
    expect((await server.call('PUT', `/${A}/chat/${jid(B)}/labels`, { body: {} })).status).toBe(400)
    expect((await server.call('PUT', `/${A}/chat/${jid(B)}/labels`, { body: { labelIds: 'x' } })).status).toBe(400)
  })
})

describe('calls', () => {
  test('a call rings as call.received, is rejected once; 404 for a call that is not ringing, 409 when rejected already', async () => {
    const call = await server.call<{ id: string }>('POST', `/${A}/sandbox/call`, { body: { to: B, video: true } })
    expect(call.status).toBe(200)
    const id = call.body.id
    await waitFor(async () => (await events(B, 'call.received')).length === 1)
    const [received] = await events(B, 'call.received')
    expect(received!.payload).toMatchObject({ id, from: jid(A), isVideo: true, isGroup: false })
    expect(typeof received!.payload.timestamp).toBe('number')
    // The caller hears nothing of its own call.
    expect(await events(A, 'call.received')).toEqual([])

    expect((await server.call('POST', `/${B}/calls/${id}/reject`)).body).toEqual({ success: true })
    const again = await server.call('POST', `/${B}/calls/${id}/reject`)
    expect(again.status).toBe(409)
    expect(again.body).toMatchObject({ code: 'CONFLICT' })
    expect((await server.call('POST', `/${A}/calls/${id}/reject`)).status).toBe(404)
    expect((await server.call('POST', `/${B}/calls/NOSUCHCALL/reject`)).status).toBe(404)
    expect((await server.call('POST', `/${B}/calls/bad%20id/reject`)).status).toBe(400)
  })

  test('a group call rings on every other member; sandbox failure paths', async () => {
    const group = await server.call<{ groupId: string }>('POST', `/${A}/group/create`, { body: { name: 'Team', participants: [B, C] } })
    expect(group.status).toBe(200)
    const call = await server.call<{ id: string }>('POST', `/${A}/sandbox/call`, { body: { to: group.body.groupId } })
    expect(call.status).toBe(200)
    for (const phone of [B, C]) {
      await waitFor(async () => (await events(phone, 'call.received')).length === 1)
      expect((await events(phone, 'call.received'))[0]!.payload).toMatchObject({ id: call.body.id, from: jid(A), isVideo: false, isGroup: true })
    }
    expect((await server.call('POST', `/${A}/sandbox/call`, { body: { to: '966577777777' } })).status).toBe(404)
    expect((await server.call('POST', `/${A}/sandbox/call`, { body: { to: A } })).status).toBe(400)
    expect((await server.call('POST', `/${A}/sandbox/call`, { body: { to: 'nobody' } })).status).toBe(400)
    expect((await server.call('POST', `/${A}/sandbox/call`, { body: {} })).status).toBe(400)
  })

  test('call settings: automatic rejection with a reply to the caller, kept per session; failure paths', async () => {
    expect((await server.call('GET', `/${B}/settings`)).body).toEqual({ rejectCalls: false, rejectCallsMessage: null })
    const updated = await server.call('PUT', `/${B}/settings`, { body: { rejectCalls: true, rejectCallsMessage: 'No calls, please write' } })
    expect(updated.status).toBe(200)
    expect(updated.body).toEqual({ rejectCalls: true, rejectCallsMessage: 'No calls, please write' })
    expect((await server.call('GET', `/${B}/settings`)).body).toEqual({ rejectCalls: true, rejectCallsMessage: 'No calls, please write' })
    expect((await server.call('GET', `/${A}/settings`)).body).toEqual({ rejectCalls: false, rejectCallsMessage: null })

    const call = await server.call<{ id: string }>('POST', `/${A}/sandbox/call`, { body: { to: B } })
    // The caller gets the reply in its chat with B…
    await waitFor(async () => (await server.call('GET', `/${A}/chat/${jid(B)}`)).status === 200)
    const messages = await historyWhen(server, A, jid(B), (list) => list.some((m) => m.body === 'No calls, please write'))
    expect(messages.find((m) => m.body === 'No calls, please write')).toMatchObject({ fromMe: false, from: jid(B) })
    // …and the call was declined already: rejecting it again is a conflict.
    await server.deps.services.calls.idle()
    expect((await server.call('POST', `/${B}/calls/${call.body.id}/reject`)).status).toBe(409)
    expect(await events(B, 'call.received')).toHaveLength(1)

    // Only the field given changes; null removes the reply.
    expect((await server.call('PUT', `/${B}/settings`, { body: { rejectCallsMessage: null } })).body).toEqual({ rejectCalls: true, rejectCallsMessage: null })
    expect((await server.call('PUT', `/${B}/settings`, { body: { rejectCalls: false } })).body).toEqual({ rejectCalls: false, rejectCallsMessage: null })
    const rings = await server.call<{ id: string }>('POST', `/${A}/sandbox/call`, { body: { to: B } })
    await waitFor(async () => (await events(B, 'call.received')).length === 2)
    await server.deps.services.calls.idle()
    expect((await server.call('POST', `/${B}/calls/${rings.body.id}/reject`)).status).toBe(200)

    expect((await server.call('GET', `/966599999999/settings`)).status).toBe(404)
    expect((await server.call('PUT', `/966599999999/settings`, { body: { rejectCalls: true } })).status).toBe(404)
    expect((await server.call('PUT', `/${B}/settings`, { body: { rejectCalls: 'yes' } })).status).toBe(400)
    expect((await server.call('PUT', `/${B}/settings`, { body: { rejectCallsMessage: '' } })).status).toBe(400)
    expect((await server.call('GET', `/${B}/settings`, { key: null })).status).toBe(401)

    // Deleting the session deletes its settings: a new session of the number starts with the defaults.
    await server.call('PUT', `/${C}/settings`, { body: { rejectCalls: true } })
    expect((await server.call('DELETE', `/${C}`)).status).toBe(200)
    expect((await server.call('GET', `/${C}/settings`)).status).toBe(404)
    expect((await server.call('POST', `/${C}/start`)).status).toBe(200)
    expect((await server.call('GET', `/${C}/settings`)).body).toEqual({ rejectCalls: false, rejectCallsMessage: null })
  })
})

interface Channel {
  id: string
  name: string
  description: string
  role: string
  subscribers?: number
  muted?: boolean
  invite?: string
}

describe('channels', () => {
  test('create, look up, follow, mute, post (text and media) to followers, unfollow, delete', async () => {
    const created = await server.call<{ id: string; channel: Channel }>('POST', `/${A}/channels`, { body: { name: 'Store news', description: 'Offers' } })
    expect(created.status).toBe(200)
    const id = created.body.id
    expect(id).toMatch(/^[0-9]+@newsletter$/)
    expect(created.body.channel).toMatchObject({ id, name: 'Store news', description: 'Offers', role: 'OWNER', subscribers: 0 })
    expect(created.body.channel.invite).toStartWith('https://whatsapp.com/channel/')

    expect((await server.call<Channel[]>('GET', `/${A}/channels`)).body.map((c) => [c.id, c.role])).toEqual([[id, 'OWNER']])
    expect((await server.call<Channel[]>('GET', `/${B}/channels`)).body).toEqual([])
    expect((await server.call<Channel>('GET', `/${B}/channels/${id}`)).body).toMatchObject({ id, name: 'Store news', role: 'GUEST' })

    expect((await server.call('POST', `/${B}/channels/${id}/follow`)).body).toEqual({ success: true })
    expect((await server.call('POST', `/${B}/channels/${id}/follow`)).status).toBe(200)
    expect((await server.call<Channel>('GET', `/${B}/channels/${id}`)).body).toMatchObject({ role: 'SUBSCRIBER', subscribers: 1, muted: false })
    expect((await server.call<Channel[]>('GET', `/${B}/channels`)).body.map((c) => c.id)).toEqual([id])
    await server.call('POST', `/${B}/channels/${id}/mute`)
    expect((await server.call<Channel>('GET', `/${B}/channels/${id}`)).body.muted).toBe(true)
    await server.call('POST', `/${B}/channels/${id}/unmute`)
    expect((await server.call<Channel>('GET', `/${B}/channels/${id}`)).body.muted).toBe(false)
    await server.call('POST', `/${B}/channels/${id}/mute`)

    // The owner posts through the ordinary send routes; followers (muted or not) get it, others do not.
    const post = await sendText(server, A, id, 'Open on Friday')
    expect(post).toStartWith(`true_${id}_`)
    const image = await server.call('POST', `/${A}/send-image`, { body: { chatId: id, imageUrl: PNG_BASE64, mimeType: 'image/png', caption: 'New stock' } })
    expect(image.status).toBe(200)
    const received = await historyWhen(server, B, id, (list) => list.length === 2)
    expect(received.map((m) => [m.type, m.body, m.from, m.fromMe])).toEqual([
      ['image', 'New stock', id, false],
      ['text', 'Open on Friday', id, false],
    ])
    expect(received[0]!.hasMedia).toBe(true)
    expect((await history(server, A, id)).messages.map((m) => m.body)).toEqual(['New stock', 'Open on Friday'])
    expect((await server.call('GET', `/${C}/messages/${id}`)).status).toBe(404)
    // Channels are not in the chat list.
    expect((await server.call<{ chats: Array<{ id: string }> }>('GET', `/${B}/chats`)).body.chats.map((c) => c.id)).not.toContain(id)
    const events = (await server.deps.events.outbox.replay(B, 0, 1000)).filter((e) => e.event === 'message').map((e) => JSON.parse(e.body).payload)
    expect(events.map((p: { chatId: string; body: string }) => [p.chatId, p.body])).toContainEqual([id, 'Open on Friday'])

    // Followers cannot post.
    const refused = await server.call('POST', `/${B}/send-text`, { body: { chatId: id, text: 'me too' } })
    expect(refused.status).toBe(403)

    await server.call('POST', `/${B}/channels/${id}/unfollow`)
    expect((await server.call<Channel>('GET', `/${B}/channels/${id}`)).body).toMatchObject({ role: 'GUEST', subscribers: 0 })
    await sendText(server, A, id, 'Only for followers')
    await server.deps.ingest.idle()
    expect((await history(server, B, id)).messages.map((m) => m.body)).not.toContain('Only for followers')

    expect((await server.call('DELETE', `/${B}/channels/${id}`)).status).toBe(403)
    expect((await server.call('DELETE', `/${A}/channels/${id}`)).body).toEqual({ success: true })
    expect((await server.call('GET', `/${B}/channels/${id}`)).status).toBe(404)
    expect((await server.call<Channel[]>('GET', `/${A}/channels`)).body).toEqual([])
  })

  test('failure paths: bad ids 400, unknown channels 404, owner rules 400 / 403, muting unfollowed 400', async () => {
    const { id } = (await server.call<{ id: string }>('POST', `/${A}/channels`, { body: { name: 'News' } })).body
    expect((await server.call('GET', `/${A}/channels/${jid(B)}`)).status).toBe(400)
    expect((await server.call('GET', `/${A}/channels/not-a-channel`)).status).toBe(400)
    expect((await server.call('GET', `/${A}/channels/120363999999999999@newsletter`)).status).toBe(404)
    expect((await server.call('POST', `/${B}/channels/120363999999999999@newsletter/follow`)).status).toBe(404)
    expect((await server.call('DELETE', `/${A}/channels/120363999999999999@newsletter`)).status).toBe(404)
    expect((await server.call('POST', `/${A}/send-text`, { body: { chatId: '120363999999999999@newsletter', text: 'x' } })).status).toBe(404)
    expect((await server.call('POST', `/${A}/channels/${id}/follow`)).status).toBe(400)
    expect((await server.call('POST', `/${A}/channels/${id}/unfollow`)).status).toBe(400)
    expect((await server.call('POST', `/${C}/channels/${id}/mute`)).status).toBe(400)
    expect((await server.call('DELETE', `/${C}/channels/${id}`)).status).toBe(403)
    expect((await server.call('POST', `/${A}/channels`, { body: {} })).status).toBe(400)
    expect((await server.call('POST', `/${A}/channels`, { body: { name: '' } })).status).toBe(400)
    expect((await server.call('POST', `/${A}/channels`, { body: { name: 'x'.repeat(101) } })).status).toBe(400)
    expect((await server.call('GET', `/${A}/channels`, { key: null })).status).toBe(401)
  })
})

describe('durable like a phone', () => {
  test('labels on chats, channels with followers and call settings survive a server restart', async () => {
    await receivedFrom(B, A, 'hello')
    await server.call('POST', `/${A}/labels`, { body: { name: 'VIP', color: 3 } })
    await server.call('PUT', `/${A}/chat/${jid(B)}/labels`, { body: { labelIds: ['6'] } })
    const { id } = (await server.call<{ id: string }>('POST', `/${A}/channels`, { body: { name: 'News' } })).body
    await server.call('POST', `/${B}/channels/${id}/follow`)
    await server.call('PUT', `/${B}/settings`, { body: { rejectCalls: true, rejectCallsMessage: 'Busy' } })
    await server.deps.ingest.idle()
    await server.close({ keepData: true })

    server = await createTestServer({}, {}, server.dataDir)
    for (const phone of [A, B]) {
      expect((await server.call('POST', `/${phone}/start`)).status).toBe(200)
      await waitFor(async () => (await server.call<{ status: string }>('GET', `/${phone}/state`)).body.status === 'WORKING', 10_000)
    }
    expect((await server.call<Label[]>('GET', `/${A}/labels`)).body.map((l) => l.name)).toContain('VIP')
    expect((await server.call<Array<{ id: string }>>('GET', `/${A}/labels/6/chats`)).body.map((c) => c.id)).toEqual([jid(B)])
    expect((await server.call<Channel>('GET', `/${B}/channels/${id}`)).body).toMatchObject({ role: 'SUBSCRIBER', subscribers: 1 })
    expect((await server.call('GET', `/${B}/settings`)).body).toEqual({ rejectCalls: true, rejectCallsMessage: 'Busy' })
  })
})

describe('delivered as webhooks', () => {
  test('a webhook subscribed to the label and call events receives them in WAHA\'s envelope; others do not reach it', async () => {
    await server.close()
    const receiver = startReceiver()
    server = await createTestServer({ OUTBOUND_ALLOW_CIDRS: '127.0.0.1/32' })
    try {
      await server.link(A)
      await server.link(B)
      const hook = await server.call('POST', `/${B}/webhooks`, { body: { url: `${receiver.url}/hook`, events: ['label.upsert', 'label.chat.added', 'call.received'] } })
      expect(hook.status).toBe(201)
      await receivedFrom(A, B, 'hello')
      await server.call('POST', `/${B}/labels`, { body: { name: 'VIP', color: 13 } })
      await server.call('PUT', `/${B}/chat/${jid(A)}/labels`, { body: { labelIds: ['6'] } })
      const call = await server.call<{ id: string }>('POST', `/${A}/sandbox/call`, { body: { to: B, video: true } })
      await waitFor(() => receiver.received.length >= 3, 10_000)
      expect(receiver.received.map((hit) => [hit.json.event, hit.json.session, hit.json.engine])).toEqual([
        ['label.upsert', B, 'SIMULATOR'],
        ['label.chat.added', B, 'SIMULATOR'],
        ['call.received', B, 'SIMULATOR'],
      ])
      expect(receiver.received.map((hit) => hit.json.payload)).toEqual([
        { id: '6', name: 'VIP', color: 13, colorHex: '#f74848' },
        { labelId: '6', chatId: jid(A), label: { id: '6', name: 'VIP', color: 13, colorHex: '#f74848' } },
        expect.objectContaining({ id: call.body.id, from: jid(A), isVideo: true, isGroup: false }),
      ])
      // An unknown event name is refused when subscribing.
      expect((await server.call('POST', `/${B}/webhooks`, { body: { url: `${receiver.url}/x`, events: ['label.renamed'] } })).status).toBe(400)
    } finally {
      await receiver.close()
    }
  })
})
