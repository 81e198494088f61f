/**
 * Two numbers linked on one server talk to each other through the HTTP API only: every
 * kind of message, history on the receiving side, media bytes, replies, reactions,
 * edits, deletes for everyone and read receipts.
 */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { createTestServer, waitFor, type TestServer } from '../helpers/app'
import { A, B, history, historyWhen, jid, PDF, PNG, PNG_BASE64, sendText } from '../helpers/whatsapp'

let server: TestServer

beforeEach(async () => {
  server = await createTestServer()
  await server.link(A)
  await server.link(B)
})
afterEach(async () => {
  await server.close()
})

describe('a conversation between two linked numbers', () => {
  test('A sends every kind of message; B sees each in order, downloads the image, replies; A reacts, edits, deletes; B reads', async () => {
    // ── A sends text, image (base64), file, location, contact, poll ─────────────
    const textId = await sendText(server, A, `+${B}`, 'Hello B')
    expect(textId).toStartWith(`true_${jid(B)}_`)

    const image = await server.call<{ messageId: string; timestamp: number }>('POST', `/${A}/send-image`, {
      body: { chatId: B, imageUrl: PNG_BASE64, mimeType: 'image/png', caption: 'A picture' },
    })
    expect(image.status).toBe(200)
    expect(typeof image.body.timestamp).toBe('number')

    const file = await server.call('POST', `/${A}/send-file`, {
      body: { chatId: jid(B), fileUrl: `data:application/pdf;base64,${Buffer.from(PDF).toString('base64')}`, filename: 'report.pdf' },
    })
    expect(file.status).toBe(200)

    const location = await server.call('POST', `/${A}/send-location`, {
      body: { chatId: B, latitude: 24.7136, longitude: 46.6753, name: 'Head office', address: 'King Fahd Rd' },
    })
    expect(location.status).toBe(200)

    const contact = await server.call('POST', `/${A}/send-contact`, {
      body: { chatId: B, contacts: [{ fullName: 'Sara Ahmed', phoneNumber: '+966500000009' }] },
    })
    expect(contact.status).toBe(200)

    const poll = await server.call('POST', `/${A}/send-poll`, { body: { chatId: B, name: 'Lunch?', options: ['Pizza', 'Sushi'], multipleAnswers: true } })
    expect(poll.status).toBe(200)

    // ── B's history: newest first, each with its type ───────────────────────────
    const received = await historyWhen(server, B, jid(A), (messages) => messages.length === 6)
    expect(received.map((m) => m.type)).toEqual(['poll', 'contact', 'location', 'document', 'image', 'text'])
    expect(received.every((m) => !m.fromMe && m.from === jid(A))).toBe(true)
    const [bPoll, bContact, bLocation, bFile, bImage, bText] = received as [typeof received[0], ...typeof received]
    expect(bText!.body).toBe('Hello B')
    expect(bImage!).toMatchObject({ body: 'A picture', hasMedia: true, media: { mimetype: 'image/png', size: PNG.byteLength } })
    expect(bFile!).toMatchObject({ hasMedia: true, media: { mimetype: 'application/pdf', filename: 'report.pdf' } })
    expect(bLocation!.location).toEqual({ latitude: 24.7136, longitude: 46.6753, name: 'Head office', address: 'King Fahd Rd' })
    expect(bContact!.vcards?.[0]).toContain('FN:Sara Ahmed')
    expect(bContact!.vcards?.[0]).toContain('waid=966500000009')
    expect(bPoll!.poll).toEqual({ name: 'Lunch?', options: ['Pizza', 'Sushi'], multipleAnswers: true })

    // A's own history has the same six, sent by A, delivered to B's device.
    const sent = await historyWhen(server, A, jid(B), (messages) => messages.length === 6 && messages.every((m) => m.ack === 2))
    expect(sent.map((m) => m.type)).toEqual(['poll', 'contact', 'location', 'document', 'image', 'text'])
    expect(sent.every((m) => m.fromMe && m.ackName === 'DEVICE')).toBe(true)
    expect(sent.at(-1)!.id).toBe(textId)

    // ── B downloads A's image: the same bytes, the right type ──────────────────
    // Absolute under PUBLIC_URL, as in the event payload: the link is fetched as is.
    expect(bImage!.media!.url).toBe(`${server.config.publicUrl}/api/whatsapp/${B}/messages/${encodeURIComponent(jid(A))}/${encodeURIComponent(bImage!.id)}/media`)
    const download = await server.request('GET', new URL(bImage!.media!.url).pathname.replace('/api/whatsapp', ''))
    expect(download.status).toBe(200)
    expect(download.headers.get('content-type')).toBe('image/png')
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(PNG)
    const pdf = await server.request('GET', `/${B}/messages/${jid(A)}/${bFile!.id}/media`)
    expect(pdf.headers.get('content-type')).toBe('application/pdf')
    expect(pdf.headers.get('content-disposition')).toContain('attachment; filename="report.pdf"')
    expect(new Uint8Array(await pdf.arrayBuffer())).toEqual(PDF)

    // ── B replies quoting A's text ────────────────────────────────────────────
    const replyId = await sendText(server, B, A, 'Hi A, got it', { quotedMsgId: bText!.id })
    const bSide = await history(server, B, jid(A))
    expect(bSide.messages[0]).toMatchObject({ id: replyId, fromMe: true, replyTo: { id: bText!.id } })
    const aSide = await historyWhen(server, A, jid(B), (messages) => messages.length === 7)
    const aReply = aSide[0]!
    expect(aReply).toMatchObject({ type: 'text', body: 'Hi A, got it', fromMe: false, replyTo: { id: textId } })

    // ── A reacts to B's reply; both sides see the reaction ─────────────────────
    const react = await server.call('POST', `/${A}/messages/${aReply.id}/react`, { body: { emoji: '👍' } })
    expect(react.status).toBe(200)
    expect((await history(server, A, jid(B))).messages[0]!.reactions).toEqual([expect.objectContaining({ emoji: '👍', from: jid(A) })])
    const reacted = await historyWhen(server, B, jid(A), (messages) => messages[0]?.reactions?.length === 1)
    expect(reacted[0]!.reactions![0]).toMatchObject({ emoji: '👍', from: jid(A) })

    // ── A edits its text, then deletes it for everyone ──────────────────────────
    const edit = await server.call('POST', `/${A}/messages/${textId}/edit`, { body: { text: 'Hello B (edited)' } })
    expect(edit.status).toBe(200)
    const edited = await historyWhen(server, B, jid(A), (messages) => messages.find((m) => m.id === bText!.id)?.edited === true)
    expect(edited.find((m) => m.id === bText!.id)!.body).toBe('Hello B (edited)')
    expect((await history(server, A, jid(B))).messages.find((m) => m.id === textId)).toMatchObject({ body: 'Hello B (edited)', edited: true })

    const del = await server.call('POST', `/${A}/messages/${image.body.messageId}/delete`, { body: { forEveryone: true } })
    expect(del.status).toBe(200)
    const revoked = await historyWhen(server, B, jid(A), (messages) => messages.find((m) => m.id === bImage!.id)?.type === 'revoked')
    expect(revoked.find((m) => m.id === bImage!.id)).toMatchObject({ body: '', hasMedia: false })
    expect((await server.call('GET', `/${B}/messages/${jid(A)}/${bImage!.id}/media`)).status).toBe(404)
    expect((await history(server, A, jid(B))).messages.find((m) => m.id === image.body.messageId)!.type).toBe('revoked')

    // ── B marks the chat seen: A's messages turn READ ─────────────────────────
    const seen = await server.call('POST', `/${B}/chat/${jid(A)}/seen`)
    expect(seen.status).toBe(200)
    const read = await historyWhen(server, A, jid(B), (messages) => messages.filter((m) => m.fromMe).every((m) => m.ack === 3))
    expect(read.filter((m) => m.fromMe).every((m) => m.ackName === 'READ')).toBe(true)
    const chat = await server.call<{ unreadCount: number }>('GET', `/${B}/chat/${jid(A)}`)
    expect(chat.body.unreadCount).toBe(0)
  })

  test('chats are listed with their last message and paginated with a total', async () => {
    await sendText(server, A, B, 'one')
    await server.call('POST', `/${A}/sandbox/incoming`, { body: { from: '966511111111', text: 'from outside' } })
    await server.call('POST', `/${A}/sandbox/incoming`, { body: { from: '966522222222', text: 'another' } })
    const all = await server.call<{ chats: Array<{ id: string; name: string; lastMessage?: { body: string } }>; total: number; page: number; hasMore: boolean }>(
      'GET',
      `/${A}/chats`,
    )
    expect(all.status).toBe(200)
    expect(all.body.total).toBe(3)
    expect(all.body.chats.map((c) => c.id).sort()).toEqual([jid(B), '966511111111@c.us', '966522222222@c.us'].sort())
    const withB = all.body.chats.find((c) => c.id === jid(B))!
    expect(withB.lastMessage?.body).toBe('one')
    expect(withB.name).toBe(`Simulated ${B}`)

    const page1 = await server.call<{ chats: unknown[]; total: number; hasMore: boolean; page: number }>('GET', `/${A}/chats?limit=2&page=1`)
    expect(page1.body).toMatchObject({ total: 3, hasMore: true, page: 1 })
    expect(page1.body.chats).toHaveLength(2)
    const page2 = await server.call<{ chats: unknown[]; total: number; hasMore: boolean }>('GET', `/${A}/chats?limit=2&page=2`)
    expect(page2.body).toMatchObject({ total: 3, hasMore: false })
    expect(page2.body.chats).toHaveLength(1)
    expect((await server.call<{ total: number }>('GET', `/${A}/chats?archived=true`)).body.total).toBe(0)
    expect((await server.call<{ total: number }>('GET', `/${A}/chats?archived=false`)).body.total).toBe(3)
  })

  test('history pages newest first with limit, before and hasMore', async () => {
    const ids: string[] = []
    for (let i = 1; i <= 5; i++) ids.push(await sendText(server, A, B, `message ${i}`))
    const first = await history(server, A, jid(B), '?limit=2')
    expect(first.messages.map((m) => m.body)).toEqual(['message 5', 'message 4'])
    expect(first.hasMore).toBe(true)
    const second = await history(server, A, jid(B), `?limit=2&before=${first.messages[1]!.id}`)
    expect(second.messages.map((m) => m.body)).toEqual(['message 3', 'message 2'])
    expect(second.hasMore).toBe(true)
    const third = await history(server, A, jid(B), `?limit=2&before=${second.messages[1]!.id}`)
    expect(third.messages.map((m) => m.body)).toEqual(['message 1'])
    expect(third.hasMore).toBe(false)
    expect((await history(server, A, jid(B))).messages).toHaveLength(5)
    expect(ids[0]).toBe(third.messages[0]!.id)
  })

  test('forward sends a copy, marked forwarded, with its media', async () => {
    const image = await server.call<{ messageId: string }>('POST', `/${A}/send-image`, { body: { chatId: B, imageUrl: `data:image/png;base64,${PNG_BASE64}` } })
    const forwarded = await server.call<{ messageId: string }>('POST', `/${A}/messages/${image.body.messageId}/forward`, { body: { chatId: '966511111111' } })
    expect(forwarded.status).toBe(200)
    expect(forwarded.body.messageId).toStartWith('true_966511111111@c.us_')
    const copy = (await history(server, A, '966511111111@c.us')).messages[0]!
    expect(copy).toMatchObject({ type: 'image', isForwarded: true, hasMedia: true })
    const bytes = await server.request('GET', `/${A}/messages/966511111111@c.us/${copy.id}/media`)
    expect(new Uint8Array(await bytes.arrayBuffer())).toEqual(PNG)
  })

  test('mentions are carried to the other side', async () => {
    await sendText(server, A, B, `Hi @${B}`, { mentions: [`+${B}`] })
    const [message] = await historyWhen(server, B, jid(A), (messages) => messages.length === 1)
    expect(message!.mentions).toEqual([jid(B)])
  })

  test('delete for me removes the message from this number only', async () => {
    const id = await sendText(server, A, B, 'oops')
    await historyWhen(server, B, jid(A), (messages) => messages.length === 1)
    const deleted = await server.call('POST', `/${A}/messages/${id}/delete`)
    expect(deleted.status).toBe(200)
    expect((await history(server, A, jid(B))).messages).toHaveLength(0)
    expect((await history(server, B, jid(A))).messages[0]!.body).toBe('oops')
    expect((await server.call('POST', `/${A}/messages/${id}/react`, { body: { emoji: '👍' } })).status).toBe(404)
  })

  test('presence reaches the other side as a presence.update event', async () => {
    const events: Array<{ session: string; type: string; state?: string; participant?: string }> = []
    server.deps.bus.subscribe((event) => {
      if (event.event.type === 'presence.update') events.push({ session: event.session, type: event.event.type, state: event.event.state, participant: event.event.participant })
    })
    const typing = await server.call('POST', `/${A}/chat/${B}/presence`, { body: { state: 'typing' } })
    expect(typing.status).toBe(200)
    await waitFor(() => events.length > 0)
    await Bun.sleep(20)
    expect(events).toEqual([{ session: B, type: 'presence.update', state: 'typing', participant: jid(A) }])
  })

  test('Status posts are stored in status@broadcast and reach contacts', async () => {
    expect((await history(server, A, 'status@broadcast')).messages).toEqual([])
    await sendText(server, B, A, 'hi') // B has a chat with A: B sees A's Status
    const text = await server.call<{ messageId: string }>('POST', `/${A}/status`, { body: { type: 'text', text: 'Open until 22:00', backgroundColor: '#38b42f' } })
    expect(text.status).toBe(200)
    expect(text.body.messageId).toStartWith('true_status@broadcast_')
    const image = await server.call('POST', `/${A}/status`, { body: { type: 'image', imageUrl: `data:image/png;base64,${PNG_BASE64}`, caption: 'Today' } })
    expect(image.status).toBe(200)
    const viaSendText = await server.call('POST', `/${A}/send-text`, { body: { chatId: 'status@broadcast', text: 'via send-text' } })
    expect(viaSendText.status).toBe(200)
    const mine = await history(server, A, 'status@broadcast')
    expect(mine.messages.map((m) => [m.type, m.body])).toEqual([
      ['text', 'via send-text'],
      ['image', 'Today'],
      ['text', 'Open until 22:00'],
    ])
    const theirs = await historyWhen(server, B, 'status@broadcast', (messages) => messages.length === 3)
    expect(theirs.every((m) => m.participant === jid(A) && !m.fromMe)).toBe(true)
  })
})
