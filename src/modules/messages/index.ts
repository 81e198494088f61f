/** §5 routes: sending every kind of message, acting on messages, seen, presence and Status. */
import { Elysia } from 'elysia'
import { authGuards, type GuardDeps } from '../../auth/guards'
import { PhoneParams } from '../common/model'
import {
  connectedErrors,
  IdempotencyHeaders,
  mediaErrors,
  PhoneChatParams,
  PhoneMessageParams,
  SendResult,
  SuccessResult,
} from '../common/whatsapp-model'
import {
  DeleteBody,
  EditBody,
  ForwardBody,
  PresenceBody,
  ReactBody,
  SendAudioBody,
  SendContactBody,
  SendFileBody,
  SendImageBody,
  SendLocationBody,
  SendPollBody,
  SendStickerBody,
  SendTextBody,
  SendVideoBody,
  SendVoiceBody,
  StatusBody,
} from './model'
import { type MessagesService, type SendOutcome } from './service'

const tags = ['Messages']

const SEND_NOTES =
  ' Needs a CONNECTED session (409 CLIENT_NOT_READY otherwise) whose engine can send this kind (501 NOT_SUPPORTED otherwise). Sends of one number are paced (serialized, small random delay, optional typing indicator). Send an `Idempotency-Key` header to make retries safe.'
const CONVERT_NOTES = ' Conversion runs ffmpeg under MEDIA_CONVERT_TIMEOUT_MS (400 when it takes longer); a result over the size limit is a 413.'
const MEDIA_NOTES =
  ' The media may be an http(s) URL (fetched by this server through its SSRF-safe fetcher), a data URL, or raw base64 with `mimeType`. Over WhatsApp\'s size limit for the kind: 413 PAYLOAD_TOO_LARGE. A URL that fails: 502 UPSTREAM_ERROR.'

function reply(set: { headers: Record<string, string | number> }, outcome: SendOutcome) {
  if (outcome.replayed) set.headers['idempotent-replayed'] = 'true'
  return outcome.result
}

