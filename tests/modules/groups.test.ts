/**
 * Groups between three linked numbers: every change made by one member is visible from
 * the other members' side (their own API calls, and the group.v2.* events they get).
 */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import type { SessionEvent } from '../../src/events/bus'
import { createTestServer, waitFor, type TestServer } from '../helpers/app'
import { A, B, C, historyWhen, jid, PNG_BASE64, sendText } from '../helpers/whatsapp'

interface Participant {
  id: string
  isAdmin: boolean
  isSuperAdmin: boolean
}
interface Group {
  id: string
  subject: string
  description: string | null
  owner: string | null
  participants: Participant[]
  messagesAdminsOnly: boolean
  infoAdminsOnly: boolean
}

let server: TestServer
let events: SessionEvent[]

beforeEach(async () => {
  server = await createTestServer()
  events = []
  server.deps.bus.subscribe((event) => {
    if (event.event.type.startsWith('group.')) events.push(event)
  })
  await server.link(A)
  await server.link(B)
  await server.link(C)
})
afterEach(async () => {
  await server.close()
})

async function groupOf(phone: string, groupId: string): Promise<{ status: number; body: Group }> {
  return server.call<Group>('GET', `/${phone}/group/${groupId}`)
}

function participant(group: Group, phone: string): Participant | undefined {
  return group.participants.find((p) => p.id === jid(phone))
}

function eventsOf(phone: string, type: string) {
  return events.filter((e) => e.session === phone && e.event.type === type).map((e) => e.event)
}

async function createGroup(): Promise<string> {
  const created = await server.call<Group & { groupId: string }>('POST', `/${A}/group/create`, { body: { name: 'Support team', participants: [`+${B}`] } })
  expect(created.status).toBe(200)
  return created.body.groupId
}

