/**
 * Issue 13 on the webjs engine against the typed fake Client: chat actions, message star
 * and pins, polls and `vote_update` — which whatsapp-web.js call each makes, and how its
 * answers (including its "false" refusals) map back.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import { BadRequestError, NotFoundError } from '../../../src/errors'
import type { EngineEvent, EngineSession, MessageDTO } from '../../../src/providers/engine'
import { until, webjsHarness, type SessionHandle, type WebjsHarness } from '../harness'
import type { FakeClient, FakeWhatsApp } from './fake-client'

const PHONE = '15550001111'
const PEER = '15550002222'
const PEER_JID = `${PEER}@c.us`

let harness: WebjsHarness
let handle: SessionHandle
let engine: EngineSession
let world: FakeWhatsApp
let client: FakeClient

beforeAll(async () => {
  harness = webjsHarness()
  handle = harness.open(PHONE)
  world = harness.world
  engine = handle.engine
  await engine.start()
  await until(() => engine.snapshot().status === 'SCAN_QR_CODE', 'the QR')
  world.scan(PHONE, 'Support desk')
  await until(() => engine.snapshot().status === 'WORKING', 'WORKING')
  client = world.current
})
afterAll(async () => {
  await engine.stop()
  await harness.close()
})
beforeEach(() => {
  world.calls.length = 0
  world.behaviour.notAdmin = false
})

async function errorOf(work: () => Promise<unknown>): Promise<unknown> {
  return work().then(
    () => undefined,
    (error: unknown) => error,
  )
}

async function sentText(text: string): Promise<MessageDTO> {
  return engine.send({ chatId: PEER_JID, content: { type: 'text', text } })
}

describe('chat actions map onto Chat methods', () => {
  test('archive / unarchive, pin / unpin, markUnread, mute / unmute show in the chat DTO', async () => {
    await sentText('hello')
    await engine.archiveChat(PEER_JID, true)
    expect(world.callsOf('archive')).toEqual([[PEER_JID]])
    expect((await engine.getChat(PEER_JID)).archived).toBe(true)
    await engine.archiveChat(PEER_JID, false)
    expect(world.callsOf('unarchive')).toEqual([[PEER_JID]])

    await engine.pinChat(PEER_JID, true)
    expect((await engine.getChat(PEER_JID)).pinned).toBe(true)
    expect((await engine.listChats({ page: 1, limit: 10, pinned: true })).items.map((c) => c.id)).toEqual([PEER_JID])
    await engine.pinChat(PEER_JID, false)
    expect((await engine.getChat(PEER_JID)).pinned).toBe(false)

    await engine.markUnread(PEER_JID)
    expect(await engine.getChat(PEER_JID)).toMatchObject({ markedUnread: true, unreadCount: 0 })
    expect((await engine.listChats({ page: 1, limit: 10, unread: true })).items.map((c) => c.id)).toEqual([PEER_JID])

    const until = Math.floor(Date.now() / 1000) + 3600
    await engine.muteChat(PEER_JID, until)
    expect((world.callsOf('mute').at(-1)![1] as Date).getTime()).toBe(until * 1000)
    expect((await engine.getChat(PEER_JID)).muteExpiration).toBe(until)
    await engine.muteChat(PEER_JID)
    expect(world.callsOf('mute').at(-1)![1]).toBeUndefined()
    expect((await engine.getChat(PEER_JID)).muteExpiration).toBe(-1)
    await engine.unmuteChat(PEER_JID)
    expect((await engine.getChat(PEER_JID)).muteExpiration).toBeNull()
  })

  test('a fourth pin is a 400 (whatsapp-web.js answers false); unknown chats are 404', async () => {
    for (const n of ['15550003001', '15550003002', '15550003003', '15550003004']) world.chat(`${n}@c.us`)
    for (const n of ['15550003001', '15550003002', '15550003003']) await engine.pinChat(`${n}@c.us`, true)
    const error = await errorOf(() => engine.pinChat('15550003004@c.us', true))
    expect(error).toBeInstanceOf(BadRequestError)
    expect((error as Error).message).toContain('At most 3')
    for (const n of ['15550003001', '15550003002', '15550003003']) await engine.pinChat(`${n}@c.us`, false)
    expect(await errorOf(() => engine.archiveChat('15559999999@c.us', true))).toBeInstanceOf(NotFoundError)
    expect(await errorOf(() => engine.deleteChat('15559999999@c.us'))).toBeInstanceOf(NotFoundError)
  })

  test('clear and delete', async () => {
    const chatId = '15550004444@c.us'
    world.chat(chatId)
    await engine.send({ chatId, content: { type: 'text', text: 'bye' } })
    await engine.clearChat(chatId)
    expect(world.callsOf('clearMessages')).toEqual([[chatId]])
    expect(world.chats.get(chatId)!.messages).toEqual([])
    await engine.deleteChat(chatId)
    expect(world.callsOf('deleteChat')).toEqual([[chatId]])
    expect(await errorOf(() => engine.getChat(chatId))).toBeInstanceOf(NotFoundError)
  })
})

describe('message star and pins', () => {
  test('star / unstar call Message.star / unstar', async () => {
    const sent = await sentText('star me')
    await engine.starMessage(sent.id, true)
    await engine.starMessage(sent.id, false)
    expect(world.callsOf('star')).toEqual([[sent.id]])
    expect(world.callsOf('unstar')).toEqual([[sent.id]])
    expect(await errorOf(() => engine.starMessage(`true_${PEER_JID}_3EB0NOTTHERE`, true))).toBeInstanceOf(NotFoundError)
  })

  test("pin passes WhatsApp's duration; a refusal (false) is a 400; unpin of an unpinned message is a 400", async () => {
    const sent = await sentText('pin me')
    await engine.pinMessage(sent.id, 604800)
    expect(world.callsOf('pin')).toEqual([[sent.id, 604800]])
    await engine.unpinMessage(sent.id)
    expect(await errorOf(() => engine.unpinMessage(sent.id))).toBeInstanceOf(BadRequestError)
    world.behaviour.notAdmin = true
    expect(await errorOf(() => engine.pinMessage(sent.id, 86400))).toBeInstanceOf(BadRequestError)
  })
})

describe('polls', () => {
  test('vote checks the options, calls Message.vote, and vote_update becomes poll.vote on both sides', async () => {
    const poll = await engine.send({ chatId: PEER_JID, content: { type: 'poll', name: 'When?', options: ['Mon', 'Tue'], multipleAnswers: false } })
    const before = handle.events.length
    await engine.votePoll(poll.id, ['Tue'])
    expect(world.callsOf('vote')).toEqual([[poll.id, ['Tue']]])
    await until(() => handle.events.slice(before).some((e) => e.type === 'poll.vote'), 'the own poll.vote')
    const own = handle.events.slice(before).find((e): e is Extract<EngineEvent, { type: 'poll.vote' }> => e.type === 'poll.vote')!
    expect(own).toMatchObject({ chatId: PEER_JID, pollMessageId: poll.id, voter: `${PHONE}@c.us`, fromMe: true, selectedOptions: ['Tue'] })

    const message = (await client.getMessageById(poll.id)) as Parameters<FakeClient['pollVote']>[0]
    const mark = handle.events.length
    client.pollVote(message, PEER_JID, ['Mon'], 1_767_225_600_000)
    await until(() => handle.events.slice(mark).some((e) => e.type === 'poll.vote'), "the peer's poll.vote")
    expect(handle.events.slice(mark).find((e) => e.type === 'poll.vote')).toEqual({
      type: 'poll.vote',
      chatId: PEER_JID,
      pollMessageId: poll.id,
      voter: PEER_JID,
      fromMe: false,
      selectedOptions: ['Mon'],
      timestamp: 1_767_225_600,
    })

    expect(await engine.getPollVotes(poll.id)).toEqual({
      options: [
        { name: 'Mon', votes: 1, voters: [PEER_JID] },
        { name: 'Tue', votes: 1, voters: [`${PHONE}@c.us`] },
      ],
    })
  })

  test('400 for unknown options, two on a single-answer poll, or a message that is not a poll — before whatsapp-web.js is called', async () => {
    const poll = await engine.send({ chatId: PEER_JID, content: { type: 'poll', name: 'One?', options: ['a', 'b'], multipleAnswers: false } })
    const text = await sentText('not a poll')
    expect(await errorOf(() => engine.votePoll(poll.id, ['c']))).toBeInstanceOf(BadRequestError)
    expect(await errorOf(() => engine.votePoll(poll.id, ['a', 'b']))).toBeInstanceOf(BadRequestError)
    expect(await errorOf(() => engine.votePoll(text.id, ['a']))).toBeInstanceOf(BadRequestError)
    expect(await errorOf(() => engine.getPollVotes(text.id))).toBeInstanceOf(BadRequestError)
    expect(world.callsOf('vote')).toEqual([])
  })
})
