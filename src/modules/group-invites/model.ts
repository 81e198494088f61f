/** Schemas of §12's group extras: joining by invite, invite info and reset, the picture, participants, membership requests. */
import { t } from 'elysia'
import { INVITE_CODE_PATTERN, INVITE_EXAMPLE_CODE } from '../../lib/invite-code'
import { PhoneNumberParam } from '../common/model'
import { ContactIdString } from '../common/whatsapp-model'

export const JoinBody = t.Object(
  {
    invite: t.String({
      minLength: 1,
      maxLength: 200,
      description: 'The invite code, or the whole `https://chat.whatsapp.com/<code>` link',
      examples: [`https://chat.whatsapp.com/${INVITE_EXAMPLE_CODE}`],
    }),
  },
  { examples: [{ invite: `https://chat.whatsapp.com/${INVITE_EXAMPLE_CODE}` }, { invite: INVITE_EXAMPLE_CODE }] },
)

export const JoinResult = t.Object(
  {
    groupId: t.String({ description: 'The group joined (or asked to join)' }),
    pending: t.Boolean({ description: 'true: the group approves new members, so this is a request an admin approves (`…/requests/approve`) before the number is in' }),
  },
  { examples: [{ groupId: '120363025555555555@g.us', pending: false }] },
)

export const InviteParams = t.Object({
  phoneNumber: PhoneNumberParam,
  code: t.String({ pattern: INVITE_CODE_PATTERN, description: 'The invite code (the part after `https://chat.whatsapp.com/`)', examples: [INVITE_EXAMPLE_CODE] }),
})

export const InviteInfo = t.Object(
  {
    groupId: t.String(),
    subject: t.String(),
    description: t.Union([t.String(), t.Null()]),
    owner: t.Union([t.String(), t.Null()], { description: 'The creator' }),
    size: t.Integer({ minimum: 0, description: 'How many participants the group has' }),
    membershipApproval: t.Boolean({ description: 'Joining makes a request an admin approves' }),
    createdAt: t.Optional(t.Integer({ description: 'Unix seconds' })),
  },
  {
    examples: [
      { groupId: '120363025555555555@g.us', subject: 'Support team', description: 'Shifts and handovers', owner: '966500000001@c.us', size: 12, membershipApproval: false, createdAt: 1767225600 },
    ],
  },
)

export const GroupPicture = t.Object(
  { url: t.Union([t.String(), t.Null()], { description: 'The picture URL (a data URL on the simulator); null when the group has none' }) },
  { examples: [{ url: 'https://pps.whatsapp.net/v/t61.24694-24/…' }, { url: null }] },
)

export const ParticipantList = t.Array(t.Object({ id: t.String(), isAdmin: t.Boolean(), isSuperAdmin: t.Boolean({ description: 'The creator' }) }), {
  examples: [
    [
      { id: '966500000001@c.us', isAdmin: true, isSuperAdmin: true },
      { id: '966500000002@c.us', isAdmin: false, isSuperAdmin: false },
    ],
  ],
})

export const MembershipRequestList = t.Array(
  t.Object({
    id: t.String({ description: 'Who asks to join' }),
    requestedAt: t.Integer({ description: 'Unix seconds' }),
    addedBy: t.Optional(t.String({ description: "The member whose add became a request (groups where only admins add)" })),
    method: t.Optional(t.String({ description: "How: WhatsApp's `InviteLink`, `NonAdminAdd`, `LinkedGroupJoin`" })),
  }),
  { examples: [[{ id: '966500000003@c.us', requestedAt: 1767225600, method: 'InviteLink' }]] },
)

export const RequestsBody = t.Object(
  { participants: t.Array(ContactIdString, { minItems: 1, maxItems: 1024, description: 'Requesters: phone numbers or `…@c.us` ids' }) },
  { examples: [{ participants: ['966500000003'] }] },
)

export const RequestsResult = t.Object(
  { success: t.Boolean(), participants: t.Array(t.String(), { description: 'The requests handled' }) },
  { examples: [{ success: true, participants: ['966500000003@c.us'] }] },
)
