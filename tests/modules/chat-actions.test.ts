/**
 * §12 chat and message actions through HTTP on the simulator: archive, pin, unread, mute,
 * clear, delete, the chat list's filters, one message by id, star, message pins, and
 * polls (vote, results, poll.vote events on both sides).
 */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { createTestServer, waitFor, type TestServer } from '../helpers/app'
import { A, B, C, history, jid, sendText } from '../helpers/whatsapp'

let server: TestServer

interface ChatView {
  id: string
  name: string
  archived: boolean
  pinned: boolean
  markedUnread: boolean
  unreadCount: number
  muteExpiration: number | null
  labels: string[]
}

beforeEach(async () => {
  server = await createTestServer()
  await server.link(A)
  await server.link(B)
  await server.link(C)
})
afterEach(async () => {
  await server.close()
})

async function chats(query = '') {
  const listed = await server.call<{ chats: ChatView[]; total: number }>('GET', `/${A}/chats${query}`)
  expect(listed.status).toBe(200)
  return listed.body
}

async function chat(id: string) {
  return (await server.call<ChatView>('GET', `/${A}/chat/${id}`)).body
}

async function receivedFrom(from: string, text: string) {
  await sendText(server, from, A, text)
  await waitFor(async () => (await server.call('GET', `/${A}/chat/${jid(from)}`)).status === 200)
}

