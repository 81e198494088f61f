/**
 * §12 group extras through HTTP on the simulator, between linked numbers: joining by invite
 * code or link, invite info before joining, resetting the link (the old one stops working),
 * approval mode with membership requests approved and rejected, the group picture read and
 * removed, and the participants on their own route — with the failure paths.
 */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import type { SessionEvent } from '../../src/events/bus'
import { createTestServer, waitFor, type TestServer } from '../helpers/app'
import { A, B, C, jid, PNG_BASE64 } from '../helpers/whatsapp'

interface Participant {
  id: string
  isAdmin: boolean
  isSuperAdmin: boolean
}

const D = '966500000004'

let server: TestServer
let events: SessionEvent[]

beforeEach(async () => {
  server = await createTestServer()
  events = []
  server.deps.bus.subscribe((event) => {
    if (event.event.type.startsWith('group.')) events.push(event)
  })
  for (const phone of [A, B, C, D]) await server.link(phone)
})
afterEach(async () => {
  await server.close()
})

function eventsOf(phone: string, type: string) {
  return events.filter((e) => e.session === phone && e.event.type === type).map((e) => e.event)
}

/** A group created by A with B, and its invite link (A is the admin). */
async function groupWithLink(): Promise<{ groupId: string; link: string; code: string }> {
  const created = await server.call<{ groupId: string }>('POST', `/${A}/group/create`, { body: { name: 'Support team', participants: [B] } })
  expect(created.status).toBe(200)
  const link = await server.call<{ inviteLink: string }>('GET', `/${A}/group/${created.body.groupId}/invite-link`)
  expect(link.status).toBe(200)
  return { groupId: created.body.groupId, link: link.body.inviteLink, code: link.body.inviteLink.split('/').pop()! }
}

async function participantIds(phone: string, groupId: string): Promise<string[]> {
  const listed = await server.call<Participant[]>('GET', `/${phone}/group/${groupId}/participants`)
  expect(listed.status).toBe(200)
  return listed.body.map((p) => p.id).sort()
}

describe('joining by invite', () => {
  test('invite info before joining, join by the whole link or the bare code, everyone told; a second join is 409', async () => {
    const { groupId, link, code } = await groupWithLink()

    const info = await server.call('GET', `/${C}/group/invite/${code}`)
    expect(info.status).toBe(200)
    expect(info.body).toMatchObject({ groupId, subject: 'Support team', description: null, owner: jid(A), size: 2, membershipApproval: false })
    // Looking is not joining.
    expect((await server.call('GET', `/${C}/group/${groupId}`)).status).toBe(404)

    const joined = await server.call('POST', `/${C}/group/join`, { body: { invite: link } })
    expect(joined.status).toBe(200)
    expect(joined.body).toEqual({ groupId, pending: false })
    expect((await server.call<{ groups: Array<{ id: string }> }>('GET', `/${C}/groups`)).body.groups.map((g) => g.id)).toEqual([groupId])
    expect(await participantIds(B, groupId)).toEqual([jid(A), jid(B), jid(C)].sort())
    await waitFor(() => eventsOf(C, 'group.v2.join').length === 1 && eventsOf(B, 'group.v2.participants').length === 1)
    expect(eventsOf(C, 'group.v2.join')[0]).toMatchObject({ group: { id: groupId, subject: 'Support team' } })
    expect(eventsOf(B, 'group.v2.participants')[0]).toMatchObject({ action: 'add', participants: [jid(C)], author: jid(C) })
    // The joiner can write to the group at once.
    expect((await server.call('POST', `/${C}/send-text`, { body: { chatId: groupId, text: 'hello all' } })).status).toBe(200)

    // The bare code works as well (also pasted with a trailing slash and a query).
    const byCode = await server.call('POST', `/${D}/group/join`, { body: { invite: `chat.whatsapp.com/${code}/?utm=x` } })
    expect(byCode.body).toEqual({ groupId, pending: false })

    const again = await server.call('POST', `/${C}/group/join`, { body: { invite: code } })
    expect(again.status).toBe(409)
    expect(again.body).toMatchObject({ code: 'CONFLICT' })
  })

  test('a code nobody issued is 404; something that is not a code or link is 400', async () => {
    await groupWithLink()
    const unknown = await server.call('POST', `/${C}/group/join`, { body: { invite: 'https://chat.whatsapp.com/NoSuchCode0123456789ab' } })
    expect(unknown.status).toBe(404)
    expect(unknown.body).toMatchObject({ code: 'NOT_FOUND' })
    expect((await server.call('GET', `/${C}/group/invite/NoSuchCode0123456789ab`)).status).toBe(404)

    for (const invite of ['hello world', 'https://example.com/AbCdEfGhIjKlMnOpQrStUv', 'abc', '']) {
      const bad = await server.call('POST', `/${C}/group/join`, { body: { invite } })
      expect({ invite, status: bad.status }).toEqual({ invite, status: 400 })
    }
    expect((await server.call('POST', `/${C}/group/join`, { body: {} })).status).toBe(400)
    expect((await server.call('GET', `/${C}/group/invite/not-a-code!`)).status).toBe(400)
  })

  test('resetting the link: admins only; the old link stops working, the new one works', async () => {
    const { groupId, link, code } = await groupWithLink()
    const refused = await server.call('POST', `/${B}/group/${groupId}/invite-link/revoke`)
    expect(refused.status).toBe(403)
    expect(refused.body).toMatchObject({ code: 'FORBIDDEN' })
    expect((await server.call('POST', `/${C}/group/${groupId}/invite-link/revoke`)).status).toBe(404)

    const revoked = await server.call<{ inviteLink: string }>('POST', `/${A}/group/${groupId}/invite-link/revoke`)
    expect(revoked.status).toBe(200)
    expect(revoked.body.inviteLink).toMatch(/^https:\/\/chat\.whatsapp\.com\/[A-Za-z0-9]{22}$/)
    expect(revoked.body.inviteLink).not.toBe(link)
    expect((await server.call<{ inviteLink: string }>('GET', `/${A}/group/${groupId}/invite-link`)).body.inviteLink).toBe(revoked.body.inviteLink)

    expect((await server.call('GET', `/${C}/group/invite/${code}`)).status).toBe(404)
    expect((await server.call('POST', `/${C}/group/join`, { body: { invite: link } })).status).toBe(404)
    expect((await server.call('POST', `/${C}/group/join`, { body: { invite: revoked.body.inviteLink } })).body).toEqual({ groupId, pending: false })
  })
})

