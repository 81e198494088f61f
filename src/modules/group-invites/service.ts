/**
 * §12's group extras in the words of the API: joining by invite code or link, what an
 * invite tells before joining, resetting the link, the group picture, the participants on
 * their own, and membership requests. WhatsApp's rules (who may) are the engine's.
 */
import { normalizeContactIds, normalizeGroupId } from '../../lib/chat-id'
import { parseInviteCode } from '../../lib/invite-code'
import type { MessagingDeps } from '../../messaging'
import type { SessionManager } from '../../sessions/manager'

export class GroupInvitesService {
  constructor(
    private readonly sessions: SessionManager,
    private readonly deps: MessagingDeps,
  ) {}

  async join(phone: string, invite: string) {
    const code = parseInviteCode(invite)
    const engine = await this.sessions.requireConnected(phone, 'groups.join')
    const joined = await engine.joinGroup(code)
    // The join notification is an event; settled here so GET /groups right after shows it.
    await this.deps.ingest.idle()
    return joined
  }

  async inviteInfo(phone: string, rawCode: string) {
    const code = parseInviteCode(rawCode, 'code')
    const engine = await this.sessions.requireConnected(phone, 'groups.inviteInfo')
    return engine.getInviteInfo(code)
  }

  async revokeInvite(phone: string, rawGroupId: string) {
    const groupId = normalizeGroupId(rawGroupId)
    const engine = await this.sessions.requireConnected(phone, 'groups.inviteRevoke')
    return { inviteLink: await engine.revokeInviteLink(groupId) }
  }

  async picture(phone: string, rawGroupId: string) {
    const groupId = normalizeGroupId(rawGroupId)
    const engine = await this.sessions.requireConnected(phone, 'contacts.profilePicture')
    return { url: await engine.getProfilePictureUrl(groupId) }
  }

  async deletePicture(phone: string, rawGroupId: string) {
    const groupId = normalizeGroupId(rawGroupId)
    const engine = await this.sessions.requireConnected(phone, 'groups.pictureDelete')
    await engine.deleteGroupPicture(groupId)
    return { success: true }
  }

  async participants(phone: string, rawGroupId: string) {
    const groupId = normalizeGroupId(rawGroupId)
    const engine = await this.sessions.requireConnected(phone, 'groups.get')
    return (await engine.getGroup(groupId)).participants
  }

  async requests(phone: string, rawGroupId: string) {
    const groupId = normalizeGroupId(rawGroupId)
    const engine = await this.sessions.requireConnected(phone, 'groups.requests')
    return engine.listMembershipRequests(groupId)
  }

  async review(phone: string, rawGroupId: string, raw: string[], approve: boolean) {
    const groupId = normalizeGroupId(rawGroupId)
    const participants = [...new Set(normalizeContactIds(raw, 'participants'))]
    const engine = await this.sessions.requireConnected(phone, 'groups.requestsReview')
    const handled = await engine.reviewMembershipRequests(groupId, participants, approve)
    await this.deps.ingest.idle()
    return { success: true, participants: handled }
  }
}
