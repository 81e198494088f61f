/** Schemas of the contact routes of §6. */
import { t } from 'elysia'
import { ContactIdString } from '../common/whatsapp-model'

export const Contact = t.Object(
  {
    id: t.String({ examples: ['966500000002@c.us'] }),
    name: t.Union([t.String(), t.Null()], { description: 'Name in the address book of the phone, null when not saved' }),
    pushname: t.Union([t.String(), t.Null()], { description: 'The name the person set for themselves' }),
    number: t.String({ examples: ['966500000002'] }),
    isMyContact: t.Boolean({ description: 'Saved in the address book' }),
    isBusiness: t.Boolean(),
    isBlocked: t.Boolean(),
  },
  { examples: [{ id: '966500000002@c.us', name: 'Sara', pushname: 'Sara A.', number: '966500000002', isMyContact: true, isBusiness: false, isBlocked: false }] },
)

export const ContactList = t.Object({ contacts: t.Array(Contact) })

export const ProfilePicture = t.Object(
  { url: t.Union([t.String(), t.Null()], { description: 'The picture URL (a data URL on the simulator); null when there is none or privacy hides it' }) },
  { examples: [{ url: 'https://pps.whatsapp.net/v/t61.24694-24/…' }, { url: null }] },
)

export const NumberCheck = t.Object(
  {
    number: t.String({ examples: ['966500000002'] }),
    exists: t.Boolean({ description: 'Whether the number is on WhatsApp' }),
    jid: t.Union([t.String(), t.Null()], { description: 'The chat id to use, when it exists' }),
  },
  { examples: [{ number: '966500000002', exists: true, jid: '966500000002@c.us' }] },
)

export const BlockBody = t.Object({ contactId: ContactIdString }, { examples: [{ contactId: '966500000002@c.us' }] })

export const BlockResult = t.Object(
  { success: t.Boolean(), contactId: t.String(), isBlocked: t.Boolean() },
  { examples: [{ success: true, contactId: '966500000002@c.us', isBlocked: true }] },
)

// ─── §12: about text, saving a contact, checking many numbers ────────────────

export const About = t.Object(
  { about: t.Union([t.String(), t.Null()], { description: 'The contact\'s "about" line; null when none or their privacy hides it' }) },
  { examples: [{ about: 'Available 9–17' }, { about: null }] },
)

export const SaveContactBody = t.Object(
  {
    firstName: t.String({ minLength: 1, maxLength: 100, description: 'First name, as saved in the phone\'s address book' }),
    lastName: t.Optional(t.String({ maxLength: 100, description: 'Last name' })),
  },
  { examples: [{ firstName: 'Sara', lastName: 'Ahmed' }] },
)

export const SavedContact = t.Object(
  { success: t.Boolean(), contactId: t.String(), name: t.String({ description: 'The name the contact now shows' }) },
  { examples: [{ success: true, contactId: '966500000002@c.us', name: 'Sara Ahmed' }] },
)

export const MAX_NUMBERS_PER_CHECK = 100

export const CheckNumbersBody = t.Object(
  {
    numbers: t.Array(t.String({ minLength: 1, maxLength: 20, description: 'A phone number, with or without +', examples: ['+966500000002'] }), {
      minItems: 1,
      maxItems: MAX_NUMBERS_PER_CHECK,
      description: `Up to ${MAX_NUMBERS_PER_CHECK} phone numbers`,
    }),
  },
  { examples: [{ numbers: ['+966500000002', '966500000099'] }] },
)

export const NumberCheckList = t.Array(NumberCheck, {
  examples: [
    [
      { number: '966500000002', exists: true, jid: '966500000002@c.us' },
      { number: '966500000099', exists: false, jid: null },
    ],
  ],
})
