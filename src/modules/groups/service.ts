/** Groups in the words of the API; WhatsApp's own rules (who may do what) are the engine's to enforce. */
import type { MessagingDeps } from '../../deps'
import { BadRequestError } from '../../errors'
import { normalizeContactIds, normalizeGroupId } from '../../lib/chat-id'
import type { GroupUpdate, ParticipantAction } from '../../providers/provider'
import type { SessionManager } from '../../sessions/manager'

export class GroupsService {
  constructor(
    private readonly sessions: SessionManager,
    private readonly deps: MessagingDeps,
  ) {}

  async list(phone: string) {
    const provider = await this.sessions.requireConnected(phone, 'groups.list')
    return { groups: await provider.listGroups() }
  }

  async create(phone: string, body: { name: string; participants: string[] }) {
    const participants = normalizeContactIds(body.participants, 'participants')
    const provider = await this.sessions.requireConnected(phone, 'groups.create')
    const group = await provider.createGroup(body.name, participants)
    return { groupId: group.id, ...group }
  }

  async get(phone: string, rawGroupId: string) {
    const groupId = normalizeGroupId(rawGroupId)
    const provider = await this.sessions.requireConnected(phone, 'groups.get')
    return provider.getGroup(groupId)
  }

  async update(phone: string, rawGroupId: string, body: GroupUpdate) {
    const groupId = normalizeGroupId(rawGroupId)
    if (Object.values(body).every((value) => value === undefined)) {
      throw new BadRequestError('Give at least one of subject, description, messagesAdminsOnly, infoAdminsOnly', { field: 'body' })
    }
    const provider = await this.sessions.requireConnected(phone, 'groups.update')
    return provider.updateGroup(groupId, body)
  }

  async leave(phone: string, rawGroupId: string) {
    const groupId = normalizeGroupId(rawGroupId)
    const provider = await this.sessions.requireConnected(phone, 'groups.leave')
    await provider.leaveGroup(groupId)
    return { success: true }
  }

  async participants(phone: string, rawGroupId: string, action: ParticipantAction, raw: string[]) {
    const groupId = normalizeGroupId(rawGroupId)
    const participants = normalizeContactIds(raw, 'participants')
    const provider = await this.sessions.requireConnected(phone, 'groups.participants')
    return provider.updateParticipants(groupId, action, participants)
  }

  async inviteLink(phone: string, rawGroupId: string) {
    const groupId = normalizeGroupId(rawGroupId)
    const provider = await this.sessions.requireConnected(phone, 'groups.inviteLink')
    return { inviteLink: await provider.getInviteLink(groupId) }
  }

  async setPicture(phone: string, rawGroupId: string, body: { imageUrl: string; mimeType?: string }) {
    const groupId = normalizeGroupId(rawGroupId)
    const provider = await this.sessions.requireConnected(phone, 'groups.picture')
    const picture = await this.deps.media.resolve('image', { value: body.imageUrl, field: 'imageUrl', ...(body.mimeType !== undefined && { mimeType: body.mimeType }) })
    await provider.setGroupPicture(groupId, picture)
    return { success: true }
  }
}
