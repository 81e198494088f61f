/**
 * Groups of the simulated network: one shared record per group, so every member sees
 * the same subject, participants and admins, with WhatsApp's rules:
 * - the creator is the super admin and cannot be removed or demoted;
 * - only admins add, remove, promote and demote, read the invite link and change the
 *   settings; subject, description and picture are admin-only when `infoAdminsOnly`;
 * - when the last admin leaves, the longest-standing member becomes admin.
 * Every change is told to every member as a group notification.
 */
import { randomBytes } from 'node:crypto'
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError } from '../../errors'
import type { GroupDTO, GroupInviteInfo, GroupUpdate, MediaFile, MembershipRequest, ParticipantAction } from '../engine'
import { jid, nowSeconds, type GroupNotification } from './wire'

export interface GroupMember {
  isAdmin: boolean
  isSuperAdmin: boolean
  /** Order of joining, for picking a new admin. */
  joinedAt: number
}

export interface GroupState {
  id: string
  subject: string
  description: string | null
  /** Phone number of the creator. */
  owner: string
  participants: Map<string, GroupMember>
  messagesAdminsOnly: boolean
  infoAdminsOnly: boolean
  createdAt: number
  inviteCode?: string
  picture?: MediaFile
  /** Admins approve who joins by invite link. */
  membershipApproval?: boolean
  /** Who asked to join (phone → when, unix seconds), while `membershipApproval` is on. */
  requests?: Map<string, { requestedAt: number; method: string }>
}

export type Notify = (phone: string, notification: GroupNotification) => void

let joinCounter = 0

function member(isAdmin: boolean, isSuperAdmin = false): GroupMember {
  return { isAdmin, isSuperAdmin, joinedAt: ++joinCounter }
}

function groupId(): string {
  // New-style group ids: 120363 followed by 12 digits.
  const digits = Array.from(randomBytes(12), (b) => String(b % 10)).join('')
  return `120363${digits}@g.us`
}

function inviteCode(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
  return Array.from(randomBytes(22), (b) => alphabet[b % alphabet.length]).join('')
}

export class GroupRegistry {
  private readonly groups = new Map<string, GroupState>()

  constructor(private readonly notify: Notify) {}

  dto(group: GroupState): GroupDTO {
    return {
      id: group.id,
      subject: group.subject,
      description: group.description,
      owner: jid(group.owner),
      participants: [...group.participants.entries()].map(([phone, m]) => ({ id: jid(phone), isAdmin: m.isAdmin, isSuperAdmin: m.isSuperAdmin })),
      messagesAdminsOnly: group.messagesAdminsOnly,
      infoAdminsOnly: group.infoAdminsOnly,
      createdAt: group.createdAt,
      membershipApproval: group.membershipApproval === true,
    }
  }

  /** Every group, for the durable state. */
  all(): GroupState[] {
    return [...this.groups.values()]
  }

  /** Brings groups back from the durable state (at boot, before any session runs). */
  restore(groups: readonly GroupState[]): void {
    for (const group of groups) {
      this.groups.set(group.id, group)
      for (const { joinedAt } of group.participants.values()) joinCounter = Math.max(joinCounter, joinedAt)
    }
  }

  get(id: string): GroupState | undefined {
    return this.groups.get(id)
  }

  forMember(phone: string): GroupState[] {
    return [...this.groups.values()].filter((g) => g.participants.has(phone))
  }

  /** The group, when `phone` is in it; 404 otherwise (unknown groups and left ones alike). */
  requireMember(phone: string, id: string): GroupState {
    const group = this.groups.get(id)
    if (!group || !group.participants.has(phone)) throw new NotFoundError(`Group ${id} not found among this number's groups`)
    return group
  }

  isAdmin(group: GroupState, phone: string): boolean {
    return group.participants.get(phone)?.isAdmin === true
  }

  create(owner: string, subject: string, participants: string[], membershipApproval = false): GroupState {
    const now = nowSeconds()
    const group: GroupState = {
      id: groupId(),
      subject,
      description: null,
      owner,
      participants: new Map([[owner, member(true, true)]]),
      messagesAdminsOnly: false,
      infoAdminsOnly: false,
      createdAt: now,
      ...(membershipApproval && { membershipApproval }),
    }
    for (const phone of participants) if (phone !== owner) group.participants.set(phone, member(false))
    this.groups.set(group.id, group)
    for (const phone of group.participants.keys()) this.notify(phone, { type: 'join', groupId: group.id, subject, timestamp: now })
    return group
  }

