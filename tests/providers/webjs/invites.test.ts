/**
 * Issue 13 part A on the webjs engine against the typed fake Client: which whatsapp-web.js
 * call each operation makes (acceptInvite, getInviteInfo, revokeInvite, deletePicture,
 * membership requests, getAbout, saveOrEditAddressbookContact, sendPresence…,
 * deleteProfilePicture, revokeStatusMessage, voice Status) and how its answers and
 * refusals map back to typed errors.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, NotSupportedError } from '../../../src/errors'
import type { EngineSession } from '../../../src/providers/engine'
import { until, webjsHarness, type WebjsHarness } from '../harness'
import type { FakeWhatsApp } from './fake-client'

const PHONE = '15550001111'
const ME = `${PHONE}@c.us`
const PEER = '15550002222'
const PEER_JID = `${PEER}@c.us`
const OTHER_JID = '15550003333@c.us'

let harness: WebjsHarness
let engine: EngineSession
let world: FakeWhatsApp

beforeAll(async () => {
  harness = webjsHarness()
  engine = harness.open(PHONE).engine
  world = harness.world
  await engine.start()
  await until(() => engine.snapshot().status === 'SCAN_QR_CODE', 'the QR')
  world.scan(PHONE, 'Support desk')
  await until(() => engine.snapshot().status === 'WORKING', 'WORKING')
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

let groups = 0
/** A group in WhatsApp Web's store; `meAdmin` decides whether this account is in it as an admin (null: not in it). */
function group(options: { meAdmin: boolean | null; approval?: boolean; code?: string }) {
  const id = `12036300000000${String(++groups).padStart(4, '0')}@g.us`
  const participants = [{ id: PEER_JID, isAdmin: true, isSuperAdmin: true }]
  if (options.meAdmin !== null) participants.push({ id: ME, isAdmin: options.meAdmin, isSuperAdmin: false })
  world.chat(id, {
    name: `Group ${groups}`,
    group: {
      owner: PEER_JID,
      description: 'About the group',
      participants,
      announce: false,
      restrict: false,
      creation: 1767225600,
      inviteCode: options.code ?? `InviteCode${String(groups).padStart(12, '0')}`,
      membershipApproval: options.approval === true,
    },
  })
  return { id, code: world.chats.get(id)!.group!.inviteCode! }
}

describe('invites', () => {
  test("getInviteInfo's WhatsApp Web metadata maps to the invite info; an unknown code is 404", async () => {
    const { id, code } = group({ meAdmin: null })
    expect(await engine.getInviteInfo(code)).toEqual({
      groupId: id,
      subject: `Group ${groups}`,
      description: 'About the group',
      owner: PEER_JID,
      size: 1,
      membershipApproval: false,
      createdAt: 1767225600,
    })
    expect(world.callsOf('getInviteInfo')).toEqual([[code]])
    expect(await errorOf(() => engine.getInviteInfo('UnknownCode000000000000'))).toBeInstanceOf(NotFoundError)
  })

  test('joinGroup: invite info first, then acceptInvite; already a member is 409; approval groups answer pending', async () => {
    const open = group({ meAdmin: null })
    expect(await engine.joinGroup(open.code)).toEqual({ groupId: open.id, pending: false })
    expect(world.callsOf('acceptInvite')).toEqual([[open.code]])
    expect((await engine.getGroup(open.id)).participants.map((p) => p.id)).toContain(ME)

    world.calls.length = 0
    expect(await errorOf(() => engine.joinGroup(open.code))).toBeInstanceOf(ConflictError)
    expect(world.callsOf('acceptInvite')).toEqual([])

    const guarded = group({ meAdmin: null, approval: true })
    expect(await engine.joinGroup(guarded.code)).toEqual({ groupId: guarded.id, pending: true })
    expect(world.chats.get(guarded.id)!.group!.requests?.map((r) => r.id)).toEqual([ME])

    expect(await errorOf(() => engine.joinGroup('UnknownCode000000000000'))).toBeInstanceOf(NotFoundError)
  })

  test('revokeInviteLink: admins only; revokeInvite then the new code read back', async () => {
    const asMember = group({ meAdmin: false })
    expect(await errorOf(() => engine.revokeInviteLink(asMember.id))).toBeInstanceOf(ForbiddenError)
    expect(world.callsOf('revokeInvite')).toEqual([])

    const asAdmin = group({ meAdmin: true })
    const link = await engine.revokeInviteLink(asAdmin.id)
    expect(world.callsOf('revokeInvite')).toEqual([[asAdmin.id]])
    expect(link).toMatch(/^https:\/\/chat\.whatsapp\.com\/FakeInviteCode\d+$/)
    expect(link).not.toContain(asAdmin.code)
    expect(await engine.getInviteLink(asAdmin.id)).toBe(link)
    expect(await errorOf(() => engine.revokeInviteLink('120363999999999999@g.us'))).toBeInstanceOf(NotFoundError)
  })
})