describe('membership approval', () => {
  test('joins become requests; admins list, reject and approve them; others may not', async () => {
    const { groupId, link } = await groupWithLink()
    expect((await server.call('PUT', `/${B}/group/${groupId}`, { body: { membershipApproval: true } })).status).toBe(403)
    const turnedOn = await server.call('PUT', `/${A}/group/${groupId}`, { body: { membershipApproval: true } })
    expect(turnedOn.status).toBe(200)
    expect(turnedOn.body).toMatchObject({ membershipApproval: true })
    expect((await server.call('GET', `/${B}/group/${groupId}`)).body).toMatchObject({ membershipApproval: true })
    expect((await server.call('GET', `/${C}/group/invite/${link.split('/').pop()}`)).body).toMatchObject({ membershipApproval: true })

    expect((await server.call('POST', `/${C}/group/join`, { body: { invite: link } })).body).toEqual({ groupId, pending: true })
    expect((await server.call('POST', `/${D}/group/join`, { body: { invite: link } })).body).toEqual({ groupId, pending: true })
    // Asking is not being in.
    expect((await server.call('GET', `/${C}/group/${groupId}`)).status).toBe(404)
    expect(await participantIds(A, groupId)).toEqual([jid(A), jid(B)].sort())

    const requests = await server.call<Array<{ id: string; requestedAt: number; method?: string }>>('GET', `/${A}/group/${groupId}/requests`)
    expect(requests.status).toBe(200)
    expect(requests.body.map((r) => r.id).sort()).toEqual([jid(C), jid(D)].sort())
    expect(requests.body[0]).toMatchObject({ method: 'InviteLink' })
    expect(typeof requests.body[0]!.requestedAt).toBe('number')
    expect((await server.call('GET', `/${B}/group/${groupId}/requests`)).status).toBe(403)
    expect((await server.call('POST', `/${B}/group/${groupId}/requests/approve`, { body: { participants: [C] } })).status).toBe(403)

    // Only pending requesters can be approved or rejected.
    const notRequested = await server.call('POST', `/${A}/group/${groupId}/requests/approve`, { body: { participants: [C, B] } })
    expect(notRequested.status).toBe(400)
    expect(notRequested.body).toMatchObject({ details: { participants: [jid(B)] } })
    expect(await participantIds(A, groupId)).toEqual([jid(A), jid(B)].sort())

    const rejected = await server.call('POST', `/${A}/group/${groupId}/requests/reject`, { body: { participants: [`+${D}`] } })
    expect(rejected.status).toBe(200)
    expect(rejected.body).toEqual({ success: true, participants: [jid(D)] })
    const approved = await server.call('POST', `/${A}/group/${groupId}/requests/approve`, { body: { participants: [jid(C)] } })
    expect(approved.body).toEqual({ success: true, participants: [jid(C)] })

    expect(await participantIds(B, groupId)).toEqual([jid(A), jid(B), jid(C)].sort())
    expect((await server.call('GET', `/${D}/group/${groupId}`)).status).toBe(404)
    expect((await server.call<unknown[]>('GET', `/${A}/group/${groupId}/requests`)).body).toEqual([])
    await waitFor(() => eventsOf(C, 'group.v2.join').length === 1)
    await waitFor(() => eventsOf(B, 'group.v2.participants').some((e) => e.type === 'group.v2.participants' && e.participants.includes(jid(C))))
    expect(eventsOf(D, 'group.v2.join')).toEqual([])

    // A group can be created approving members from the start.
    const guarded = await server.call<{ groupId: string; membershipApproval: boolean }>('POST', `/${B}/group/create`, { body: { name: 'Guarded', participants: [A], membershipApproval: true } })
    expect(guarded.body.membershipApproval).toBe(true)
    const guardedLink = (await server.call<{ inviteLink: string }>('GET', `/${B}/group/${guarded.body.groupId}/invite-link`)).body.inviteLink
    expect((await server.call('POST', `/${C}/group/join`, { body: { invite: guardedLink } })).body).toEqual({ groupId: guarded.body.groupId, pending: true })

    // A rejected requester may ask again.
    expect((await server.call('POST', `/${D}/group/join`, { body: { invite: link } })).body).toEqual({ groupId, pending: true })
    expect((await server.call<Array<{ id: string }>>('GET', `/${A}/group/${groupId}/requests`)).body.map((r) => r.id)).toEqual([jid(D)])

    // Bodies are checked.
    expect((await server.call('POST', `/${A}/group/${groupId}/requests/approve`, { body: { participants: [] } })).status).toBe(400)
    expect((await server.call('POST', `/${A}/group/${groupId}/requests/approve`, { body: {} })).status).toBe(400)
    expect((await server.call('POST', `/${A}/group/${groupId}/requests/approve`, { body: { participants: ['not a number'] } })).status).toBe(400)
    expect((await server.call('GET', `/${A}/group/not-a-group/requests`)).status).toBe(400)
  })
})

