/** Schemas shared by the WhatsApp feature modules (§5–§6): ids, results, the error sets of connected routes. */
import { t } from 'elysia'
import { CHAT_ID_DESCRIPTION } from '../../lib/chat-id'
import { MESSAGE_ID_DESCRIPTION, MESSAGE_ID_EXAMPLE, MESSAGE_ID_MAX_LENGTH, MESSAGE_ID_PATTERN } from '../../lib/message-id'
import { IDEMPOTENCY_KEY_PATTERN } from '../../messaging/idempotency'
import { ErrorEnvelope, guardedErrors, PhoneNumberParam } from './model'

export const ChatIdString = t.String({
  minLength: 1,
  maxLength: 100,
  description: CHAT_ID_DESCRIPTION,
  examples: ['966500000002@c.us'],
})

export const ContactIdString = t.String({
  minLength: 1,
  maxLength: 100,
  description: 'A phone number (`+966500000002`, `966500000002`) or a JID `…@c.us` / `…@lid`',
  examples: ['966500000002@c.us'],
})

export const GroupIdString = t.String({ minLength: 1, maxLength: 100, description: 'A group JID `…@g.us`', examples: ['120363025555555555@g.us'] })

export { MESSAGE_ID_PATTERN } from '../../lib/message-id'
/** Serialized message ids as whatsapp-web.js and WAHA spell them: the one rule of src/lib/message-id.ts. */
export const MessageIdString = t.String({
  pattern: MESSAGE_ID_PATTERN,
  maxLength: MESSAGE_ID_MAX_LENGTH,
  description: MESSAGE_ID_DESCRIPTION,
  examples: [MESSAGE_ID_EXAMPLE],
})

export const PhoneChatParams = t.Object({ phoneNumber: PhoneNumberParam, chatId: ChatIdString })
export const PhoneMessageParams = t.Object({ phoneNumber: PhoneNumberParam, messageId: MessageIdString })
export const PhoneContactParams = t.Object({ phoneNumber: PhoneNumberParam, contactId: ContactIdString })
export const PhoneGroupParams = t.Object({ phoneNumber: PhoneNumberParam, groupId: GroupIdString })

export const IdempotencyHeaders = t.Object({
  'idempotency-key': t.Optional(
    t.String({
      pattern: IDEMPOTENCY_KEY_PATTERN,
      description:
        'Makes the send safe to retry: a second request with the same key (for this number, within IDEMPOTENCY_TTL_SECONDS) returns the first result with `Idempotent-Replayed: true` and sends nothing. Reusing a key for a different request is a 409.',
      examples: ['5f0c6a2e-7d1b-4c1e-9a57-2b1f3c4d5e6f'],
    }),
  ),
})

export const SendResult = t.Object(
  {
    messageId: t.String({ description: 'Id of the sent message; use it to reply, react, edit, delete or forward' }),
    timestamp: t.Integer({ description: 'Unix seconds, as WhatsApp stamped the message' }),
  },
  { examples: [{ messageId: 'true_966500000002@c.us_3EB0C431D5A2B1F0E4A7', timestamp: 1767225600 }] },
)

export const SuccessResult = t.Object({ success: t.Boolean() }, { examples: [{ success: true }] })

/** Errors of every route that needs a CONNECTED session: 409 CLIENT_NOT_READY, 501 NOT_SUPPORTED. */
export const connectedErrors = { ...guardedErrors, 409: ErrorEnvelope, 501: ErrorEnvelope } as const

/** Plus media: 413 over WhatsApp's limit, 502 when a media URL fails. */
export const mediaErrors = { ...connectedErrors, 413: ErrorEnvelope, 502: ErrorEnvelope } as const

export const MEDIA_FIELD_DESCRIPTION =
  'An `http(s)` URL (fetched by the server: public addresses only, redirects re-checked, size and time limits), a data URL (`data:image/png;base64,…`), or raw base64 (then `mimeType` is required)'

export const MimeTypeField = t.Optional(
  t.String({ maxLength: 255, description: 'MIME type of the media; required with raw base64, otherwise taken from the data URL, the response or the bytes', examples: ['image/jpeg'] }),
)

export const FilenameField = t.Optional(t.String({ minLength: 1, maxLength: 255, description: 'File name shown to the recipient', examples: ['invoice.pdf'] }))