  update(actor: string, id: string, update: GroupUpdate): GroupState {
    const group = this.requireMember(actor, id)
    const admin = this.isAdmin(group, actor)
    const changesInfo = update.subject !== undefined || update.description !== undefined
    const changesSettings = update.messagesAdminsOnly !== undefined || update.infoAdminsOnly !== undefined || update.membershipApproval !== undefined
    if (changesSettings && !admin) throw new ForbiddenError('Only group admins can change the group settings')
    if (changesInfo && group.infoAdminsOnly && !admin) throw new ForbiddenError('Only group admins can edit the group info in this group')
    if (update.subject !== undefined) group.subject = update.subject
    if (update.description !== undefined) group.description = update.description === '' ? null : update.description
    if (update.messagesAdminsOnly !== undefined) group.messagesAdminsOnly = update.messagesAdminsOnly
    if (update.infoAdminsOnly !== undefined) group.infoAdminsOnly = update.infoAdminsOnly
    if (update.membershipApproval !== undefined) group.membershipApproval = update.membershipApproval
    this.broadcast(group, {
      type: 'update',
      groupId: id,
      ...(update.subject !== undefined && { subject: update.subject }),
      ...(update.description !== undefined && { description: update.description }),
      author: jid(actor),
      timestamp: nowSeconds(),
    })
    return group
  }

  setPicture(actor: string, id: string, picture: MediaFile): void {
    const group = this.requireMember(actor, id)
    if (group.infoAdminsOnly && !this.isAdmin(group, actor)) throw new ForbiddenError('Only group admins can change the picture of this group')
    group.picture = picture
    this.broadcast(group, { type: 'update', groupId: id, author: jid(actor), timestamp: nowSeconds() })
  }

  inviteLink(actor: string, id: string): string {
    const group = this.requireMember(actor, id)
    if (!this.isAdmin(group, actor)) throw new ForbiddenError('Only group admins can read the invite link')
    group.inviteCode ??= inviteCode()
    return `https://chat.whatsapp.com/${group.inviteCode}`
  }

  // ─── Invites and membership requests (issue 13 part A) ─────────────────────

  /** The group an invite code opens; 404 for a code never issued or revoked since. */
  private byInviteCode(code: string): GroupState {
    const group = [...this.groups.values()].find((g) => g.inviteCode !== undefined && g.inviteCode === code)
    if (!group) throw new NotFoundError('This invite link is not valid: it is mistyped, or an admin reset it')
    return group
  }

  inviteInfo(code: string): GroupInviteInfo {
    const group = this.byInviteCode(code)
    return {
      groupId: group.id,
      subject: group.subject,
      description: group.description,
      owner: jid(group.owner),
      size: group.participants.size,
      membershipApproval: group.membershipApproval === true,
      createdAt: group.createdAt,
    }
  }

  /** Joins by invite: at once, or as a request when admins approve members (asking again keeps the first request). */
  join(phone: string, code: string): { group: GroupState; pending: boolean } {
    const group = this.byInviteCode(code)
    if (group.participants.has(phone)) throw new ConflictError(`Already a member of ${group.id}`, { groupId: group.id })
    if (group.membershipApproval) {
      group.requests ??= new Map()
      if (!group.requests.has(phone)) group.requests.set(phone, { requestedAt: nowSeconds(), method: 'InviteLink' })
      return { group, pending: true }
    }
    this.admit(group, phone, phone)
    return { group, pending: false }
  }

  /** Admin-only: a new code; the old link stops working. */
  revokeInvite(actor: string, id: string): string {
    const group = this.requireMember(actor, id)
    if (!this.isAdmin(group, actor)) throw new ForbiddenError('Only group admins can reset the invite link')
    let code = inviteCode()
    while (code === group.inviteCode) code = inviteCode()
    group.inviteCode = code
    return `https://chat.whatsapp.com/${code}`
  }

  deletePicture(actor: string, id: string): void {
    const group = this.requireMember(actor, id)
    if (group.infoAdminsOnly && !this.isAdmin(group, actor)) throw new ForbiddenError('Only group admins can change the picture of this group')
    delete group.picture
    this.broadcast(group, { type: 'update', groupId: id, author: jid(actor), timestamp: nowSeconds() })
  }

  requestsOf(actor: string, id: string): MembershipRequest[] {
    const group = this.requireMember(actor, id)
    if (!this.isAdmin(group, actor)) throw new ForbiddenError('Only group admins can see membership requests')
    return [...(group.requests ?? new Map()).entries()]
      .sort((a, b) => a[1].requestedAt - b[1].requestedAt)
      .map(([phone, request]) => ({ id: jid(phone), requestedAt: request.requestedAt, method: request.method }))
  }