describe('chat actions', () => {
  test('archive / unarchive, pin / unpin, unread, and the list filters', async () => {
    await receivedFrom(B, 'hello from B')
    await receivedFrom(C, 'hello from C')
    await server.call('POST', `/${A}/chat/${jid(B)}/seen`)
    await server.call('POST', `/${A}/chat/${jid(C)}/seen`)
    expect(await chat(jid(B))).toMatchObject({ archived: false, pinned: false, markedUnread: false, muteExpiration: null, labels: [] })

    expect((await server.call('POST', `/${A}/chat/${jid(B)}/archive`)).body).toEqual({ success: true })
    expect((await chat(jid(B))).archived).toBe(true)
    expect((await chats('?archived=true')).chats.map((c) => c.id)).toEqual([jid(B)])
    expect((await chats('?archived=false')).chats.map((c) => c.id)).toEqual([jid(C)])
    await server.call('POST', `/${A}/chat/${jid(B)}/unarchive`)
    expect((await chats('?archived=true')).total).toBe(0)

    // Pinned chats come first, whatever their last activity.
    const [first, second] = (await chats()).chats.map((c) => c.id) as [string, string]
    await server.call('POST', `/${A}/chat/${second}/pin`)
    expect((await chats()).chats.map((c) => [c.id, c.pinned])).toEqual([
      [second, true],
      [first, false],
    ])
    expect((await chats('?pinned=true')).chats.map((c) => c.id)).toEqual([second])
    await server.call('POST', `/${A}/chat/${second}/unpin`)
    expect((await chats('?pinned=true')).total).toBe(0)

    expect((await chats('?unread=true')).total).toBe(0)
    await server.call('POST', `/${A}/chat/${jid(C)}/unread`)
    expect(await chat(jid(C))).toMatchObject({ markedUnread: true })
    expect((await chats('?unread=true')).chats.map((c) => c.id)).toEqual([jid(C)])
    await server.call('POST', `/${A}/chat/${jid(C)}/seen`)
    expect((await chats('?unread=true')).total).toBe(0)

    // search: part of the name (the peer's push name) or the id, any case.
    expect((await chats(`?search=${B.slice(-4)}`)).chats.map((c) => c.id)).toEqual([jid(B)])
    expect((await chats('?search=nobody-by-this-name')).total).toBe(0)
    expect((await chats('?labelId=1')).total).toBe(0)
  })

  test('mute until a time or for ever, unmute; 400 for bad times', async () => {
    await receivedFrom(B, 'mute me')
    const until = new Date(Date.now() + 8 * 3600_000)
    const muted = await server.call('POST', `/${A}/chat/${jid(B)}/mute`, { body: { until: until.toISOString() } })
    expect(muted.status).toBe(200)
    expect(muted.body).toEqual({ success: true, muteExpiration: Math.floor(until.getTime() / 1000) })
    expect((await chat(jid(B))).muteExpiration).toBe(Math.floor(until.getTime() / 1000))

    const forever = await server.call('POST', `/${A}/chat/${jid(B)}/mute`)
    expect(forever.body).toEqual({ success: true, muteExpiration: -1 })
    expect((await chat(jid(B))).muteExpiration).toBe(-1)

    await server.call('POST', `/${A}/chat/${jid(B)}/unmute`)
    expect((await chat(jid(B))).muteExpiration).toBeNull()

    const tooFar = await server.call('POST', `/${A}/chat/${jid(B)}/mute`, { body: { until: new Date(Date.now() + 400 * 86_400_000).toISOString() } })
    expect(tooFar.status).toBe(400)
  })

  test('clear empties the chat (and history); delete removes it; 404 for unknown chats', async () => {
    await receivedFrom(B, 'one')
    await sendText(server, A, B, 'two')
    expect((await history(server, A, jid(B))).messages).toHaveLength(2)

    expect((await server.call('POST', `/${A}/chat/${jid(B)}/clear`)).body).toEqual({ success: true })
    expect((await history(server, A, jid(B))).messages).toEqual([])
    expect((await chat(jid(B))).id).toBe(jid(B))
    // B's side is untouched: clearing is local.
    expect((await history(server, B, jid(A))).messages).toHaveLength(2)

    await sendText(server, A, B, 'three')
    expect((await server.call('DELETE', `/${A}/chat/${jid(B)}`)).body).toEqual({ success: true })
    expect((await server.call('GET', `/${A}/chat/${jid(B)}`)).status).toBe(404)
    expect((await chats()).chats.map((c) => c.id)).not.toContain(jid(B))

    for (const [method, path] of [
      ['POST', `chat/${jid('966599999999')}/archive`],
      ['POST', `chat/${jid('966599999999')}/pin`],
      ['POST', `chat/${jid('966599999999')}/unread`],
      ['POST', `chat/${jid('966599999999')}/mute`],
      ['POST', `chat/${jid('966599999999')}/clear`],
      ['DELETE', `chat/${jid('966599999999')}`],
    ] as const) {
      const response = await server.call(method, `/${A}/${path}`)
      expect(response.status, path).toBe(404)
      expect(response.body).toMatchObject({ code: 'NOT_FOUND' })
    }
  })

  test('a fourth pinned chat is refused; a group must be left before its chat is deleted', async () => {
    const created = await server.call<{ groupId: string }>('POST', `/${A}/group/create`, { body: { name: 'Team', participants: [B, C] } })
    const groupId = created.body.groupId
    await receivedFrom(B, 'b')
    await receivedFrom(C, 'c')
    await sendText(server, A, '966500000004', 'to an outside number')
    for (const id of [groupId, jid(B), jid(C)]) expect((await server.call('POST', `/${A}/chat/${id}/pin`)).status).toBe(200)
    const fourth = await server.call('POST', `/${A}/chat/${jid('966500000004')}/pin`)
    expect(fourth.status).toBe(400)
    expect(String(fourth.body.error)).toContain('At most 3')

    const deleteGroup = await server.call('DELETE', `/${A}/chat/${groupId}`)
    expect(deleteGroup.status).toBe(400)
    await server.call('POST', `/${A}/group/${groupId}/leave`)
    expect((await server.call('DELETE', `/${A}/chat/${groupId}`)).status).toBe(200)
  })

  test('state carries across stop and start of the session, like a phone', async () => {
    await receivedFrom(B, 'keep me archived')
    await server.call('POST', `/${A}/chat/${jid(B)}/archive`)
    await server.call('POST', `/${A}/chat/${jid(B)}/pin`)
    await server.call('POST', `/${A}/stop`)
    await server.call('POST', `/${A}/start`)
    await waitFor(async () => (await server.call('GET', `/${A}/state`)).body.status === 'WORKING')
    expect(await chat(jid(B))).toMatchObject({ archived: true, pinned: true })
  })
})

