/** Schemas of the group routes of §6. */
import { t } from 'elysia'
import { ContactIdString, MEDIA_FIELD_DESCRIPTION, MimeTypeField } from '../common/whatsapp-model'

const groupExample = {
  id: '120363025555555555@g.us',
  subject: 'Support team',
  description: 'Shifts and handovers',
  owner: '966500000001@c.us',
  participants: [
    { id: '966500000001@c.us', isAdmin: true, isSuperAdmin: true },
    { id: '966500000002@c.us', isAdmin: false, isSuperAdmin: false },
  ],
  messagesAdminsOnly: false,
  infoAdminsOnly: false,
  createdAt: 1767225600,
}

const Subject = t.String({ minLength: 1, maxLength: 100, description: 'The group name (WhatsApp allows 100 characters)', examples: ['Support team'] })
const Participants = t.Array(ContactIdString, { minItems: 1, maxItems: 1024, description: 'Phone numbers or `…@c.us` ids' })

export const GroupFields = {
  id: t.String(),
  subject: t.String(),
  description: t.Union([t.String(), t.Null()]),
  owner: t.Union([t.String(), t.Null()], { description: 'The creator' }),
  participants: t.Array(t.Object({ id: t.String(), isAdmin: t.Boolean(), isSuperAdmin: t.Boolean({ description: 'The creator' }) })),
  messagesAdminsOnly: t.Boolean({ description: 'Only admins may send messages' }),
  infoAdminsOnly: t.Boolean({ description: 'Only admins may edit subject, description and picture' }),
  createdAt: t.Optional(t.Integer({ description: 'Unix seconds' })),
  membershipApproval: t.Optional(t.Boolean({ description: 'Admins approve who joins (see `GET /group/:groupId/requests`); absent where the engine cannot tell' })),
}

export const Group = t.Object(GroupFields, { examples: [groupExample] })

export const GroupList = t.Object({ groups: t.Array(Group) })

export const CreateGroupBody = t.Object(
  {
    name: Subject,
    participants: Participants,
    membershipApproval: t.Optional(t.Boolean({ description: 'Admins approve who joins by invite link (see `GET /group/:groupId/requests`); 501 on engines that cannot' })),
  },
  { examples: [{ name: 'Support team', participants: ['966500000002', '966500000003@c.us'] }] },
)

export const CreatedGroup = t.Object(
  { groupId: t.String({ description: 'The new group id, to use as chatId' }), ...GroupFields },
  { examples: [{ groupId: groupExample.id, ...groupExample }] },
)

export const UpdateGroupBody = t.Object(
  {
    subject: t.Optional(Subject),
    description: t.Optional(t.String({ maxLength: 2048, description: 'The description; "" clears it' })),
    messagesAdminsOnly: t.Optional(t.Boolean()),
    infoAdminsOnly: t.Optional(t.Boolean()),
    membershipApproval: t.Optional(t.Boolean({ description: 'Admins approve who joins by invite link (admin-only; 501 on engines that cannot change it)' })),
  },
  { examples: [{ subject: 'Support team (EMEA)', description: 'Shifts and handovers' }, { membershipApproval: true }] },
)

export const ParticipantsBody = t.Object({ participants: Participants }, { examples: [{ participants: ['966500000003'] }] })

export const InviteLink = t.Object({ inviteLink: t.String() }, { examples: [{ inviteLink: 'https://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv' }] })

export const GroupPictureBody = t.Object(
  { imageUrl: t.String({ minLength: 1, description: MEDIA_FIELD_DESCRIPTION }), mimeType: MimeTypeField },
  { examples: [{ imageUrl: 'https://example.com/team.jpg' }] },
)