describe('group picture and membership requests', () => {
  test("deleteGroupPicture calls GroupChat.deletePicture; its false (not allowed) is 403", async () => {
    const { id } = group({ meAdmin: true })
    await engine.deleteGroupPicture(id)
    expect(world.callsOf('deletePicture')).toEqual([[id]])
    world.behaviour.notAdmin = true
    expect(await errorOf(() => engine.deleteGroupPicture(id))).toBeInstanceOf(ForbiddenError)
  })

  test('requests are listed, approved and rejected through the Client; unknown requesters 400; non-admins 403', async () => {
    const { id } = group({ meAdmin: true })
    world.chats.get(id)!.group!.requests = [
      { id: OTHER_JID, t: 1767225601 },
      { id: '15550004444@c.us', t: 1767225602 },
    ]
    expect(await engine.listMembershipRequests(id)).toEqual([
      { id: OTHER_JID, requestedAt: 1767225601, method: 'InviteLink' },
      { id: '15550004444@c.us', requestedAt: 1767225602, method: 'InviteLink' },
    ])
    expect(world.callsOf('getGroupMembershipRequests')).toEqual([[id]])

    const unknown = await errorOf(() => engine.reviewMembershipRequests(id, ['15550005555@c.us'], true))
    expect(unknown).toBeInstanceOf(BadRequestError)
    expect(world.callsOf('approveGroupMembershipRequests')).toEqual([])

    expect(await engine.reviewMembershipRequests(id, [OTHER_JID], true)).toEqual([OTHER_JID])
    expect(world.callsOf('approveGroupMembershipRequests')).toEqual([[id, { requesterIds: [OTHER_JID], sleep: null }]])
    expect((await engine.getGroup(id)).participants.map((p) => p.id)).toContain(OTHER_JID)
    expect(await engine.reviewMembershipRequests(id, ['15550004444@c.us'], false)).toEqual(['15550004444@c.us'])
    expect(world.callsOf('rejectGroupMembershipRequests')).toHaveLength(1)
    expect(await engine.listMembershipRequests(id)).toEqual([])

    const asMember = group({ meAdmin: false })
    expect(await errorOf(() => engine.listMembershipRequests(asMember.id))).toBeInstanceOf(ForbiddenError)
    expect(await errorOf(() => engine.reviewMembershipRequests(asMember.id, [OTHER_JID], true))).toBeInstanceOf(ForbiddenError)
  })

  test('a group created with membership approval passes membershipApprovalMode to createGroup', async () => {
    const created = await engine.createGroup('Guarded', [PEER_JID], { membershipApproval: true })
    expect(world.callsOf('createGroup')).toEqual([['Guarded', [PEER_JID], { membershipApprovalMode: true }]])
    expect(created.membershipApproval).toBe(true)
    world.calls.length = 0
    const plain = await engine.createGroup('Open', [PEER_JID])
    expect(world.callsOf('createGroup')).toEqual([['Open', [PEER_JID], undefined]])
    expect(plain.membershipApproval).toBe(false)
  })

  test('membership approval cannot be changed on an existing group through whatsapp-web.js: 501', async () => {
    const { id } = group({ meAdmin: true })
    expect(await errorOf(() => engine.updateGroup(id, { membershipApproval: true }))).toBeInstanceOf(NotSupportedError)
    expect((await engine.getGroup(id)).membershipApproval).toBe(false)
  })
})

describe('contacts, presence, profile and Status', () => {
  test("getContactAbout reads Contact.getAbout (null without one); saveContact syncs to the phone's address book", async () => {
    world.contacts.set(PEER_JID, { pushname: 'Peer', isMyContact: false, isBusiness: false, isBlocked: false, about: 'Busy' })
    expect(await engine.getContactAbout(PEER_JID)).toBe('Busy')
    world.contacts.set(OTHER_JID, { pushname: 'Other', isMyContact: false, isBusiness: false, isBlocked: false })
    expect(await engine.getContactAbout(OTHER_JID)).toBeNull()

    await engine.saveContact(PEER_JID, { firstName: 'Sara', lastName: 'Ahmed' })
    await engine.saveContact(OTHER_JID, { firstName: 'Omar' })
    expect(world.callsOf('saveOrEditAddressbookContact')).toEqual([
      [PEER, 'Sara', 'Ahmed', true],
      ['15550003333', 'Omar', '', true],
    ])
    expect(await engine.getContact(PEER_JID)).toMatchObject({ name: 'Sara Ahmed', isMyContact: true })
    expect(await errorOf(() => engine.saveContact('123456789@lid', { firstName: 'X' }))).toBeInstanceOf(BadRequestError)
  })

  test('own presence is sendPresenceAvailable / sendPresenceUnavailable; the profile picture goes with deleteProfilePicture', async () => {
    await engine.setOwnPresence('online')
    await engine.setOwnPresence('offline')
    expect(world.calls.map((c) => c.method)).toEqual(['sendPresenceAvailable', 'sendPresenceUnavailable'])
    await engine.deleteProfilePicture()
    expect(world.callsOf('deleteProfilePicture')).toEqual([[]])
  })

  test('a voice Status is sent to status@broadcast as a voice note; deleteStatus revokes own Status posts only', async () => {
    const voice = await engine.postStatus({ type: 'voice', media: { data: new Uint8Array([0x4f, 0x67, 0x67, 0x53]), mimeType: 'audio/ogg; codecs=opus' } })
    const [chatId, , options] = world.callsOf('sendMessage')[0]!
    expect(chatId).toBe('status@broadcast')
    expect(options).toMatchObject({ sendAudioAsVoice: true, sendSeen: false })
    expect(voice).toMatchObject({ chatId: 'status@broadcast', type: 'voice', fromMe: true })

    await engine.deleteStatus(voice.id)
    expect(world.callsOf('revokeStatusMessage')).toEqual([[voice.id]])

    const direct = await engine.send({ chatId: PEER_JID, content: { type: 'text', text: 'not a status' } })
    expect(await errorOf(() => engine.deleteStatus(direct.id))).toBeInstanceOf(BadRequestError)
    expect(await errorOf(() => engine.deleteStatus('true_status@broadcast_3EB0NOSUCHMESSAGE'))).toBeInstanceOf(NotFoundError)
    expect(world.callsOf('revokeStatusMessage')).toHaveLength(1)
  })
})
