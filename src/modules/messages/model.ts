/** Request and response schemas of §5 (messaging). */
import { t } from 'elysia'
import { oneOf } from '../common/model'
import { MESSAGE_ID_MAX_LENGTH } from '../../lib/message-id'
import { ChatIdString, FilenameField, MEDIA_FIELD_DESCRIPTION, MESSAGE_ID_PATTERN, MimeTypeField } from '../common/whatsapp-model'

const chatId = ChatIdString
const quotedMsgId = t.Optional(t.String({ pattern: MESSAGE_ID_PATTERN, maxLength: MESSAGE_ID_MAX_LENGTH, description: 'Reply to (quote) this message of the same chat', examples: ['false_966500000002@c.us_3EB0C431D5A2B1F0E4A7'] }))
const caption = t.Optional(t.String({ maxLength: 4096, description: 'Text shown under the media', examples: ['Our new menu'] }))
const mentions = t.Optional(
  t.Array(t.String({ minLength: 1, maxLength: 100 }), {
    maxItems: 1024,
    description: 'People to @mention (phone numbers or `…@c.us`); write `@<number>` in the text where they go. In a group, `["all"]` mentions every other participant.',
    examples: [['966500000003'], ['all']],
  }),
)
const viewOnce = t.Optional(t.Boolean({ description: 'Send "view once": the recipient can open it a single time (501 on engines that cannot)' }))
const media = (examples: string[]) => t.String({ minLength: 1, description: MEDIA_FIELD_DESCRIPTION, examples })
const PNG_DATA_URL = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=='

export const SendTextBody = t.Object(
  {
    chatId,
    text: t.String({ minLength: 1, maxLength: 65536, description: 'Message text (WhatsApp formatting such as *bold* works)' }),
    quotedMsgId,
    mentions,
    linkPreview: t.Optional(t.Boolean({ description: 'Show a preview of the first link (engines that cannot build one send the text without it)' })),
  },
  { examples: [{ chatId: '966500000002', text: 'Hello from the API 👋' }] },
)

export const SendImageBody = t.Object(
  { chatId, imageUrl: media(['https://example.com/menu.jpg', PNG_DATA_URL]), caption, mentions, viewOnce, quotedMsgId, mimeType: MimeTypeField, filename: FilenameField },
  {
    examples: [
      { chatId: '966500000002@c.us', imageUrl: 'https://example.com/menu.jpg', caption: 'Our new menu' },
      { chatId: '120363025246125486@g.us', imageUrl: 'https://example.com/menu.jpg', caption: 'New menu, @all', mentions: ['all'] },
      { chatId: '966500000002@c.us', imageUrl: 'https://example.com/code.jpg', viewOnce: true },
    ],
  },
)

export const SendFileBody = t.Object(
  { chatId, fileUrl: media(['https://example.com/invoice.pdf']), filename: FilenameField, caption, quotedMsgId, mimeType: MimeTypeField },
  { examples: [{ chatId: '966500000002@c.us', fileUrl: 'https://example.com/invoice.pdf', filename: 'invoice-2026-01.pdf' }] },
)

export const SendVideoBody = t.Object(
  { chatId, videoUrl: media(['https://example.com/clip.mp4', 'https://example.com/clip.avi']), caption, mentions, viewOnce, quotedMsgId, mimeType: MimeTypeField, filename: FilenameField },
  {
    examples: [
      { chatId: '966500000002@c.us', videoUrl: 'https://example.com/clip.mp4', caption: 'How it works' },
      { chatId: '966500000002@c.us', videoUrl: 'https://example.com/clip.avi', viewOnce: true },
    ],
  },
)

export const SendVoiceBody = t.Object(
  { chatId, audioUrl: media(['https://example.com/note.ogg', 'https://example.com/note.mp3']), viewOnce, quotedMsgId, mimeType: MimeTypeField },
  {
    examples: [
      { chatId: '966500000002@c.us', audioUrl: 'https://example.com/note.mp3' },
      { chatId: '966500000002@c.us', audioUrl: 'https://example.com/note.ogg', viewOnce: true },
    ],
  },
)

export const SendAudioBody = t.Object(
  { chatId, audioUrl: media(['https://example.com/song.mp3']), quotedMsgId, mimeType: MimeTypeField, filename: FilenameField },
  { examples: [{ chatId: '966500000002@c.us', audioUrl: 'https://example.com/song.mp3' }] },
)

export const SendStickerBody = t.Object(
  { chatId, stickerUrl: media(['https://example.com/sticker.webp', 'https://example.com/logo.png', 'https://example.com/dance.gif']), quotedMsgId, mimeType: MimeTypeField },
  { examples: [{ chatId: '966500000002@c.us', stickerUrl: 'https://example.com/sticker.webp' }, { chatId: '966500000002@c.us', stickerUrl: 'https://example.com/dance.gif' }] },
)