  /** Approves (they join) or rejects requests; 400 naming numbers that have no pending request. */
  review(actor: string, id: string, phones: string[], approve: boolean): string[] {
    const group = this.requireMember(actor, id)
    if (!this.isAdmin(group, actor)) throw new ForbiddenError(`Only group admins can ${approve ? 'approve' : 'reject'} membership requests`)
    const requests = group.requests ?? new Map()
    const unknown = phones.filter((phone) => !requests.has(phone))
    if (unknown.length > 0) throw new BadRequestError(`No pending request from: ${unknown.map(jid).join(', ')}`, { participants: unknown.map(jid) })
    for (const phone of phones) {
      requests.delete(phone)
      if (approve && !group.participants.has(phone)) this.admit(group, phone, actor)
    }
    return phones.map(jid)
  }

  /** A new member: told it joined, the others told who added (or, by link, who joined). */
  private admit(group: GroupState, phone: string, author: string): void {
    const now = nowSeconds()
    group.participants.set(phone, member(false))
    this.notify(phone, { type: 'join', groupId: group.id, subject: group.subject, timestamp: now })
    this.broadcast(group, { type: 'participants', groupId: group.id, action: 'add', participants: [jid(phone)], author: jid(author), timestamp: now })
  }

  /**
   * Applies a participant action. `exists` tells whether a number is on WhatsApp (for adds).
   * Throws 400 naming the numbers that cannot take part, 403 for a non-admin actor.
   */
  participants(actor: string, id: string, action: ParticipantAction, phones: string[], exists: (phone: string) => boolean): GroupState {
    const group = this.requireMember(actor, id)
    if (!this.isAdmin(group, actor)) throw new ForbiddenError(`Only group admins can ${action} participants`)
    const now = nowSeconds()
    const jids = phones.map(jid)
    if (action === 'add') {
      const unknown = phones.filter((p) => !exists(p))
      if (unknown.length > 0) throw new BadRequestError(`Not on WhatsApp: ${unknown.map(jid).join(', ')}`, { participants: unknown.map(jid) })
      const already = phones.filter((p) => group.participants.has(p))
      if (already.length > 0) throw new BadRequestError(`Already in the group: ${already.map(jid).join(', ')}`, { participants: already.map(jid) })
      for (const phone of phones) {
        group.participants.set(phone, member(false))
        group.requests?.delete(phone)
      }
      for (const phone of phones) this.notify(phone, { type: 'join', groupId: id, subject: group.subject, timestamp: now })
      this.broadcast(group, { type: 'participants', groupId: id, action, participants: jids, author: jid(actor), timestamp: now })
      return group
    }
    const outside = phones.filter((p) => !group.participants.has(p))
    if (outside.length > 0) throw new BadRequestError(`Not in the group: ${outside.map(jid).join(', ')}`, { participants: outside.map(jid) })
    if (action === 'remove') {
      if (phones.includes(actor)) throw new BadRequestError('To remove yourself, leave the group')
      if (phones.includes(group.owner)) throw new ForbiddenError("The group's creator cannot be removed")
      this.broadcast(group, { type: 'participants', groupId: id, action, participants: jids, author: jid(actor), timestamp: now })
      for (const phone of phones) {
        group.participants.delete(phone)
        this.notify(phone, { type: 'leave', groupId: id, timestamp: now })
      }
      return group
    }
    if (action === 'demote' && phones.includes(group.owner)) throw new ForbiddenError("The group's creator cannot be demoted")
    for (const phone of phones) group.participants.get(phone)!.isAdmin = action === 'promote'
    this.broadcast(group, { type: 'participants', groupId: id, action, participants: jids, author: jid(actor), timestamp: now })
    return group
  }

  leave(actor: string, id: string): void {
    const group = this.requireMember(actor, id)
    const now = nowSeconds()
    group.participants.delete(actor)
    this.notify(actor, { type: 'leave', groupId: id, timestamp: now })
    this.broadcast(group, { type: 'participants', groupId: id, action: 'remove', participants: [jid(actor)], author: jid(actor), timestamp: now })
    const remaining = [...group.participants.entries()]
    if (remaining.length > 0 && !remaining.some(([, m]) => m.isAdmin)) {
      const [heir, heirMember] = remaining.sort((a, b) => a[1].joinedAt - b[1].joinedAt)[0]!
      heirMember.isAdmin = true
      this.broadcast(group, { type: 'participants', groupId: id, action: 'promote', participants: [jid(heir)], timestamp: now })
    }
  }

  private broadcast(group: GroupState, notification: GroupNotification): void {
    for (const phone of group.participants.keys()) this.notify(phone, notification)
  }
}
