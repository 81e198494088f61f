/** Schemas of the profile routes of §6. */
import { t } from 'elysia'
import { oneOf } from '../common/model'
import { MEDIA_FIELD_DESCRIPTION, MimeTypeField } from '../common/whatsapp-model'

export const Profile = t.Object(
  {
    id: t.String({ examples: ['966500000001@c.us'] }),
    pushname: t.String({ description: 'The name others see' }),
    phone: t.String(),
    platform: t.Optional(t.String({ description: 'The phone platform, when the engine knows it' })),
    status: t.Optional(t.String({ description: 'The "about" text' })),
    pictureUrl: t.Optional(t.Union([t.String(), t.Null()])),
  },
  { examples: [{ id: '966500000001@c.us', pushname: 'Support desk', phone: '966500000001', platform: 'android', status: 'Available', pictureUrl: null }] },
)

export const NameBody = t.Object({ name: t.String({ minLength: 1, maxLength: 25, description: 'Up to 25 characters, as WhatsApp allows' }) }, { examples: [{ name: 'Support desk' }] })

export const AboutBody = t.Object({ status: t.String({ maxLength: 139, description: 'The "about" text, up to 139 characters' }) }, { examples: [{ status: 'Available 9–17' }] })

export const PictureBody = t.Object(
  { imageUrl: t.String({ minLength: 1, description: MEDIA_FIELD_DESCRIPTION }), mimeType: MimeTypeField },
  { examples: [{ imageUrl: 'https://example.com/logo.jpg' }] },
)

export const OwnPresenceBody = t.Object(
  { state: oneOf(['online', 'offline'] as const, { description: '`online`: contacts see the number online; `offline`: they see "last seen"' }) },
  { examples: [{ state: 'online' }] },
)
