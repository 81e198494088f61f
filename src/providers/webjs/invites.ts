/**
 * Issue 13 part A on whatsapp-web.js: group invites, membership requests and the group
 * picture. whatsapp-web.js hands back WhatsApp Web's own objects here (`getInviteInfo`
 * answers `object`, requests carry wids as `Object`), so they are read field by field
 * with checks; its "false" answers and WhatsApp's refusals become the typed errors the
 * routes expect.
 */
import type WAWebJS from 'whatsapp-web.js'
import { BadRequestError, ForbiddenError, NotFoundError, UpstreamError } from '../../errors'
import type { GroupInviteInfo, MembershipRequest } from '../engine'
import type { WebjsClient, WGroupChat } from './client'
import { describeError } from './errors'

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

/** A wid as WhatsApp Web serializes it out of the page: `{_serialized}`, `{user, server}`, or already a string. */
export function widOf(value: unknown): string | undefined {
  if (typeof value === 'string' && value.includes('@')) return value
  if (!isRecord(value)) return undefined
  if (typeof value._serialized === 'string') return value._serialized
  if (typeof value.user === 'string' && typeof value.server === 'string') return `${value.user}@${value.server}`
  return undefined
}

/** WhatsApp answers an unknown or reset invite code with a status error (404, 406 or 410). */
export function isInvalidInviteError(error: unknown): boolean {
  return /\b(400|404|406|410)\b|not[- ]?found|invalid|revoked|gone/i.test(describeError(error))
}

export function invalidInvite(): NotFoundError {
  return new NotFoundError('This invite link is not valid: it is mistyped, or an admin reset it')
}

/** `queryGroupInvite`'s group metadata → what the route shows before joining. */
export function inviteInfoOf(raw: object): GroupInviteInfo {
  const info = raw as Record<string, unknown>
  const groupId = widOf(info.id)
  if (!groupId) throw new UpstreamError('WhatsApp Web answered the invite query without a group id')
  const description = typeof info.desc === 'string' ? info.desc : typeof info.description === 'string' ? info.description : null
  const participants = Array.isArray(info.participants) ? info.participants.length : 0
  const creation = typeof info.creation === 'number' ? info.creation : undefined
  return {
    groupId,
    subject: typeof info.subject === 'string' ? info.subject : '',
    description: description === '' ? null : description,
    owner: widOf(info.owner) ?? null,
    size: typeof info.size === 'number' ? info.size : participants,
    membershipApproval: info.membershipApprovalMode === true,
    ...(creation !== undefined && { createdAt: creation }),
  }
}

export async function getInviteInfo(client: WebjsClient, code: string): Promise<GroupInviteInfo> {
  let raw: object
  try {
    raw = await client.getInviteInfo(code)
  } catch (error) {
    if (isInvalidInviteError(error)) throw invalidInvite()
    throw error
  }
  if (!isRecord(raw)) throw invalidInvite()
  return inviteInfoOf(raw)
}

export function isMember(group: WGroupChat, meId: string | undefined): boolean {
  return meId !== undefined && group.participants.some((p) => p.id._serialized === meId)
}

export function requireAdmin(group: WGroupChat, meId: string | undefined, what: string): void {
  const me = group.participants.find((p) => p.id._serialized === meId)
  if (!me?.isAdmin && !me?.isSuperAdmin) throw new ForbiddenError(`Only group admins can ${what}`, { groupId: group.id._serialized })
}

/** The new link; whatsapp-web.js's `revokeInvite` is typed void, so the new code is read back. */
export async function revokeInvite(group: WGroupChat): Promise<string> {
  await group.revokeInvite()
  const code = await group.getInviteCode()
  if (!code) throw new UpstreamError('WhatsApp Web reset the invite link but gave no new one')
  return `https://chat.whatsapp.com/${code}`
}

export async function deletePicture(group: WGroupChat): Promise<void> {
  if (!(await group.deletePicture())) {
    throw new ForbiddenError("WhatsApp refused to remove the group's picture: this account is not allowed to (it may need to be an admin)", { groupId: group.id._serialized })
  }
}

export function toMembershipRequest(request: WAWebJS.GroupMembershipRequest): MembershipRequest | undefined {
  const id = widOf(request.id)
  if (!id) return undefined
  const addedBy = widOf(request.addedBy)
  return {
    id,
    requestedAt: typeof request.t === 'number' ? request.t : 0,
    ...(addedBy !== undefined && addedBy !== id && { addedBy }),
    ...(typeof request.requestMethod === 'string' && { method: request.requestMethod }),
  }
}

export async function membershipRequests(client: WebjsClient, groupId: string): Promise<MembershipRequest[]> {
  const requests = await client.getGroupMembershipRequests(groupId)
  return requests.flatMap((request) => toMembershipRequest(request) ?? [])
}

/**
 * Approves or rejects the given requesters. Checked first against the pending requests (a
 * number without one is a 400, as on the simulator); WhatsApp's per-requester errors are
 * reported when it handled none.
 */
export async function reviewRequests(client: WebjsClient, groupId: string, participants: string[], approve: boolean): Promise<string[]> {
  const pending = new Set((await membershipRequests(client, groupId)).map((request) => request.id))
  const unknown = participants.filter((id) => !pending.has(id))
  if (unknown.length > 0) throw new BadRequestError(`No pending request from: ${unknown.join(', ')}`, { participants: unknown })
  const options: WAWebJS.MembershipRequestActionOptions = { requesterIds: participants, sleep: null }
  const results = approve ? await client.approveGroupMembershipRequests(groupId, options) : await client.rejectGroupMembershipRequests(groupId, options)
  const requesterIds = (result: WAWebJS.MembershipRequestActionResult) => (Array.isArray(result.requesterId) ? result.requesterId : result.requesterId ? [result.requesterId] : [])
  const failed = results.filter((result) => result.error !== undefined)
  const handled = results.filter((result) => result.error === undefined).flatMap(requesterIds)
  if (handled.length === 0 && failed.length > 0) {
    throw new UpstreamError(`WhatsApp did not ${approve ? 'approve' : 'reject'} the requests`, {
      results: failed.map((result) => ({ participants: requesterIds(result), error: result.error, message: result.message })),
    })
  }
  return handled.length > 0 ? handled : participants
}