describe('groups, seen from every member', () => {
  test('create, info, rename, description, add/remove/promote/demote, invite link, leave', async () => {
    // ── create: A is the creator (super admin), B a member ─────────────────────
    const created = await server.call<Group & { groupId: string }>('POST', `/${A}/group/create`, { body: { name: 'Support team', participants: [`+${B}`] } })
    expect(created.status).toBe(200)
    const groupId = created.body.groupId
    expect(groupId).toMatch(/^\d+@g\.us$/)
    expect(created.body).toMatchObject({ id: groupId, subject: 'Support team', owner: jid(A), description: null })
    expect(participant(created.body, A)).toEqual({ id: jid(A), isAdmin: true, isSuperAdmin: true })
    expect(participant(created.body, B)).toEqual({ id: jid(B), isAdmin: false, isSuperAdmin: false })

    // B sees the group (list and info), and got group.v2.join.
    await waitFor(() => eventsOf(B, 'group.v2.join').length === 1)
    expect(eventsOf(B, 'group.v2.join')[0]).toMatchObject({ group: { id: groupId, subject: 'Support team' } })
    const bGroups = await server.call<{ groups: Group[] }>('GET', `/${B}/groups`)
    expect(bGroups.body.groups.map((g) => g.id)).toEqual([groupId])
    const bInfo = await groupOf(B, groupId)
    expect(bInfo.status).toBe(200)
    expect(bInfo.body.owner).toBe(jid(A))
    expect(participant(bInfo.body, A)?.isSuperAdmin).toBe(true)
    // C is not in it.
    expect((await server.call<{ groups: Group[] }>('GET', `/${C}/groups`)).body.groups).toEqual([])
    expect((await groupOf(C, groupId)).status).toBe(404)

    // ── rename and description: B sees both, and the chat name follows ──────────
    const renamed = await server.call<Group>('PUT', `/${A}/group/${groupId}`, { body: { subject: 'Support (EMEA)' } })
    expect(renamed.status).toBe(200)
    expect(renamed.body.subject).toBe('Support (EMEA)')
    const described = await server.call<Group>('PUT', `/${A}/group/${groupId}`, { body: { description: 'Shifts and handovers' } })
    expect(described.body.description).toBe('Shifts and handovers')
    expect((await groupOf(B, groupId)).body).toMatchObject({ subject: 'Support (EMEA)', description: 'Shifts and handovers' })
    await waitFor(() => eventsOf(B, 'group.v2.update').length === 2)
    expect(eventsOf(B, 'group.v2.update')[0]).toMatchObject({ group: { id: groupId, subject: 'Support (EMEA)' }, author: jid(A) })
    expect((await server.call<{ name: string }>('GET', `/${B}/chat/${groupId}`)).body.name).toBe('Support (EMEA)')

    // ── a member who is not admin may not manage participants ──────────────────
    const refused = await server.call('POST', `/${B}/group/${groupId}/participants/add`, { body: { participants: [C] } })
    expect(refused.status).toBe(403)
    expect(refused.body).toMatchObject({ code: 'FORBIDDEN' })

    // ── add C: C sees the group, B sees C ──────────────────────────────────────
    const added = await server.call<Group>('POST', `/${A}/group/${groupId}/participants/add`, { body: { participants: [jid(C)] } })
    expect(added.status).toBe(200)
    expect(participant(added.body, C)).toBeDefined()
    expect(participant((await groupOf(B, groupId)).body, C)).toEqual({ id: jid(C), isAdmin: false, isSuperAdmin: false })
    expect((await groupOf(C, groupId)).status).toBe(200)
    await waitFor(() => eventsOf(C, 'group.v2.join').length === 1 && eventsOf(B, 'group.v2.participants').length === 1)
    expect(eventsOf(B, 'group.v2.participants')[0]).toMatchObject({ action: 'add', participants: [jid(C)], author: jid(A) })

    // ── promote B: B is admin on every side, and may now read the invite link ──
    const promoted = await server.call<Group>('POST', `/${A}/group/${groupId}/participants/promote`, { body: { participants: [B] } })
    expect(participant(promoted.body, B)?.isAdmin).toBe(true)
    expect(participant((await groupOf(C, groupId)).body, B)?.isAdmin).toBe(true)
    const linkByB = await server.call<{ inviteLink: string }>('GET', `/${B}/group/${groupId}/invite-link`)
    expect(linkByB.status).toBe(200)
    expect(linkByB.body.inviteLink).toMatch(/^https:\/\/chat\.whatsapp\.com\/[A-Za-z0-9]{22}$/)
    const linkByA = await server.call<{ inviteLink: string }>('GET', `/${A}/group/${groupId}/invite-link`)
    expect(linkByA.body.inviteLink).toBe(linkByB.body.inviteLink)

    // ── demote B: not admin any more, the invite link is refused ──────────────
    const demoted = await server.call<Group>('POST', `/${A}/group/${groupId}/participants/demote`, { body: { participants: [B] } })
    expect(participant(demoted.body, B)?.isAdmin).toBe(false)
    expect(participant((await groupOf(B, groupId)).body, B)?.isAdmin).toBe(false)
    expect((await server.call('GET', `/${B}/group/${groupId}/invite-link`)).status).toBe(403)
    // The creator can be neither demoted nor removed.
    expect((await server.call('POST', `/${A}/group/${groupId}/participants/promote`, { body: { participants: [C] } })).status).toBe(200)
    expect((await server.call('POST', `/${C}/group/${groupId}/participants/demote`, { body: { participants: [A] } })).status).toBe(403)
    expect((await server.call('POST', `/${C}/group/${groupId}/participants/remove`, { body: { participants: [A] } })).status).toBe(403)
    expect((await server.call('POST', `/${A}/group/${groupId}/participants/demote`, { body: { participants: [C] } })).status).toBe(200)

    // ── remove C: C no longer has the group, B no longer sees C ────────────────
    const removed = await server.call<Group>('POST', `/${A}/group/${groupId}/participants/remove`, { body: { participants: [C] } })
    expect(removed.status).toBe(200)
    expect(participant(removed.body, C)).toBeUndefined()
    expect(participant((await groupOf(B, groupId)).body, C)).toBeUndefined()
    expect((await groupOf(C, groupId)).status).toBe(404)
    await waitFor(() => eventsOf(C, 'group.v2.leave').length === 1)

    // ── A (the only admin) leaves: B sees A gone, and is made admin ────────────
    const left = await server.call('POST', `/${A}/group/${groupId}/leave`)
    expect(left.status).toBe(200)
    expect((await groupOf(A, groupId)).status).toBe(404)
    expect((await server.call<{ groups: Group[] }>('GET', `/${A}/groups`)).body.groups).toEqual([])
    const afterLeave = (await groupOf(B, groupId)).body
    expect(participant(afterLeave, A)).toBeUndefined()
    expect(participant(afterLeave, B)?.isAdmin).toBe(true)
    await waitFor(() => eventsOf(B, 'group.v2.participants').some((e) => e.type === 'group.v2.participants' && e.action === 'remove' && e.author === jid(A)))
    await waitFor(() => eventsOf(A, 'group.v2.leave').length === 1)
  })

  test('group messages reach every member with their author; replies and reactions work in groups', async () => {
    const groupId = await createGroup()
    await server.call('POST', `/${A}/group/${groupId}/participants/add`, { body: { participants: [C] } })
    const id = await sendText(server, A, groupId, 'Hello team')
    expect(id).toStartWith(`true_${groupId}_`)
    const [atB] = await historyWhen(server, B, groupId, (m) => m.length === 1)
    expect(atB).toMatchObject({ body: 'Hello team', fromMe: false, participant: jid(A), from: groupId })
    const [atC] = await historyWhen(server, C, groupId, (m) => m.length === 1)
    expect(atC!.participant).toBe(jid(A))
    // Double ticks only when every member got it; blue only when every member read it.
    await historyWhen(server, A, groupId, (m) => m[0]?.ackName === 'DEVICE')
    await server.call('POST', `/${B}/chat/${groupId}/seen`)
    await Bun.sleep(20)
    expect((await historyWhen(server, A, groupId, (m) => m.length === 1))[0]!.ackName).toBe('DEVICE')
    await server.call('POST', `/${C}/chat/${groupId}/seen`)
    await historyWhen(server, A, groupId, (m) => m[0]?.ackName === 'READ')

    await sendText(server, B, groupId, 'Hi A', { quotedMsgId: atB!.id })
    const atA = await historyWhen(server, A, groupId, (m) => m.length === 2)
    expect(atA[0]).toMatchObject({ body: 'Hi A', participant: jid(B), replyTo: { id } })
    await server.call('POST', `/${C}/messages/${atC!.id}/react`, { body: { 'emoji': '🎉' } })
    await historyWhen(server, A, groupId, (m) => m.find((x) => x.id === id)?.reactions?.[0]?.emoji === '🎉')
  })

  test('settings: admins-only messages and info are enforced for members', async () => {
    const groupId = await createGroup()
    const locked = await server.call<Group>('PUT', `/${A}/group/${groupId}`, { body: { messagesAdminsOnly: true, infoAdminsOnly: true } })
    expect(locked.body).toMatchObject({ messagesAdminsOnly: true, infoAdminsOnly: true })
    expect((await groupOf(B, groupId)).body).toMatchObject({ messagesAdminsOnly: true, infoAdminsOnly: true })
    const send = await server.call('POST', `/${B}/send-text`, { body: { chatId: groupId, text: 'may I?' } })
    expect(send.status).toBe(403)
    expect((await server.call('PUT', `/${B}/group/${groupId}`, { body: { subject: 'Mine now' } })).status).toBe(403)
    expect((await server.call('PUT', `/${B}/group/${groupId}`, { body: { messagesAdminsOnly: false } })).status).toBe(403)
    expect((await server.call('PUT', `/${B}/group/${groupId}/picture`, { body: { imageUrl: PNG_BASE64, mimeType: 'image/png' } })).status).toBe(403)
    expect((await server.call('POST', `/${A}/send-text`, { body: { chatId: groupId, text: 'admins only' } })).status).toBe(200)
  })

  test('the group picture set by one member is seen by the others', async () => {
    const groupId = await createGroup()
    expect((await server.call('GET', `/${B}/contact/${groupId}/profile-picture`)).body).toEqual({ url: null })
    const set = await server.call('PUT', `/${A}/group/${groupId}/picture`, { body: { imageUrl: `data:image/png;base64,${PNG_BASE64}` } })
    expect(set.status).toBe(200)
    const seen = await server.call<{ url: string }>('GET', `/${B}/contact/${groupId}/profile-picture`)
    expect(seen.body.url).toBe(`data:image/png;base64,${PNG_BASE64}`)
    expect((await server.call('GET', `/${C}/contact/${groupId}/profile-picture`)).status).toBe(404)
  })

  test('a new group with no messages has an empty history; failures are explicit', async () => {
    const groupId = await createGroup()
    const empty = await server.call<{ messages: unknown[]; hasMore: boolean }>('GET', `/${B}/messages/${groupId}`)
    expect(empty.body).toEqual({ messages: [], hasMore: false })

    const unknownGroup = '120363000000000000@g.us'
    for (const [method, path, body] of [
      ['GET', `/${A}/group/${unknownGroup}`, undefined],
      ['PUT', `/${A}/group/${unknownGroup}`, { subject: 'x' }],
      ['POST', `/${A}/group/${unknownGroup}/leave`, undefined],
      ['POST', `/${A}/group/${unknownGroup}/participants/add`, { participants: [B] }],
      ['GET', `/${A}/group/${unknownGroup}/invite-link`, undefined],
      ['PUT', `/${A}/group/${unknownGroup}/picture`, { imageUrl: PNG_BASE64, mimeType: 'image/png' }],
      ['POST', `/${A}/send-text`, { chatId: unknownGroup, text: 'hi' }],
    ] as const) {
      const response = await server.call(method, path, body === undefined ? {} : { body })
      expect(response.status, `${method} ${path}`).toBe(404)
    }

    const notOnWhatsApp = await server.call('POST', `/${A}/group/create`, { body: { name: 'x', participants: ['966599999999'] } })
    expect(notOnWhatsApp.status).toBe(400)
    expect(notOnWhatsApp.body.error).toContain('966599999999@c.us')
    const already = await server.call('POST', `/${A}/group/${groupId}/participants/add`, { body: { participants: [B] } })
    expect(already.status).toBe(400)
    const notMember = await server.call('POST', `/${A}/group/${groupId}/participants/remove`, { body: { participants: [C] } })
    expect(notMember.status).toBe(400)
    const badId = await server.call('GET', `/${A}/group/${B}`)
    expect(badId.status).toBe(400)
    expect(badId.body.error).toContain('groupId')
    const emptyUpdate = await server.call('PUT', `/${A}/group/${groupId}`, { body: {} })
    expect(emptyUpdate.status).toBe(400)
    const longSubject = await server.call('PUT', `/${A}/group/${groupId}`, { body: { subject: 'x'.repeat(101) } })
    expect(longSubject.status).toBe(400)
    expect(longSubject.body.error).toContain('subject')
    const badParticipant = await server.call('POST', `/${A}/group/create`, { body: { name: 'x', participants: ['not-a-number'] } })
    expect(badParticipant.status).toBe(400)
    expect(badParticipant.body.error).toContain('participants[0]')
  })
})
