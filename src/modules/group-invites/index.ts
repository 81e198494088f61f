/** §12 group routes: join by invite, invite info and reset, the picture, participants, membership requests. */
import { Elysia } from 'elysia'
import { authGuards, type GuardDeps } from '../../auth/guards'
import { PhoneParams } from '../common/model'
import { connectedErrors, PhoneGroupParams, SuccessResult } from '../common/whatsapp-model'
import { InviteLink } from '../groups/model'
import { GroupPicture, InviteInfo, InviteParams, JoinBody, JoinResult, MembershipRequestList, ParticipantList, RequestsBody, RequestsResult } from './model'
import type { GroupInvitesService } from './service'

const tags = ['Groups']
const NOTES = ' Needs a CONNECTED session (409 otherwise) whose engine can do it (501 NOT_SUPPORTED otherwise, see `capabilities` in `GET /:phoneNumber/state`).'
const MEMBER = ' 404 for a group the number is not in.'
const ADMIN = ' Only admins may do this (403 FORBIDDEN otherwise); 404 for a group the number is not in.'

export function groupInvitesModule(deps: GuardDeps, service: GroupInvitesService) {
  const review = (approve: boolean) => ({
    requireSingleAccountProtected: true as const,
    params: PhoneGroupParams,
    body: RequestsBody,
    response: { 200: RequestsResult, ...connectedErrors },
    detail: {
      tags,
      summary: approve ? 'Approve membership requests' : 'Reject membership requests',
      description:
        (approve
          ? 'Lets the requesters in: they receive `group.v2.join`, the members `group.v2.participants` (add).'
          : 'Turns the requests down; the requesters stay out.') +
        ' 400 naming numbers without a pending request.' +
        ADMIN +
        NOTES,
    },
  })
  return new Elysia({ name: 'group-invites', seed: deps })
    .use(authGuards(deps))
    .post('/:phoneNumber/group/join', ({ phoneNumber, body }) => service.join(phoneNumber, body.invite), {
      requireSingleAccountProtected: true,
      params: PhoneParams,
      body: JoinBody,
      response: { 200: JoinResult, ...connectedErrors },
      detail: {
        tags,
        summary: 'Join a group by invite',
        description:
          'Joins the group an invite code or `https://chat.whatsapp.com/…` link opens: the number receives `group.v2.join`, the members `group.v2.participants` (add). In a group that approves new members the join is a request (`pending: true`) until an admin approves it. 400 for something that is not a code or link; 404 for a code that is wrong or was reset; 409 when already a member.' +
          NOTES,
      },
    })
    .get('/:phoneNumber/group/invite/:code', ({ phoneNumber, params }) => service.inviteInfo(phoneNumber, params.code), {
      requireSingleAccountProtected: true,
      params: InviteParams,
      response: { 200: InviteInfo, ...connectedErrors },
      detail: {
        tags,
        summary: 'What an invite opens',
        description: 'The group behind an invite code, before joining: subject, description, creator, size, and whether joining needs an admin\'s approval. 404 for a code that is wrong or was reset.' + NOTES,
      },
    })
    .post('/:phoneNumber/group/:groupId/invite-link/revoke', ({ phoneNumber, params }) => service.revokeInvite(phoneNumber, params.groupId), {
      requireSingleAccountProtected: true,
      params: PhoneGroupParams,
      response: { 200: InviteLink, ...connectedErrors },
      detail: { tags, summary: 'Reset the invite link', description: 'Makes a new invite link and answers it; the old one stops working (joining with it is a 404).' + ADMIN + NOTES },
    })
    .get('/:phoneNumber/group/:groupId/picture', ({ phoneNumber, params }) => service.picture(phoneNumber, params.groupId), {
      requireSingleAccountProtected: true,
      params: PhoneGroupParams,
      response: { 200: GroupPicture, ...connectedErrors },
      detail: { tags, summary: 'Get the group picture', description: "The group picture's URL, `null` when there is none. WhatsApp's picture URLs expire after a while: fetch them soon." + MEMBER + NOTES },
    })
    .delete('/:phoneNumber/group/:groupId/picture', ({ phoneNumber, params }) => service.deletePicture(phoneNumber, params.groupId), {
      requireSingleAccountProtected: true,
      params: PhoneGroupParams,
      response: { 200: SuccessResult, ...connectedErrors },
      detail: { tags, summary: 'Remove the group picture', description: 'Removes the picture; members receive `group.v2.update`. Admin-only when `infoAdminsOnly` (403).' + MEMBER + NOTES },
    })
    .get('/:phoneNumber/group/:groupId/participants', ({ phoneNumber, params }) => service.participants(phoneNumber, params.groupId), {
      requireSingleAccountProtected: true,
      params: PhoneGroupParams,
      response: { 200: ParticipantList, ...connectedErrors },
      detail: { tags, summary: 'List participants', description: 'The participants with their admin flags (the same list `GET /group/:groupId` carries).' + MEMBER + NOTES },
    })
    .get('/:phoneNumber/group/:groupId/requests', ({ phoneNumber, params }) => service.requests(phoneNumber, params.groupId), {
      requireSingleAccountProtected: true,
      params: PhoneGroupParams,
      response: { 200: MembershipRequestList, ...connectedErrors },
      detail: {
        tags,
        summary: 'List membership requests',
        description: 'Who asked to join and waits for an admin, oldest first. Requests arise when a group approves new members (`PUT /group/:groupId {membershipApproval: true}`).' + ADMIN + NOTES,
      },
    })
    .post('/:phoneNumber/group/:groupId/requests/approve', ({ phoneNumber, params, body }) => service.review(phoneNumber, params.groupId, body.participants, true), review(true))
    .post('/:phoneNumber/group/:groupId/requests/reject', ({ phoneNumber, params, body }) => service.review(phoneNumber, params.groupId, body.participants, false), review(false))
}