describe('messages: one by id, star, pin', () => {
  test('GET one message as history shows it; 404 for another chat or an unknown id', async () => {
    const id = await sendText(server, A, B, 'find me')
    const got = await server.call<{ id: string; body: string; ackName: string }>('GET', `/${A}/messages/${jid(B)}/${id}`)
    expect(got.status).toBe(200)
    expect(got.body).toMatchObject({ id, body: 'find me', fromMe: true, chatId: jid(B) })
    expect(got.body).toEqual((await history(server, A, jid(B))).messages[0]! as unknown as typeof got.body)
    expect((await server.call('GET', `/${A}/messages/${jid(C)}/${id}`)).status).toBe(404)
    expect((await server.call('GET', `/${A}/messages/${jid(B)}/true_${jid(B)}_3EB0FFFFFFFFFFFFFFFF`)).status).toBe(404)
    expect((await server.call('GET', `/${A}/messages/${jid(B)}/not-an-id`)).status).toBe(400)
  })

  test('star and unstar; 404 for an unknown message', async () => {
    const id = await sendText(server, A, B, 'star me')
    expect((await server.call('POST', `/${A}/messages/${id}/star`)).body).toEqual({ success: true })
    expect((await server.call('POST', `/${A}/messages/${id}/unstar`)).body).toEqual({ success: true })
    expect((await server.call('POST', `/${A}/messages/true_${jid(B)}_3EB0FFFFFFFFFFFFFFFF/star`)).status).toBe(404)
  })

  test("pin with WhatsApp's durations reaches the other side; unpin; 400 when not pinned; 403 for non-admins where info is admins-only", async () => {
    const id = await sendText(server, A, B, 'pin me')
    const pinned = await server.call<{ success: boolean; expiresAt: string }>('POST', `/${A}/messages/${id}/pin`, { body: { duration: 604800 } })
    expect(pinned.status).toBe(200)
    expect(Date.parse(pinned.body.expiresAt)).toBeGreaterThan(Date.now() + 604_000_000)
    await waitFor(() => pinnedOn(B, jid(A)).length === 1)
    expect(pinnedOn(A, jid(B))).toEqual([id])
    expect((await server.call('POST', `/${A}/messages/${id}/unpin`)).body).toEqual({ success: true })
    await waitFor(() => pinnedOn(B, jid(A)).length === 0)
    expect((await server.call('POST', `/${A}/messages/${id}/unpin`)).status).toBe(400)

    const group = (await server.call<{ groupId: string }>('POST', `/${A}/group/create`, { body: { name: 'Admins pin', participants: [B] } })).body.groupId
    await server.call('PUT', `/${A}/group/${group}`, { body: { infoAdminsOnly: true } })
    const inGroup = await sendText(server, A, group, 'group message')
    await waitFor(async () => (await history(server, B, group)).messages.length === 1)
    const onB = (await history(server, B, group)).messages[0]!.id
    expect(inGroup).not.toBe(onB)
    const refused = await server.call('POST', `/${B}/messages/${onB}/pin`, { body: { duration: 86400 } })
    expect(refused.status).toBe(403)
    expect((await server.call('POST', `/${A}/messages/${inGroup}/pin`, { body: { duration: 86400 } })).status).toBe(200)
  })
})

function pinnedOn(phone: string, chatId: string): string[] {
  const engine = server.deps.sessions as unknown as { live: Map<string, { engineSession: { pinnedMessages(chatId: string): string[] } }> }
  return engine.live.get(phone)!.engineSession.pinnedMessages(chatId)
}

