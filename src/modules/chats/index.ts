/** §6 chat routes: the chat list, one chat, message history and media downloads. */
import { Elysia } from 'elysia'
import { authGuards, type GuardDeps } from '../../auth/guards'
import { BadRequestError } from '../../errors'
import { PhoneParams } from '../common/model'
import { connectedErrors, PhoneChatParams } from '../common/whatsapp-model'
import { Chat, ChatList, ChatsQuery, History, HistoryQuery, MediaParams } from './model'
import { type ChatsService, type MediaDownload } from './service'

const tags = ['Chats']

/** Types a browser may show inline; anything else downloads, so stored HTML or SVG never runs on this origin. */
const INLINE = /^(image\/(png|jpeg|gif|webp|bmp)|video\/[\w.+-]+|audio\/[\w.+-]+)$/

function contentDisposition(media: MediaDownload): string {
  const disposition = INLINE.test(media.mimeType) ? 'inline' : 'attachment'
  if (!media.filename) return disposition
  const ascii = media.filename.replace(/[^\x20-\x7e]|["\\]/g, '_')
  return `${disposition}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(media.filename)}`
}

export function mediaResponse(media: MediaDownload): Response {
  const body = media.body instanceof Uint8Array && !(media.body.buffer instanceof ArrayBuffer) ? new Uint8Array(media.body) : (media.body as Blob | Uint8Array<ArrayBuffer>)
  return new Response(body, {
    headers: {
      'content-type': media.mimeType,
      'content-length': String(media.size),
      'content-disposition': contentDisposition(media),
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
      'cache-control': 'private, max-age=3600',
    },
  })
}

export function chatsModule(deps: GuardDeps, service: ChatsService) {
  return new Elysia({ name: 'chats', seed: deps })
    .use(authGuards(deps))
    .get('/:phoneNumber/chats', ({ phoneNumber, query }) => service.list(phoneNumber, query), {
      requireSingleAccountProtected: true,
      params: PhoneParams,
      query: ChatsQuery,
      response: { 200: ChatList, ...connectedErrors },
      detail: { tags, summary: 'List chats', description: 'Chats of the number, most recent activity first, paginated (`page` from 1, `limit` 1–200, default 50) with the `total`; pinned chats come first. Filters: `archived`, `pinned`, `unread`, `labelId`, `search` (part of the name). Each chat says `archived`, `pinned`, `markedUnread`, `muteExpiration` and `labels`.' },
    })
    .get('/:phoneNumber/chat/:chatId', ({ phoneNumber, params }) => service.get(phoneNumber, params.chatId), {
      requireSingleAccountProtected: true,
      params: PhoneChatParams,
      response: { 200: Chat, ...connectedErrors },
      detail: { tags, summary: 'Get a chat', description: 'One chat with its unread count and last message. 404 for a chat the number does not have.' },
    })
    .get('/:phoneNumber/messages/:chatId', ({ phoneNumber, params, query, request }) => {
      // History pages by cursor, so a new message never shifts what page 2 means; a `page`
      // that was silently ignored would hand a client page 1 again and again.
      if (new URL(request.url).searchParams.has('page')) {
        throw new BadRequestError('History does not take page: it pages by cursor. Pass before = the id of the last message of the previous page (while hasMore)', { field: 'page', use: 'before' })
      }
      return service.history(phoneNumber, params.chatId, query)
    }, {
      requireSingleAccountProtected: true,
      params: PhoneChatParams,
      query: HistoryQuery,
      response: { 200: History, ...connectedErrors },
      detail: {
        tags,
        summary: 'Message history',
        description:
          "Messages of a chat, newest first: this server's message store (every message sent or received while the server ran, with acks, replies, edits, deletions and reactions applied) merged with the engine's own history where the engine has one (capability `messages.history`: whatsapp-web.js `fetchMessages`, WAHA's chat messages), so messages from before the link or from while the server was down appear too, each once. Messages read from the engine are kept; their media downloads from the engine on first request. Page with `limit` (1–200, default 50) and `before` = the last id of the previous page while `hasMore`; `page` is refused with a 400 naming `before` (a cursor, so new messages never shift a page). 404 for an unknown chat or cursor.",
      },
    })
    .get('/:phoneNumber/messages/:chatId/:messageId/media', async ({ phoneNumber, params }) => mediaResponse(await service.media(phoneNumber, params.chatId, params.messageId)), {
      requireSingleAccountProtected: true,
      params: MediaParams,
      // The 200 is the bytes (a Response, never validated): documented in detail.responses.
      response: connectedErrors,
      detail: {
        tags,
        summary: "Download a message's media",
        description: "The bytes with the media's `Content-Type` (and its file name in `Content-Disposition`). 404 when the message is unknown or has no media.",
        responses: { 200: { description: 'The media bytes', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } } },
      },
    })
}
