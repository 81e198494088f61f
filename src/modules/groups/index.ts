/** §6 group routes. */
import { Elysia } from 'elysia'
import { authGuards, type GuardDeps } from '../../auth/guards'
import type { ParticipantAction } from '../../providers/engine'
import { PhoneParams } from '../common/model'
import { connectedErrors, mediaErrors, PhoneGroupParams, SuccessResult } from '../common/whatsapp-model'
import { CreatedGroup, CreateGroupBody, Group, GroupList, GroupPictureBody, InviteLink, ParticipantsBody, UpdateGroupBody } from './model'
import type { GroupsService } from './service'

const tags = ['Groups']
const RULES = ' Only admins may do this (403 FORBIDDEN otherwise); 404 for a group the number is not in.'

const PARTICIPANT_TEXT: Record<ParticipantAction, { summary: string; description: string }> = {
  add: { summary: 'Add participants', description: 'Adds people to the group (400 naming those not on WhatsApp or already in it); they receive `group.v2.join`, the members `group.v2.participants`.' },
  remove: { summary: 'Remove participants', description: "Removes people from the group (the creator cannot be removed); they receive `group.v2.leave`, the members `group.v2.participants`." },
  promote: { summary: 'Make participants admins', description: 'Promotes participants to admin; every member receives `group.v2.participants`.' },
  demote: { summary: 'Demote admins', description: 'Takes admin rights away (not from the creator); every member receives `group.v2.participants`.' },
}

export function groupsModule(deps: GuardDeps, service: GroupsService) {
  const participants = (action: ParticipantAction) => ({
    requireSingleAccountProtected: true as const,
    params: PhoneGroupParams,
    body: ParticipantsBody,
    response: { 200: Group, ...connectedErrors },
    detail: { tags, summary: PARTICIPANT_TEXT[action].summary, description: PARTICIPANT_TEXT[action].description + RULES },
  })
  return new Elysia({ name: 'groups', seed: deps })
    .use(authGuards(deps))
    .get('/:phoneNumber/groups', ({ phoneNumber }) => service.list(phoneNumber), {
      requireSingleAccountProtected: true,
      params: PhoneParams,
      response: { 200: GroupList, ...connectedErrors },
      detail: { tags, summary: 'List groups', description: 'The groups the number is in, with participants and admins, as `{groups: [...]}`.' },
    })
    .post('/:phoneNumber/group/create', ({ phoneNumber, body }) => service.create(phoneNumber, body), {
      requireSingleAccountProtected: true,
      params: PhoneParams,
      body: CreateGroupBody,
      response: { 200: CreatedGroup, ...connectedErrors },
      detail: {
        tags,
        summary: 'Create a group',
        description: 'Creates a group with this number as its creator (super admin) and the given participants (400 naming those not on WhatsApp). Answers the new group with its id also as `groupId` (the name whatsapp-web.js wrappers use). Every participant receives `group.v2.join`.',
      },
    })
    .get('/:phoneNumber/group/:groupId', ({ phoneNumber, params }) => service.get(phoneNumber, params.groupId), {
      requireSingleAccountProtected: true,
      params: PhoneGroupParams,
      response: { 200: Group, ...connectedErrors },
      detail: { tags, summary: 'Get a group', description: 'Subject, description, creator, participants with admin flags, and settings. 404 for a group the number is not in.' },
    })
    .put('/:phoneNumber/group/:groupId', ({ phoneNumber, params, body }) => service.update(phoneNumber, params.groupId, body), {
      requireSingleAccountProtected: true,
      params: PhoneGroupParams,
      body: UpdateGroupBody,
      response: { 200: Group, ...connectedErrors },
      detail: {
        tags,
        summary: 'Update a group',
        description:
          'Changes the subject, description and/or settings (give at least one). Settings are admin-only; subject and description too when `infoAdminsOnly` (403 otherwise). `membershipApproval: true` makes joins by invite link requests an admin approves (`GET …/requests`); engines that cannot change it answer 501. Members receive `group.v2.update`.',
      },
    })
    .post('/:phoneNumber/group/:groupId/leave', ({ phoneNumber, params }) => service.leave(phoneNumber, params.groupId), {
      requireSingleAccountProtected: true,
      params: PhoneGroupParams,
      response: { 200: SuccessResult, ...connectedErrors },
      detail: { tags, summary: 'Leave a group', description: 'The number leaves the group; the others receive `group.v2.participants` (remove). When the last admin leaves, WhatsApp makes another member admin.' },
    })
    .post('/:phoneNumber/group/:groupId/participants/add', ({ phoneNumber, params, body }) => service.participants(phoneNumber, params.groupId, 'add', body.participants), participants('add'))
    .post('/:phoneNumber/group/:groupId/participants/remove', ({ phoneNumber, params, body }) => service.participants(phoneNumber, params.groupId, 'remove', body.participants), participants('remove'))
    .post('/:phoneNumber/group/:groupId/participants/promote', ({ phoneNumber, params, body }) => service.participants(phoneNumber, params.groupId, 'promote', body.participants), participants('promote'))
    .post('/:phoneNumber/group/:groupId/participants/demote', ({ phoneNumber, params, body }) => service.participants(phoneNumber, params.groupId, 'demote', body.participants), participants('demote'))
    .get('/:phoneNumber/group/:groupId/invite-link', ({ phoneNumber, params }) => service.inviteLink(phoneNumber, params.groupId), {
      requireSingleAccountProtected: true,
      params: PhoneGroupParams,
      response: { 200: InviteLink, ...connectedErrors },
      detail: { tags, summary: 'Get the invite link', description: 'The group\'s chat.whatsapp.com invite link.' + RULES },
    })
    .put('/:phoneNumber/group/:groupId/picture', ({ phoneNumber, params, body }) => service.setPicture(phoneNumber, params.groupId, body), {
      requireSingleAccountProtected: true,
      params: PhoneGroupParams,
      body: GroupPictureBody,
      response: { 200: SuccessResult, ...mediaErrors },
      detail: {
        tags,
        summary: 'Set the group picture',
        description: 'Sets the group picture from an image (URL, data URL or base64 with mimeType). Admin-only when `infoAdminsOnly`. Members see it through the profile-picture route with the group id.',
      },
    })
}