describe('polls', () => {
  test('votes are counted on every side, can change, and are reported as poll.vote events', async () => {
    const group = (await server.call<{ groupId: string }>('POST', `/${A}/group/create`, { body: { name: 'Lunch', participants: [B, C] } })).body.groupId
    const sent = await server.call<{ messageId: string }>('POST', `/${A}/send-poll`, { body: { chatId: group, name: 'When?', options: ['Mon', 'Tue', 'Wed'] } })
    const poll = sent.body.messageId
    await waitFor(async () => (await history(server, B, group)).messages.length === 1 && (await history(server, C, group)).messages.length === 1)
    const onB = (await history(server, B, group)).messages[0]!.id
    const onC = (await history(server, C, group)).messages[0]!.id

    expect((await server.call('POST', `/${B}/messages/${onB}/vote`, { body: { options: ['Tue'] } })).body).toEqual({ success: true })
    expect((await server.call('POST', `/${C}/messages/${onC}/vote`, { body: { options: ['Mon'] } })).status).toBe(200)
    await server.call('POST', `/${C}/messages/${onC}/vote`, { body: { options: ['Tue'] } })

    const expected = {
      options: [
        { name: 'Mon', votes: 0, voters: [] },
        { name: 'Tue', votes: 2, voters: [jid(B), jid(C)] },
        { name: 'Wed', votes: 0, voters: [] },
      ],
    }
    await waitFor(async () => JSON.stringify((await server.call('GET', `/${A}/messages/${poll}/votes`)).body) === JSON.stringify(expected))
    expect((await server.call('GET', `/${B}/messages/${onB}/votes`)).body).toEqual(expected)

    await server.deps.ingest.idle()
    const events = (await server.deps.events.outbox.replay(A, 0, 1000)).filter((e) => e.event === 'poll.vote').map((e) => JSON.parse(e.body))
    expect(events.map((e) => [e.payload.vote.from, e.payload.vote.selectedOptions, e.payload.vote.fromMe])).toEqual([
      [jid(B), ['Tue'], false],
      [jid(C), ['Mon'], false],
      [jid(C), ['Tue'], false],
    ])
    expect(events[0].payload.poll).toEqual({ id: poll, chatId: group, fromMe: true, from: jid(A), to: group })
    const own = (await server.deps.events.outbox.replay(B, 0, 1000)).filter((e) => e.event === 'poll.vote').map((e) => JSON.parse(e.body))
    expect(own[0].payload.vote).toMatchObject({ id: onB, from: jid(B), fromMe: true, selectedOptions: ['Tue'] })

    // Withdrawing the vote.
    await server.call('POST', `/${B}/messages/${onB}/vote`, { body: { options: [] } })
    await waitFor(async () => (await server.call<typeof expected>('GET', `/${A}/messages/${poll}/votes`)).body.options[1]!.votes === 1)
  })

  test('400 for unknown options, several on a single-answer poll, and a message that is not a poll; 404 unknown', async () => {
    const poll = (await server.call<{ messageId: string }>('POST', `/${A}/send-poll`, { body: { chatId: B, name: 'One?', options: ['x', 'y'] } })).body.messageId
    const text = await sendText(server, A, B, 'not a poll')
    for (const [id, options, words] of [
      [poll, ['z'], 'Not an option'],
      [poll, ['x', 'y'], 'one answer'],
      [text, ['x'], 'not a poll'],
    ] as const) {
      const response = await server.call('POST', `/${A}/messages/${id}/vote`, { body: { options } })
      expect(response.status).toBe(400)
      expect(String(response.body.error)).toContain(words)
    }
    expect((await server.call('GET', `/${A}/messages/${text}/votes`)).status).toBe(400)
    expect((await server.call('GET', `/${A}/messages/true_${jid(B)}_3EB0FFFFFFFFFFFFFFFF/votes`)).status).toBe(404)
    const multi = (await server.call<{ messageId: string }>('POST', `/${A}/send-poll`, { body: { chatId: B, name: 'Many?', options: ['x', 'y'], multipleAnswers: true } })).body.messageId
    expect((await server.call('POST', `/${A}/messages/${multi}/vote`, { body: { options: ['x', 'y'] } })).status).toBe(200)
    expect((await server.call('GET', `/${A}/messages/${multi}/votes`)).body).toEqual({
      options: [
        { name: 'x', votes: 1, voters: [jid(A)] },
        { name: 'y', votes: 1, voters: [jid(A)] },
      ],
    })
  })
})
