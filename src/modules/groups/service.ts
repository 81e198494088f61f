/** Groups in the words of the API; WhatsApp's own rules (who may do what) are the engine's to enforce. */
import type { MessagingDeps } from '../../messaging'
import { BadRequestError } from '../../errors'
import { normalizeContactIds, normalizeGroupId } from '../../lib/chat-id'
import type { GroupUpdate, ParticipantAction } from '../../providers/engine'
import type { SessionManager } from '../../sessions/manager'

export class GroupsService {
  constructor(
    private readonly sessions: SessionManager,
    private readonly deps: MessagingDeps,
  ) {}

  async list(phone: string) {
    const engine = await this.sessions.requireConnected(phone, 'groups.list')
    return { groups: await engine.listGroups() }
  }

  async create(phone: string, body: { name: string; participants: string[]; membershipApproval?: boolean }) {
    const participants = normalizeContactIds(body.participants, 'participants')
    const engine = await this.sessions.requireConnected(phone, 'groups.create')
    const group = body.membershipApproval ? await engine.createGroup(body.name, participants, { membershipApproval: true }) : await engine.createGroup(body.name, participants)
    return { groupId: group.id, ...group }
  }

  async get(phone: string, rawGroupId: string) {
    const groupId = normalizeGroupId(rawGroupId)
    const engine = await this.sessions.requireConnected(phone, 'groups.get')
    return engine.getGroup(groupId)
  }

  async update(phone: string, rawGroupId: string, body: GroupUpdate) {
    const groupId = normalizeGroupId(rawGroupId)
    if (Object.values(body).every((value) => value === undefined)) {
      throw new BadRequestError('Give at least one of subject, description, messagesAdminsOnly, infoAdminsOnly, membershipApproval', { field: 'body' })
    }
    const engine = await this.sessions.requireConnected(phone, 'groups.update')
    return engine.updateGroup(groupId, body)
  }

  async leave(phone: string, rawGroupId: string) {
    const groupId = normalizeGroupId(rawGroupId)
    const engine = await this.sessions.requireConnected(phone, 'groups.leave')
    await engine.leaveGroup(groupId)
    return { success: true }
  }

  async participants(phone: string, rawGroupId: string, action: ParticipantAction, raw: string[]) {
    const groupId = normalizeGroupId(rawGroupId)
    const participants = normalizeContactIds(raw, 'participants')
    const engine = await this.sessions.requireConnected(phone, 'groups.participants')
    return engine.updateParticipants(groupId, action, participants)
  }

  async inviteLink(phone: string, rawGroupId: string) {
    const groupId = normalizeGroupId(rawGroupId)
    const engine = await this.sessions.requireConnected(phone, 'groups.inviteLink')
    return { inviteLink: await engine.getInviteLink(groupId) }
  }

  async setPicture(phone: string, rawGroupId: string, body: { imageUrl: string; mimeType?: string }) {
    const groupId = normalizeGroupId(rawGroupId)
    const engine = await this.sessions.requireConnected(phone, 'groups.picture')
    const picture = await this.deps.media.resolve('image', { value: body.imageUrl, field: 'imageUrl', ...(body.mimeType !== undefined && { mimeType: body.mimeType }) })
    await engine.setGroupPicture(groupId, picture)
    return { success: true }
  }
}