export function messagesModule(deps: GuardDeps, service: MessagesService) {
  const send = { requireSingleAccountProtected: true as const, params: PhoneParams, headers: IdempotencyHeaders }
  return new Elysia({ name: 'messages', seed: deps })
    .use(authGuards(deps))
    .post('/:phoneNumber/send-text', async ({ phoneNumber, body, headers, set }) => reply(set, await service.sendText(phoneNumber, body, headers['idempotency-key'])), {
      ...send,
      body: SendTextBody,
      response: { 200: SendResult, ...connectedErrors },
      detail: {
        tags,
        summary: 'Send a text message',
        description:
          'Sends text to a person, a group, or (with chatId `status@broadcast`) to Status. `quotedMsgId` replies to a message of the chat; `mentions` @-mentions people, and in a group `["all"]` mentions every other participant (400 outside a group).' + SEND_NOTES,
      },
    })
    .post('/:phoneNumber/send-image', async ({ phoneNumber, body, headers, set }) => reply(set, await service.sendMedia(phoneNumber, 'image', body, headers['idempotency-key'])), {
      ...send,
      body: SendImageBody,
      response: { 200: SendResult, ...mediaErrors },
      detail: { tags, summary: 'Send an image', description: `Sends an image (16 MB by default) with an optional caption (\`mentions\` as in send-text, \`["all"]\` in groups); to \`status@broadcast\` it is posted to Status. \`viewOnce: true\` sends it view-once (501 on engines that cannot).${MEDIA_NOTES}${SEND_NOTES}` },
    })
    .post('/:phoneNumber/send-file', async ({ phoneNumber, body, headers, set }) => reply(set, await service.sendMedia(phoneNumber, 'file', body, headers['idempotency-key'])), {
      ...send,
      body: SendFileBody,
      response: { 200: SendResult, ...mediaErrors },
      detail: { tags, summary: 'Send a file (document)', description: `Sends any file as a document (100 MB by default), named \`filename\` (else the URL's file name, else file.<ext>).${MEDIA_NOTES}${SEND_NOTES}` },
    })
    .post('/:phoneNumber/send-video', async ({ phoneNumber, body, headers, set }) => reply(set, await service.sendMedia(phoneNumber, 'video', body, headers['idempotency-key'])), {
      ...send,
      body: SendVideoBody,
      response: { 200: SendResult, ...mediaErrors },
      detail: { tags, summary: 'Send a video', description: `Sends a video (16 MB by default) with an optional caption (\`mentions\` as in send-text). A video that is not already H.264/AAC MP4 (AVI, MPEG-4 part 2, WebM…) is converted to it with ffmpeg (\`+faststart\`); one that cannot be read is a 400 naming the problem. \`viewOnce: true\` sends it view-once.${CONVERT_NOTES}${MEDIA_NOTES}${SEND_NOTES}` },
    })
    .post('/:phoneNumber/send-voice', async ({ phoneNumber, body, headers, set }) => reply(set, await service.sendMedia(phoneNumber, 'voice', body, headers['idempotency-key'])), {
      ...send,
      body: SendVoiceBody,
      response: { 200: SendResult, ...mediaErrors },
      detail: { tags, summary: 'Send a voice note', description: `Sends audio as a push-to-talk voice note. WhatsApp records mono OGG/Opus: MP3, WAV, M4A, OGG/Vorbis and other audio is converted to it (48 kHz, mono) with ffmpeg, and the note carries its duration and waveform where the engine takes them; audio that cannot be read is a 400 naming the problem. \`viewOnce: true\` sends it view-once. The typing indicator, when on, shows "recording…".${CONVERT_NOTES}${MEDIA_NOTES}${SEND_NOTES}` },
    })
    .post('/:phoneNumber/send-audio', async ({ phoneNumber, body, headers, set }) => reply(set, await service.sendMedia(phoneNumber, 'audio', body, headers['idempotency-key'])), {
      ...send,
      body: SendAudioBody,
      response: { 200: SendResult, ...mediaErrors },
      detail: { tags, summary: 'Send an audio file', description: `Sends audio as a playable file (not a voice note).${MEDIA_NOTES}${SEND_NOTES}` },
    })
    .post('/:phoneNumber/send-sticker', async ({ phoneNumber, body, headers, set }) => reply(set, await service.sendMedia(phoneNumber, 'sticker', body, headers['idempotency-key'])), {
      ...send,
      body: SendStickerBody,
      response: { 200: SendResult, ...mediaErrors },
      detail: { tags, summary: 'Send a sticker', description: `Sends an image as a sticker (500 KB by default). PNG, JPEG, GIF and WebP of another size are converted to WhatsApp's 512×512 WebP (scaled to fit, padded with transparency; a GIF stays animated); a 512×512 WebP is sent as is.${CONVERT_NOTES}${MEDIA_NOTES}${SEND_NOTES}` },
    })
    .post('/:phoneNumber/send-location', async ({ phoneNumber, body, headers, set }) => reply(set, await service.sendLocation(phoneNumber, body, headers['idempotency-key'])), {
      ...send,
      body: SendLocationBody,
      response: { 200: SendResult, ...connectedErrors },
      detail: { tags, summary: 'Send a location', description: `Sends a map pin with an optional name and address.${SEND_NOTES}` },
    })
    .post('/:phoneNumber/send-contact', async ({ phoneNumber, body, headers, set }) => reply(set, await service.sendContact(phoneNumber, body, headers['idempotency-key'])), {
      ...send,
      body: SendContactBody,
      response: { 200: SendResult, ...connectedErrors },
      detail: {
        tags,
        summary: 'Send contact cards',
        description: `Sends one or more contact cards: give \`contacts\` (the server builds vCards with WhatsApp's \`waid\`, so the card opens a chat) or one ready \`vcard\`.${SEND_NOTES}`,
      },
    })
    .post('/:phoneNumber/send-poll', async ({ phoneNumber, body, headers, set }) => reply(set, await service.sendPoll(phoneNumber, body, headers['idempotency-key'])), {
      ...send,
      body: SendPollBody,
      response: { 200: SendResult, ...connectedErrors },
      detail: { tags, summary: 'Send a poll', description: `Sends a poll with 2 to 12 distinct options.${SEND_NOTES}` },
    })
    .post('/:phoneNumber/messages/:messageId/react', ({ phoneNumber, params, body }) => service.react(phoneNumber, params.messageId, body.emoji), {
      requireSingleAccountProtected: true,
      params: PhoneMessageParams,
      body: ReactBody,
      response: { 200: SuccessResult, ...connectedErrors },
      detail: { tags, summary: 'React to a message', description: 'Adds (or, with `""`, removes) your emoji reaction; the other side receives a `message.reaction` event. 404 for an unknown message.' },
    })
    .post('/:phoneNumber/messages/:messageId/edit', ({ phoneNumber, params, body }) => service.edit(phoneNumber, params.messageId, body.text), {
      requireSingleAccountProtected: true,
      params: PhoneMessageParams,
      body: EditBody,
      response: { 200: SuccessResult, ...connectedErrors },
      detail: {
        tags,
        summary: 'Edit a message',
        description: 'Edits the text (or caption) of one of your messages, within 15 minutes of sending as WhatsApp allows (400 otherwise); the other side receives `message.edited`. 404 for an unknown message.',
      },
    })
    .post('/:phoneNumber/messages/:messageId/delete', ({ phoneNumber, params, body }) => service.delete(phoneNumber, params.messageId, body?.forEveryone ?? false), {
      requireSingleAccountProtected: true,
      params: PhoneMessageParams,
      body: DeleteBody,
      response: { 200: SuccessResult, ...connectedErrors },
      detail: {
        tags,
        summary: 'Delete a message',
        description:
          'With `forEveryone: true`, deletes one of your messages for everyone (the chat keeps a "deleted" placeholder; the other side receives `message.revoked`). Without it (the default, as in whatsapp-web.js), deletes the message on this number only. 404 for an unknown message.',
      },
    })
    .post('/:phoneNumber/messages/:messageId/forward', async ({ phoneNumber, params, body, headers, set }) => reply(set, await service.forward(phoneNumber, params.messageId, body, headers['idempotency-key'])), {
      requireSingleAccountProtected: true,
      params: PhoneMessageParams,
      headers: IdempotencyHeaders,
      body: ForwardBody,
      response: { 200: SendResult, ...connectedErrors },
      detail: { tags, summary: 'Forward a message', description: `Forwards a message (with its media) to another chat, marked as forwarded. 404 for an unknown message.${SEND_NOTES}` },
    })
    .post('/:phoneNumber/chat/:chatId/seen', ({ phoneNumber, params }) => service.seen(phoneNumber, params.chatId), {
      requireSingleAccountProtected: true,
      params: PhoneChatParams,
      response: { 200: SuccessResult, ...connectedErrors },
      detail: { tags: ['Chats'], summary: 'Mark a chat as read', description: "Marks the chat's messages read: the senders' messages turn to READ (blue ticks). 404 for an unknown chat." },
    })
    .post('/:phoneNumber/chat/:chatId/presence', ({ phoneNumber, params, body }) => service.presence(phoneNumber, params.chatId, body.state), {
      requireSingleAccountProtected: true,
      params: PhoneChatParams,
      body: PresenceBody,
      response: { 200: SuccessResult, ...connectedErrors },
      detail: { tags: ['Chats'], summary: 'Show typing or recording', description: 'Shows "typing…" or "recording audio…" in the chat, or clears it with `paused`.' },
    })
    .post('/:phoneNumber/status', async ({ phoneNumber, body, headers, set }) => reply(set, await service.postStatus(phoneNumber, body, headers['idempotency-key'])), {
      ...send,
      body: StatusBody,
      response: { 200: SendResult, ...mediaErrors },
      detail: {
        tags: ['Status'],
        summary: 'Post to Status',
        description: `Posts a text (\`text\`, optional \`backgroundColor\` and \`font\`), image (\`imageUrl\`), video (\`videoUrl\`) or voice (\`audioUrl\`, optional \`backgroundColor\`; capability \`status.voice\`) Status, with an optional \`caption\` for images and videos. A video that is not H.264/AAC MP4 is converted to it, and voice that is not OGG/Opus to a mono OGG/Opus note. The post is stored in the chat \`status@broadcast\`; delete it with \`DELETE /:phoneNumber/status/:messageId\`.${CONVERT_NOTES}${MEDIA_NOTES}${SEND_NOTES}`,
      },
    })
    .delete('/:phoneNumber/status/:messageId', ({ phoneNumber, params }) => service.deleteStatus(phoneNumber, params.messageId), {
      requireSingleAccountProtected: true,
      params: PhoneMessageParams,
      response: { 200: SuccessResult, ...connectedErrors },
      detail: {
        tags: ['Status'],
        summary: 'Delete a Status post',
        description:
          'Deletes one of this number\'s Status posts for everyone who could see it (they receive `message.revoked`; history shows it as revoked). 404 for an unknown message; 400 for a message that is not an own Status post. Needs a CONNECTED session (409 otherwise) whose engine can do it (501 NOT_SUPPORTED otherwise).',
      },
    })
}
