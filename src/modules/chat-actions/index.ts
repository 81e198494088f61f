/** §12 chat and message actions: archive, pin, unread, mute, clear, delete; one message; star, pin; poll votes. */
import { Elysia } from 'elysia'
import { authGuards, type GuardDeps } from '../../auth/guards'
import { Message } from '../chats/model'
import { connectedErrors, PhoneChatParams, PhoneMessageParams, SuccessResult } from '../common/whatsapp-model'
import { t } from 'elysia'
import { CHAT_ACTIONS, ChatMessageParams, MESSAGE_ACTIONS, MuteBody, PinMessageBody, PollVotesResult, VoteBody, VotesParams, type ChatAction, type MessageAction } from './model'
import type { ChatActionsService } from './service'

const chatTags = ['Chats']
const messageTags = ['Messages']

const CHAT_ACTION_DOCS: Record<ChatAction, { summary: string; description: string }> = {
  archive: { summary: 'Archive a chat', description: 'Moves the chat to the archive (`GET /chats?archived=true` lists it).' },
  unarchive: { summary: 'Unarchive a chat', description: 'Brings an archived chat back to the chat list.' },
  pin: { summary: 'Pin a chat', description: 'Pins the chat to the top of the list (WhatsApp allows three pinned chats: a fourth is a 400). Pinned chats come first in `GET /chats`.' },
  unpin: { summary: 'Unpin a chat', description: 'Unpins the chat.' },
  unread: { summary: 'Mark a chat unread', description: 'Marks the chat unread, as "Mark as unread" on the phone: it shows `markedUnread: true` and matches `GET /chats?unread=true` until it is read (`POST …/seen`).' },
  unmute: { summary: 'Unmute a chat', description: 'Ends a mute.' },
  clear: { summary: "Clear a chat's messages", description: "Deletes every message of the chat on this number's devices (the chat stays, empty), and from this server's history." },
}

const MESSAGE_ACTION_DOCS: Record<MessageAction, { summary: string; description: string }> = {
  star: { summary: 'Star a message', description: "Stars the message (WhatsApp's starred messages). 404 for an unknown message." },
  unstar: { summary: 'Unstar a message', description: 'Removes the star.' },
  unpin: { summary: 'Unpin a message', description: 'Unpins a pinned message in its chat (400 when it is not pinned; 403 in a group where only admins edit the info).' },
}

const NOTES = ' Needs a CONNECTED session (409 otherwise) whose engine can do it (501 NOT_SUPPORTED otherwise, see `capabilities` in `GET /:phoneNumber/state`). 404 for an unknown chat.'

