/**
 * Issue 13 part B on the webjs engine against the typed fake Client: labels (read,
 * assigned with addOrRemoveLabels, the label.chat events the engine reports, the chat
 * list's label filter), rejecting a ringing call through the `call` event's Call, and
 * channels (getChannels, createChannel, subscribe / unsubscribe, mute, delete, posts
 * through sendMessage) — which whatsapp-web.js call each makes, and how refusals map back.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, UpstreamError } from '../../../src/errors'
import { servesCapability, type EngineSession } from '../../../src/providers/engine'
import { until, webjsHarness, type SessionHandle, type WebjsHarness } from '../harness'
import type { FakeClient, FakeWhatsApp } from './fake-client'

const PHONE = '15550001111'
const PEER_JID = '15550002222@c.us'
const OTHER_JID = '15550003333@c.us'

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
  world.chat(PEER_JID, { name: 'Peer' })
  world.chat(OTHER_JID, { name: 'Other' })
})
afterAll(async () => {
  await engine.stop()
  await harness.close()
})
beforeEach(() => {
  world.calls.length = 0
  world.behaviour.notBusiness = false
  delete world.behaviour.createChannelRefusal
})

async function errorOf(work: () => Promise<unknown>): Promise<unknown> {
  return work().then(
    () => undefined,
    (error: unknown) => error,
  )
}

describe('labels', () => {
  test('getLabels, with the colour as palette index and hex', async () => {
    expect(await engine.getLabels()).toEqual([
      { id: '1', name: 'New customer', color: 1, colorHex: '#64c4ff' },
      { id: '2', name: 'Paid', color: 5, colorHex: '#55ccb3' },
    ])
    expect(world.callsOf('getLabels')).toEqual([[]])
  })

  test("a chat's labels through addOrRemoveLabels, reported as label.chat events; the label filter and the label's chats", async () => {
    const before = handle.events.length
    await engine.setChatLabels(PEER_JID, ['1', '2'])
    expect(world.callsOf('addOrRemoveLabels')).toEqual([[['1', '2'], [PEER_JID]]])
    await engine.setChatLabels(PEER_JID, ['2'])
    expect(handle.events.slice(before).map((e) => (e.type.startsWith('label.') && 'labelId' in e ? [e.type, e.labelId, e.chatId] : e.type))).toEqual([
      ['label.chat.added', '1', PEER_JID],
      ['label.chat.added', '2', PEER_JID],
      ['label.chat.deleted', '1', PEER_JID],
    ])
    expect((await engine.getLabelChats('2')).map((chat) => [chat.id, chat.labels])).toEqual([[PEER_JID, ['2']]])
    expect((await engine.getChat(PEER_JID)).labels).toEqual(['2'])
    expect((await engine.getChat(OTHER_JID)).labels).toEqual([])
    expect(world.callsOf('getChatsByLabelId')).toEqual([['2']])
    const page = await engine.listChats({ page: 1, limit: 10, labelId: '2' })
    expect(page.items.map((chat) => chat.id)).toEqual([PEER_JID])
    expect((await engine.listChats({ page: 1, limit: 10, labelId: '1' })).total).toBe(0)
  })

  test('unknown labels are a 400 (assigning) or a 404 (their chats); an unknown chat is a 404; Messenger accounts a 403', async () => {
    expect(await errorOf(() => engine.setChatLabels(PEER_JID, ['9']))).toBeInstanceOf(BadRequestError)
    expect(await errorOf(() => engine.getLabelChats('9'))).toBeInstanceOf(NotFoundError)
    expect(await errorOf(() => engine.setChatLabels('15550009999@c.us', ['1']))).toBeInstanceOf(NotFoundError)
    world.behaviour.notBusiness = true
    expect(await errorOf(() => engine.setChatLabels(PEER_JID, ['1']))).toBeInstanceOf(ForbiddenError)
  })

  test('labels cannot be created through whatsapp-web.js: labels.manage is not declared, so the route answers 501', () => {
    expect(engine.capabilities.has('labels.manage')).toBe(false)
    expect(servesCapability(engine, 'labels.manage')).toBe(false)
    expect(engine.capabilities.has('labels.assign')).toBe(true)
  })
})

describe('calls', () => {
  test("a ringing call is rejected through its Call's reject(), once; an unknown call is a 404", async () => {
    client.call({ id: 'RING1', from: PEER_JID, timestamp: 1767225600, isVideo: false, isGroup: false, fromMe: false })
    await until(() => handle.events.some((e) => e.type === 'call.received' && e.id === 'RING1'), 'the call')
    await engine.rejectCall('RING1')
    expect(world.callsOf('rejectCall')).toEqual([['RING1']])
    expect(await errorOf(() => engine.rejectCall('RING1'))).toBeInstanceOf(ConflictError)
    expect(await errorOf(() => engine.rejectCall('NOSUCHCALL'))).toBeInstanceOf(NotFoundError)
    // Own calls (from another device of this number) neither ring nor can be rejected here.
    client.call({ id: 'OWN1', from: PEER_JID, timestamp: 1767225601, isVideo: false, isGroup: false, fromMe: true })
    expect(await errorOf(() => engine.rejectCall('OWN1'))).toBeInstanceOf(NotFoundError)
  })
})

describe('channels', () => {
  test('create, list, look up, mute, delete; posts go through sendMessage to the @newsletter id', async () => {
    const created = await engine.createChannel('Store news', 'Offers')
    expect(world.callsOf('createChannel')).toEqual([['Store news', { description: 'Offers' }]])
    expect(created).toMatchObject({ name: 'Store news', description: 'Offers', role: 'OWNER', subscribers: 0 })
    expect(created.id).toEndWith('@newsletter')
    expect(created.invite).toStartWith('https://whatsapp.com/channel/')
    expect(await engine.getChannel(created.id)).toMatchObject({ id: created.id, role: 'OWNER', muted: false })
    expect((await engine.listChannels()).map((c) => c.id)).toContain(created.id)

    const post = await engine.send({ chatId: created.id, content: { type: 'text', text: 'Open on Friday' } })
    expect(world.callsOf('sendMessage')[0]?.[0]).toBe(created.id)
    expect(post.chatId).toBe(created.id)

    // The owner neither follows nor unfollows; deleting is the owner's.
    expect(await errorOf(() => engine.followChannel(created.id, true))).toBeInstanceOf(BadRequestError)
    await engine.deleteChannel(created.id)
    expect(world.callsOf('deleteChannel')).toEqual([[created.id]])
    expect(await errorOf(() => engine.getChannel(created.id))).toBeInstanceOf(NotFoundError)
  })

  test("someone else's channel: GUEST, followed with subscribeToChannel, muted with Channel.mute, not deletable; unfollowed", async () => {
    const id = '120363000000000777@newsletter'
    world.channels.set(id, { id, name: 'City news', description: '', membershipType: 'guest', subscribersCount: 10, isMuted: false, inviteCode: 'CityNews' })
    expect(await engine.getChannel(id)).toEqual({ id, name: 'City news', description: '', role: 'GUEST', subscribers: 10, muted: false, invite: 'https://whatsapp.com/channel/CityNews' })
    expect((await engine.listChannels()).map((c) => c.id)).not.toContain(id)
    expect(await errorOf(() => engine.muteChannel(id, true))).toBeInstanceOf(BadRequestError)

    await engine.followChannel(id, true)
    expect(world.callsOf('subscribeToChannel')).toEqual([[id]])
    expect(await engine.getChannel(id)).toMatchObject({ role: 'SUBSCRIBER', subscribers: 11 })
    expect((await engine.listChannels()).map((c) => c.id)).toContain(id)
    await engine.muteChannel(id, true)
    expect(world.callsOf('muteChannel')).toEqual([[id]])
    expect((await engine.getChannel(id)).muted).toBe(true)
    await engine.muteChannel(id, false)
    expect(world.callsOf('unmuteChannel')).toEqual([[id]])
    expect(await errorOf(() => engine.deleteChannel(id))).toBeInstanceOf(ForbiddenError)
    await engine.followChannel(id, false)
    expect(world.callsOf('unsubscribeFromChannel')).toEqual([[id, undefined]])
    expect((await engine.getChannel(id)).role).toBe('GUEST')
  })

  test('refusals: an unknown channel is a 404; a creation WhatsApp refuses is an upstream error; a chat id is not a channel', async () => {
    expect(await errorOf(() => engine.getChannel('120363000000000999@newsletter'))).toBeInstanceOf(NotFoundError)
    expect(await errorOf(() => engine.followChannel('120363000000000999@newsletter', true))).toBeInstanceOf(NotFoundError)
    expect(await errorOf(() => engine.getChannel(PEER_JID))).toBeInstanceOf(NotFoundError)
    world.behaviour.createChannelRefusal = 'CreateChannelError: A channel creation is not enabled'
    const refused = await errorOf(() => engine.createChannel('Nope'))
    expect(refused).toBeInstanceOf(UpstreamError)
    expect(String((refused as Error).message)).toContain('not enabled')
  })
})