describe('group picture and participants', () => {
  test('the picture is read by members, removed (admin-only when info is admin-only), then null', async () => {
    const { groupId } = await groupWithLink()
    expect((await server.call('GET', `/${B}/group/${groupId}/picture`)).body).toEqual({ url: null })
    expect((await server.call('PUT', `/${A}/group/${groupId}/picture`, { body: { imageUrl: PNG_BASE64, mimeType: 'image/png' } })).status).toBe(200)
    const seen = await server.call<{ url: string }>('GET', `/${B}/group/${groupId}/picture`)
    expect(seen.status).toBe(200)
    expect(seen.body.url).toBe(`data:image/png;base64,${PNG_BASE64}`)
    expect((await server.call('GET', `/${C}/group/${groupId}/picture`)).status).toBe(404)

    expect((await server.call('PUT', `/${A}/group/${groupId}`, { body: { infoAdminsOnly: true } })).status).toBe(200)
    expect((await server.call('DELETE', `/${B}/group/${groupId}/picture`)).status).toBe(403)
    expect((await server.call('DELETE', `/${C}/group/${groupId}/picture`)).status).toBe(404)
    const updatesBefore = eventsOf(B, 'group.v2.update').length
    expect((await server.call('DELETE', `/${A}/group/${groupId}/picture`)).body).toEqual({ success: true })
    expect((await server.call('GET', `/${B}/group/${groupId}/picture`)).body).toEqual({ url: null })
    await waitFor(() => eventsOf(B, 'group.v2.update').length === updatesBefore + 1)
  })

  test('participants on their own route, with admin flags; 404 outside the group, 400 for a bad id', async () => {
    const { groupId } = await groupWithLink()
    const listed = await server.call<Participant[]>('GET', `/${B}/group/${groupId}/participants`)
    expect(listed.status).toBe(200)
    expect(listed.body.sort((x, y) => x.id.localeCompare(y.id))).toEqual([
      { id: jid(A), isAdmin: true, isSuperAdmin: true },
      { id: jid(B), isAdmin: false, isSuperAdmin: false },
    ])
    expect((await server.call('GET', `/${C}/group/${groupId}/participants`)).status).toBe(404)
    expect((await server.call('GET', `/${A}/group/${jid(B)}/participants`)).status).toBe(400)
  })
})