export const SendLocationBody = t.Object(
  {
    chatId,
    latitude: t.Number({ minimum: -90, maximum: 90, examples: [24.7136] }),
    longitude: t.Number({ minimum: -180, maximum: 180, examples: [46.6753] }),
    name: t.Optional(t.String({ maxLength: 256, examples: ['Head office'] })),
    address: t.Optional(t.String({ maxLength: 1024, examples: ['King Fahd Rd, Riyadh'] })),
    quotedMsgId,
  },
  { examples: [{ chatId: '966500000002@c.us', latitude: 24.7136, longitude: 46.6753, name: 'Head office' }] },
)

export const ContactCard = t.Object({
  fullName: t.String({ minLength: 1, maxLength: 256, examples: ['Sara Ahmed'] }),
  phoneNumber: t.String({ pattern: '^\\+?[0-9]{7,15}$', description: 'Digits, optional leading +', examples: ['+966500000003'] }),
  organization: t.Optional(t.String({ maxLength: 256, examples: ['Support'] })),
})

export const SendContactBody = t.Object(
  {
    chatId,
    contacts: t.Optional(t.Array(ContactCard, { minItems: 1, maxItems: 50, description: 'Cards to build; or give `vcard`' })),
    vcard: t.Optional(t.String({ minLength: 1, maxLength: 65536, description: 'One vCard (BEGIN:VCARD … END:VCARD); or give `contacts`' })),
    quotedMsgId,
  },
  { examples: [{ chatId: '966500000002@c.us', contacts: [{ fullName: 'Sara Ahmed', phoneNumber: '+966500000003' }] }] },
)

export const SendPollBody = t.Object(
  {
    chatId,
    name: t.String({ minLength: 1, maxLength: 256, description: 'The question', examples: ['Lunch?'] }),
    options: t.Array(t.String({ minLength: 1, maxLength: 100 }), { minItems: 2, maxItems: 12, description: '2 to 12 distinct answers' }),
    multipleAnswers: t.Optional(t.Boolean({ description: 'Allow picking several answers (default false)' })),
    quotedMsgId,
  },
  { examples: [{ chatId: '966500000002@c.us', name: 'Lunch?', options: ['Pizza', 'Sushi'], multipleAnswers: false }] },
)

export const ReactBody = t.Object(
  { emoji: t.String({ maxLength: 32, description: 'One emoji; an empty string removes your reaction', examples: ['👍'] }) },
  { examples: [{ emoji: '👍' }] },
)

export const EditBody = t.Object({ text: t.String({ minLength: 1, maxLength: 65536, description: 'The new text (or caption)' }) }, { examples: [{ text: 'Corrected text' }] })

export const DeleteBody = t.Optional(
  t.Object(
    { forEveryone: t.Optional(t.Boolean({ description: 'Delete for everyone (your own messages, within about 60 hours); default false: delete only on this number' })) },
    { examples: [{ forEveryone: true }] },
  ),
)

export const ForwardBody = t.Object({ chatId }, { examples: [{ chatId: '966500000003@c.us' }] })

export const PresenceBody = t.Object(
  { state: oneOf(['typing', 'recording', 'paused'] as const, { description: '`typing…`, `recording audio…`, or clear it' }) },
  { examples: [{ state: 'typing' }] },
)

export const StatusBody = t.Object(
  {
    type: oneOf(['text', 'image', 'video', 'voice'] as const, { description: 'What to post' }),
    text: t.Optional(t.String({ minLength: 1, maxLength: 700, description: 'For `text`: the Status text' })),
    backgroundColor: t.Optional(t.String({ pattern: '^#[0-9A-Fa-f]{6}$', description: 'For `text` and `voice`: background colour', examples: ['#38b42f'] })),
    font: t.Optional(t.Integer({ minimum: 0, maximum: 5, description: 'For `text`: one of WhatsApp\'s 6 fonts' })),
    imageUrl: t.Optional(t.String({ minLength: 1, description: `For \`image\`: ${MEDIA_FIELD_DESCRIPTION}` })),
    videoUrl: t.Optional(t.String({ minLength: 1, description: `For \`video\`: ${MEDIA_FIELD_DESCRIPTION}` })),
    audioUrl: t.Optional(t.String({ minLength: 1, description: `For \`voice\`: the voice note, ${MEDIA_FIELD_DESCRIPTION}` })),
    caption,
    mimeType: MimeTypeField,
  },
  { examples: [{ type: 'text', text: 'Open today until 22:00', backgroundColor: '#38b42f' }, { type: 'image', imageUrl: 'https://example.com/offer.jpg', caption: 'Today only' }, { type: 'voice', audioUrl: 'https://example.com/greeting.ogg' }] },
)

export type SendTextInput = typeof SendTextBody.static
export type SendContactInput = typeof SendContactBody.static
export type SendPollInput = typeof SendPollBody.static
export type SendLocationInput = typeof SendLocationBody.static
export type StatusInput = typeof StatusBody.static