export function chatActionsModule(deps: GuardDeps, service: ChatActionsService) {
  const app = new Elysia({ name: 'chat-actions', seed: deps }).use(authGuards(deps))
  for (const action of CHAT_ACTIONS) {
    app.post(`/:phoneNumber/chat/:chatId/${action}`, ({ phoneNumber, params }) => service.chatAction(phoneNumber, params.chatId, action), {
      requireSingleAccountProtected: true,
      params: PhoneChatParams,
      response: { 200: SuccessResult, ...connectedErrors },
      detail: { tags: chatTags, summary: CHAT_ACTION_DOCS[action].summary, description: CHAT_ACTION_DOCS[action].description + NOTES },
    })
  }
  for (const action of MESSAGE_ACTIONS) {
    app.post(`/:phoneNumber/messages/:messageId/${action}`, ({ phoneNumber, params }) => service.messageAction(phoneNumber, params.messageId, action), {
      requireSingleAccountProtected: true,
      params: PhoneMessageParams,
      response: { 200: SuccessResult, ...connectedErrors },
      detail: { tags: messageTags, summary: MESSAGE_ACTION_DOCS[action].summary, description: MESSAGE_ACTION_DOCS[action].description + NOTES.replace('chat', 'message') },
    })
  }
  return app
    .post('/:phoneNumber/chat/:chatId/mute', ({ phoneNumber, params, body }) => service.mute(phoneNumber, params.chatId, body?.until), {
      requireSingleAccountProtected: true,
      params: PhoneChatParams,
      body: MuteBody,
      response: {
        200: t.Object({ success: t.Boolean(), muteExpiration: t.Integer({ description: 'Unix seconds when the mute ends; -1 for ever' }) }, { examples: [{ success: true, muteExpiration: 1767859200 }] }),
        ...connectedErrors,
      },
      detail: {
        tags: chatTags,
        summary: 'Mute a chat',
        description: 'Mutes notifications of the chat until `until` (ISO-8601, in the future, at most a year away), or for ever when absent. Chats show `muteExpiration` (unix seconds, -1 for ever, null when not muted).' + NOTES,
      },
    })
    .delete('/:phoneNumber/chat/:chatId', ({ phoneNumber, params }) => service.deleteChat(phoneNumber, params.chatId), {
      requireSingleAccountProtected: true,
      params: PhoneChatParams,
      response: { 200: SuccessResult, ...connectedErrors },
      detail: {
        tags: chatTags,
        summary: 'Delete a chat',
        description: "Deletes the chat and its messages on this number's devices and from this server's history. A group must be left first (400)." + NOTES,
      },
    })
    .get('/:phoneNumber/messages/:chatId/:messageId', ({ phoneNumber, params }) => service.message(phoneNumber, params.chatId, params.messageId), {
      requireSingleAccountProtected: true,
      params: ChatMessageParams,
      response: { 200: Message, ...connectedErrors },
      detail: {
        tags: messageTags,
        summary: 'Get one message',
        description: "One message of a chat by id, exactly as history shows it (acks, edits, reactions applied), from this server's message store. 404 when the chat has no such message.",
      },
    })
    .post('/:phoneNumber/messages/:messageId/pin', ({ phoneNumber, params, body }) => service.pinMessage(phoneNumber, params.messageId, body.duration), {
      requireSingleAccountProtected: true,
      params: PhoneMessageParams,
      body: PinMessageBody,
      response: {
        200: t.Object({ success: t.Boolean(), expiresAt: t.String({ format: 'date-time', description: 'When the pin ends' }) }, { examples: [{ success: true, expiresAt: '2026-01-08T09:00:00.000Z' }] }),
        ...connectedErrors,
      },
      detail: {
        tags: messageTags,
        summary: 'Pin a message in its chat',
        description: "Pins the message for everyone in the chat for one of WhatsApp's durations (`duration` 86400, 604800 or 2592000 seconds; anything else is a 400). In a group where only admins edit the info, only admins pin (403)." + NOTES.replace('chat', 'message'),
      },
    })
    .post('/:phoneNumber/messages/:messageId/vote', ({ phoneNumber, params, body }) => service.vote(phoneNumber, params.messageId, body.options), {
      requireSingleAccountProtected: true,
      params: PhoneMessageParams,
      body: VoteBody,
      response: { 200: SuccessResult, ...connectedErrors },
      detail: {
        tags: messageTags,
        summary: 'Vote in a poll',
        description:
          "Votes on a poll message with the names of the chosen options (a second vote replaces the first; `[]` withdraws it). 400 for a name that is not an option, several names on a single-answer poll, or a message that is not a poll. Both sides get a `poll.vote` event (WAHA's payload: `{vote: {id, selectedOptions, timestamp, from, fromMe, to}, poll: {id, chatId}}`)." +
          NOTES.replace('chat', 'message'),
      },
    })
    .get('/:phoneNumber/messages/:chatId/votes', ({ phoneNumber, params }) => service.votes(phoneNumber, params.chatId), {
      requireSingleAccountProtected: true,
      params: VotesParams,
      response: { 200: PollVotesResult, ...connectedErrors },
      detail: {
        tags: messageTags,
        summary: "A poll's results",
        description:
          "Every option of the poll, in its order, with the number of votes and who cast them (current choices: a changed vote counts once, where it is now). The path's second segment is the poll's message id." +
          NOTES.replace('chat', 'message'),
      },
    })
}
