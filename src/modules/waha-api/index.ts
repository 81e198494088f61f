/**
 * WAHA's own REST API (API.md §13) at WAHA's paths, so a WAHA client switches by URL:
 * sessions, pairing, sending, chats, contacts, groups, profile, presence, Status, server
 * info, and `/ws`. Every route is `requireAuth` (X-Api-Key, admin or account key) and hidden
 * from our OpenAPI document (WAHA's is the reference). Errors are WAHA's (./errors.ts,
 * through the errors plugin). Operations WAHA has and we cannot do are routed from the
 * catalog and answer WAHA's 422 "not implemented".
 */
import { Elysia } from 'elysia'
import { authGuards, type GuardDeps } from '../../auth/guards'
import type { Principal } from '../../auth/principal'
import { NotSupportedError } from '../../errors'
import { MAX_LABEL_COLOR } from '../../lib/label-colors'
import { routePath, WAHA_OPERATIONS, type WahaOperation } from './catalog'
import {
  AdminsOnlyBody,
  ApiKeyBody,
  ChatBody,
  ChatsQuery,
  ContactBody,
  ContactQuery,
  ContactsAllQuery,
  CreateGroupBody,
  DeprecatedLogoutBody,
  DeprecatedMessagesQuery,
  DeprecatedStartBody,
  DeprecatedStopBody,
  DescriptionBody,
  EditBody,
  ForwardBody,
  GroupsQuery,
  ListSessionsQuery,
  MediaStatusBody,
  VoiceStatusBody,
  DeleteStatusBody,
  JoinInfoQuery,
  JoinGroupBody,
  ContactUpdateBody,
  MessagesQuery,
  OverviewBody,
  PinBody,
  PollVoteBody,
  ParticipantsBody,
  PhoneQuery,
  PictureBody,
  PresenceBody,
  ProfileNameBody,
  ProfileStatusBody,
  QrQuery,
  ReactionBody,
  ReadQuery,
  ReplyBody,
  RequestCodeBody,
  SendContactVcardBody,
  SendLocationBody,
  SendMediaBody,
  SendPollBody,
  SendSeenBody,
  SendTextBody,
  SendTextQuery,
  StarBody,
  SessionCreateBody,
  SessionUpdateBody,
  SubjectBody,
  TextStatusBody,
  ChannelsQuery,
  CreateChannelBody,
  LabelBody,
  RejectCallBody,
  SetLabelsBody,
} from './model'
import { waChannel } from './mappers'
import { WahaApiService, type WahaApiDeps } from './service'

export { wahaErrorResponder } from './errors'

/** Hidden from our document: WAHA's own (../shared/waha/openapi.json) describes these routes. */
const hidden = () => ({ hide: true, tags: ['WAHA'] })
/**
 * A fresh hooks object per route: Elysia writes the macro's hooks into the object it is
 * given, so one shared object would carry the first app's guard into every later app.
 */
const auth = () => ({ requireAuth: true as const, detail: hidden() })

type SetStatus = { status?: number | string }
function created<T>(set: SetStatus, value: T): T {
  set.status = 201
  return value
}

export interface WahaApiModuleDeps extends WahaApiDeps, GuardDeps {}

/** WAHA's label colour: a palette index (0–19) wins over a hex colour; anything else is left to the default. */
function labelColor(body: { color?: number | null; colorHex?: string | null }): { color?: number; colorHex?: string } {
  if (typeof body.color === 'number' && Number.isInteger(body.color) && body.color >= 0 && body.color <= MAX_LABEL_COLOR) return { color: body.color }
  return body.colorHex ? { colorHex: body.colorHex } : {}
}

/** The session a not-implemented operation names: in the path, the query or the body. */
function sessionOf(params: Record<string, string> | undefined, query: Record<string, unknown> | undefined, body: unknown): string | undefined {
  const fromBody = body && typeof body === 'object' ? (body as { session?: unknown }).session : undefined
  const value = params?.session ?? query?.session ?? fromBody
  return typeof value === 'string' ? value : undefined
}

export function wahaApiModule(deps: WahaApiModuleDeps) {
  const waha = new WahaApiService(deps)
  const app = new Elysia({ name: 'waha-api', seed: deps })
    .use(authGuards(deps))
    // ─── Observability (public ping and health, as WAHA) ───────────────────
    .get('/ping', () => ({ message: 'pong' }), { detail: hidden() })
    .get('/health', () => ({ status: 'ok', info: {}, error: {}, details: {} }), { detail: hidden() })
    .get('/api/server/version', () => waha.environment(), auth())
    .get('/api/version', () => waha.environment(), auth())
    .get('/api/server/status', () => waha.serverStatus(), auth())

    // ─── API keys ──────────────────────────────────────────────────────────
    .post('/api/keys', async ({ principal, body, set }) => created(set, await waha.createKey(principal, body)), { ...auth(), body: ApiKeyBody })
    .get('/api/keys', ({ principal }) => waha.listKeys(principal), auth())
    .delete('/api/keys/:id', ({ principal, params }) => waha.deleteKey(principal, params.id), auth())

    // ─── Sessions ──────────────────────────────────────────────────────────
    .get('/api/sessions', ({ principal, query }) => waha.listSessions(principal, query.all === true), { ...auth(), query: ListSessionsQuery })
    .post('/api/sessions', async ({ principal, body, set }) => created(set, await waha.createSession(principal, body)), { ...auth(), body: SessionCreateBody })
    .post('/api/sessions/start', async ({ principal, body, set }) => created(set, await waha.deprecatedStart(principal, body)), { ...auth(), body: DeprecatedStartBody })
    .post('/api/sessions/stop', async ({ principal, body, set }) => created(set, await waha.lifecycle(principal, body.name, body.logout ? 'logout' : 'stop')), { ...auth(), body: DeprecatedStopBody })
    .post('/api/sessions/logout', async ({ principal, body, set }) => created(set, await waha.lifecycle(principal, body.name, 'logout')), { ...auth(), body: DeprecatedLogoutBody })
    .get('/api/sessions/:session', ({ principal, params }) => waha.getSession(principal, params.session), auth())
    .put('/api/sessions/:session', ({ principal, params, body }) => waha.updateSession(principal, params.session, body.config), { ...auth(), body: SessionUpdateBody })
    .delete('/api/sessions/:session', async ({ principal, params }) => {
      await waha.deleteSession(principal, params.session)
      return { success: true }
    }, auth())
    .get('/api/sessions/:session/me', ({ principal, params }) => waha.me(principal, params.session), auth())
    .post('/api/sessions/:session/start', async ({ principal, params, set }) => created(set, await waha.lifecycle(principal, params.session, 'start')), auth())
    .post('/api/sessions/:session/stop', async ({ principal, params, set }) => created(set, await waha.lifecycle(principal, params.session, 'stop')), auth())
    .post('/api/sessions/:session/restart', async ({ principal, params, set }) => created(set, await waha.lifecycle(principal, params.session, 'restart')), auth())
    .post('/api/sessions/:session/logout', async ({ principal, params, set }) => created(set, await waha.lifecycle(principal, params.session, 'logout')), auth())

    // ─── Pairing ───────────────────────────────────────────────────────────
    .get('/api/:session/auth/qr', async ({ principal, params, query, request }) => {
      const value = await waha.qrValue(principal, params.session)
      if (query.format === 'raw') return { value }
      const png = await waha.qrPng(value)
      // WAHA answers JSON only when asked for exactly that; anything else (browsers, */*) gets the PNG.
      if ((request.headers.get('accept') ?? '').trim().toLowerCase() === 'application/json') {
        return { mimetype: 'image/png', data: Buffer.from(png).toString('base64') }
      }
      return new Response(png, { headers: { 'content-type': 'image/png', 'cache-control': 'no-store' } })
    }, { ...auth(), query: QrQuery })
    .post('/api/:session/auth/request-code', async ({ principal, params, body, set }) => created(set, await waha.requestCode(principal, params.session, body.phoneNumber)), { ...auth(), body: RequestCodeBody })

    // ─── Sending ───────────────────────────────────────────────────────────
    .post('/api/sendText', async ({ principal, body, set }) => created(set, await waha.sendText(principal, body)), { ...auth(), body: SendTextBody })
    .get('/api/sendText', ({ principal, query }) => waha.sendText(principal, { session: query.session, chatId: query.phone, text: query.text }), { ...auth(), query: SendTextQuery })
    .post('/api/reply', async ({ principal, body, set }) => created(set, await waha.sendText(principal, body)), { ...auth(), body: ReplyBody })
    .post('/api/sendImage', async ({ principal, body, set }) => created(set, await waha.sendMedia(principal, 'image', body)), { ...auth(), body: SendMediaBody })
    .post('/api/sendFile', async ({ principal, body, set }) => created(set, await waha.sendMedia(principal, 'file', body)), { ...auth(), body: SendMediaBody })
    .post('/api/sendVideo', async ({ principal, body, set }) => created(set, await waha.sendMedia(principal, 'video', body)), { ...auth(), body: SendMediaBody })
    .post('/api/sendVoice', async ({ principal, body, set }) => created(set, await waha.sendMedia(principal, 'voice', body)), { ...auth(), body: SendMediaBody })
    .post('/api/sendLocation', async ({ principal, body, set }) => created(set, await waha.sendLocation(principal, body)), { ...auth(), body: SendLocationBody })
    .post('/api/sendContactVcard', async ({ principal, body, set }) => created(set, await waha.sendContactVcard(principal, body)), { ...auth(), body: SendContactVcardBody })
    .post('/api/sendPoll', async ({ principal, body, set }) => created(set, await waha.sendPoll(principal, body)), { ...auth(), body: SendPollBody })
    .post('/api/forwardMessage', async ({ principal, body, set }) => created(set, await waha.forward(principal, body)), { ...auth(), body: ForwardBody })
    .post('/api/sendSeen', async ({ principal, body, set }) => created(set, await waha.seen(principal, body)), { ...auth(), body: SendSeenBody })
    .post('/api/startTyping', async ({ principal, body, set }) => created(set, await waha.typing(principal, body, 'typing')), { ...auth(), body: ChatBody })
    .post('/api/stopTyping', async ({ principal, body, set }) => created(set, await waha.typing(principal, body, 'paused')), { ...auth(), body: ChatBody })
    .put('/api/reaction', ({ principal, body }) => waha.reaction(principal, body), { ...auth(), body: ReactionBody })
    .put('/api/star', ({ principal, body }) => waha.act(principal, body.session, (phone) => waha.chatActions.messageAction(phone, body.messageId, body.star ? 'star' : 'unstar')), { ...auth(), body: StarBody })
    .post('/api/sendPollVote', async ({ principal, body, set }) =>
      created(set, await waha.act(principal, body.session, (phone) => waha.chatActions.vote(phone, body.pollMessageId, body.votes.flat()))), { ...auth(), body: PollVoteBody })

    // ─── Chats and messages ────────────────────────────────────────────────
    .get('/api/messages', ({ principal, query }) => waha.messagesOf(principal, query.session, query.chatId, query), { ...auth(), query: DeprecatedMessagesQuery })
    .get('/api/checkNumberStatus', ({ principal, query }) => waha.checkExists(principal, query.session, query.phone), { ...auth(), query: PhoneQuery })
    .get('/api/:session/chats', ({ principal, params, query }) => waha.listChats(principal, params.session, query), { ...auth(), query: ChatsQuery })
    .get('/api/:session/chats/overview', ({ principal, params, query }) => {
      const ids = query.ids === undefined ? undefined : Array.isArray(query.ids) ? query.ids : query.ids.split(',')
      return waha.overview(principal, params.session, { ...(query.limit !== undefined && { limit: query.limit }), ...(query.offset !== undefined && { offset: query.offset }), ...(ids && { ids }) })
    }, { ...auth(), query: ChatsQuery })
    .post('/api/:session/chats/overview', async ({ principal, params, body, set }) =>
      created(set, await waha.overview(principal, params.session, { ...body.pagination, ...(body.filter?.ids && { ids: body.filter.ids }) })), { ...auth(), body: OverviewBody })
    .get('/api/:session/chats/:chatId/picture', async ({ principal, params }) => {
      const target = await waha.working(principal, params.session)
      // WAHA's schema has no null here: '' when there is no picture.
      return { url: (await waha.contacts.profilePicture(target.phone, params.chatId)).url ?? '' }
    }, auth())
    .get('/api/:session/chats/:chatId/messages', ({ principal, params, query }) => waha.messagesOf(principal, params.session, params.chatId, query), { ...auth(), query: MessagesQuery })
    .post('/api/:session/chats/:chatId/messages/read', async ({ principal, params, set }) => created(set, await waha.readChat(principal, params.session, params.chatId)), { ...auth(), query: ReadQuery })
    .get('/api/:session/chats/:chatId/messages/:messageId', ({ principal, params }) => waha.message(principal, params.session, params.chatId, params.messageId), auth())
    .put('/api/:session/chats/:chatId/messages/:messageId', ({ principal, params, body }) => waha.editMessage(principal, params.session, params.messageId, body.text), { ...auth(), body: EditBody })
    .delete('/api/:session/chats/:chatId', ({ principal, params }) => waha.act(principal, params.session, (phone) => waha.chatActions.deleteChat(phone, params.chatId)), auth())
    .delete('/api/:session/chats/:chatId/messages', ({ principal, params }) => waha.act(principal, params.session, (phone) => waha.chatActions.chatAction(phone, params.chatId, 'clear')), auth())
    .post('/api/:session/chats/:chatId/messages/:messageId/pin', async ({ principal, params, body, set }) =>
      created(set, await waha.act(principal, params.session, (phone) => waha.chatActions.pinMessage(phone, params.messageId, body.duration))), { ...auth(), body: PinBody })
    .post('/api/:session/chats/:chatId/messages/:messageId/unpin', async ({ principal, params, set }) =>
      created(set, await waha.act(principal, params.session, (phone) => waha.chatActions.messageAction(phone, params.messageId, 'unpin'))), auth())
    .post('/api/:session/chats/:chatId/archive', async ({ principal, params, set }) => created(set, await waha.act(principal, params.session, (phone) => waha.chatActions.chatAction(phone, params.chatId, 'archive'))), auth())
    .post('/api/:session/chats/:chatId/unarchive', async ({ principal, params, set }) => created(set, await waha.act(principal, params.session, (phone) => waha.chatActions.chatAction(phone, params.chatId, 'unarchive'))), auth())
    .post('/api/:session/chats/:chatId/unread', async ({ principal, params, set }) => created(set, await waha.act(principal, params.session, (phone) => waha.chatActions.chatAction(phone, params.chatId, 'unread'))), auth())
    .delete('/api/:session/chats/:chatId/messages/:messageId', ({ principal, params }) => waha.deleteMessage(principal, params.session, params.messageId), auth())

    // ─── Status ────────────────────────────────────────────────────────────
    .post('/api/:session/status/text', async ({ principal, params, body, set }) => created(set, await waha.postStatus(principal, params.session, { type: 'text', ...body })), { ...auth(), body: TextStatusBody })
    .post('/api/:session/status/image', async ({ principal, params, body, set }) => created(set, await waha.postStatus(principal, params.session, { type: 'image', ...body })), { ...auth(), body: MediaStatusBody })
    .post('/api/:session/status/video', async ({ principal, params, body, set }) => created(set, await waha.postStatus(principal, params.session, { type: 'video', ...body })), { ...auth(), body: MediaStatusBody })
    .post('/api/:session/status/voice', async ({ principal, params, body, set }) => created(set, await waha.postVoiceStatus(principal, params.session, body)), { ...auth(), body: VoiceStatusBody })
    .post('/api/:session/status/delete', async ({ principal, params, body, set }) => created(set, await waha.deleteStatus(principal, params.session, body.id)), { ...auth(), body: DeleteStatusBody })

    // ─── Contacts ──────────────────────────────────────────────────────────
    .get('/api/contacts/all', ({ principal, query }) => waha.allContacts(principal, query.session, query), { ...auth(), query: ContactsAllQuery })
    .get('/api/contacts', ({ principal, query }) => waha.contact(principal, query.session, query.contactId), { ...auth(), query: ContactQuery })
    .get('/api/contacts/check-exists', ({ principal, query }) => waha.checkExists(principal, query.session, query.phone), { ...auth(), query: PhoneQuery })
    .get('/api/contacts/profile-picture', ({ principal, query }) => waha.profilePicture(principal, query.session, query.contactId), { ...auth(), query: ContactQuery })
    .post('/api/contacts/block', async ({ principal, body, set }) => created(set, await waha.block(principal, body.session, body.contactId, true)), { ...auth(), body: ContactBody })
    .post('/api/contacts/unblock', async ({ principal, body, set }) => created(set, await waha.block(principal, body.session, body.contactId, false)), { ...auth(), body: ContactBody })
    .get('/api/:session/contacts/:id', ({ principal, params }) => waha.contact(principal, params.session, params.id), auth())
    .get('/api/contacts/about', ({ principal, query }) => waha.about(principal, query.session, query.contactId), { ...auth(), query: ContactQuery })
    .put('/api/:session/contacts/:chatId', async ({ principal, params, body }) => {
      await waha.groupAction(principal, params.session, (phone) => waha.contacts.save(phone, params.chatId, { firstName: body.firstName, ...(body.lastName !== undefined && { lastName: body.lastName }) }))
      return { success: true }
    }, { ...auth(), body: ContactUpdateBody })

    // ─── Groups ────────────────────────────────────────────────────────────
    .post('/api/:session/groups', async ({ principal, params, body, set }) => created(set, await waha.createGroup(principal, params.session, body)), { ...auth(), body: CreateGroupBody })
    .get('/api/:session/groups', ({ principal, params, query }) => waha.listGroups(principal, params.session, query), { ...auth(), query: GroupsQuery })
    .get('/api/:session/groups/count', ({ principal, params }) => waha.groupsCount(principal, params.session), auth())
    .get('/api/:session/groups/join-info', ({ principal, params, query }) => waha.joinInfo(principal, params.session, query.code), { ...auth(), query: JoinInfoQuery })
    .post('/api/:session/groups/join', ({ principal, params, body }) => waha.joinGroup(principal, params.session, body.code), { ...auth(), body: JoinGroupBody })
    .post('/api/:session/groups/:id/invite-code/revoke', ({ principal, params }) => waha.revokeInviteCode(principal, params.session, params.id), auth())
    .delete('/api/:session/groups/:id/picture', ({ principal, params }) => waha.groupAction(principal, params.session, (phone) => waha.groupInvites.deletePicture(phone, params.id)), auth())
    .post('/api/:session/groups/refresh', async ({ principal, params }) => {
      // Groups are read from the engine on every request: nothing is cached to refresh.
      await waha.groupsCount(principal, params.session)
      return { success: true }
    }, auth())
    .get('/api/:session/groups/:id', ({ principal, params }) => waha.group(principal, params.session, params.id), auth())
    .post('/api/:session/groups/:id/leave', ({ principal, params }) => waha.groupAction(principal, params.session, (phone) => waha.groups.leave(phone, params.id)), auth())
    .get('/api/:session/groups/:id/picture', async ({ principal, params }) => ({
      url: (await waha.groupAction(principal, params.session, (phone) => waha.contacts.profilePicture(phone, params.id))).url ?? '',
    }), auth())
    .put('/api/:session/groups/:id/picture', ({ principal, params, body }) => waha.setGroupPicture(principal, params.session, params.id, body.file), { ...auth(), body: PictureBody })
    .put('/api/:session/groups/:id/description', async ({ principal, params, body }) => {
      await waha.groupAction(principal, params.session, (phone) => waha.groups.update(phone, params.id, { description: body.description }))
      return { success: true }
    }, { ...auth(), body: DescriptionBody })
    .put('/api/:session/groups/:id/subject', async ({ principal, params, body }) => {
      await waha.groupAction(principal, params.session, (phone) => waha.groups.update(phone, params.id, { subject: body.subject }))
      return { success: true }
    }, { ...auth(), body: SubjectBody })
    .put('/api/:session/groups/:id/settings/security/info-admin-only', async ({ principal, params, body }) => {
      await waha.groupAction(principal, params.session, (phone) => waha.groups.update(phone, params.id, { infoAdminsOnly: body.adminsOnly }))
      return { success: true }
    }, { ...auth(), body: AdminsOnlyBody })
    .get('/api/:session/groups/:id/settings/security/info-admin-only', async ({ principal, params }) => ({
      adminsOnly: (await waha.groupAction(principal, params.session, (phone) => waha.groups.get(phone, params.id))).infoAdminsOnly,
    }), auth())
    .put('/api/:session/groups/:id/settings/security/messages-admin-only', async ({ principal, params, body }) => {
      await waha.groupAction(principal, params.session, (phone) => waha.groups.update(phone, params.id, { messagesAdminsOnly: body.adminsOnly }))
      return { success: true }
    }, { ...auth(), body: AdminsOnlyBody })
    .get('/api/:session/groups/:id/settings/security/messages-admin-only', async ({ principal, params }) => ({
      adminsOnly: (await waha.groupAction(principal, params.session, (phone) => waha.groups.get(phone, params.id))).messagesAdminsOnly,
    }), auth())
    .get('/api/:session/groups/:id/invite-code', ({ principal, params }) => waha.inviteCode(principal, params.session, params.id), auth())
    .get('/api/:session/groups/:id/participants', async ({ principal, params }) => (await waha.group(principal, params.session, params.id)).participants, auth())
    .get('/api/:session/groups/:id/participants/v2', ({ principal, params }) => waha.participantsV2(principal, params.session, params.id), auth())
    .post('/api/:session/groups/:id/participants/add', ({ principal, params, body }) => waha.groupAction(principal, params.session, (phone) => waha.groups.participants(phone, params.id, 'add', body.participants.map((p) => p.id))), { ...auth(), body: ParticipantsBody })
    .post('/api/:session/groups/:id/participants/remove', ({ principal, params, body }) => waha.groupAction(principal, params.session, (phone) => waha.groups.participants(phone, params.id, 'remove', body.participants.map((p) => p.id))), { ...auth(), body: ParticipantsBody })
    .post('/api/:session/groups/:id/admin/promote', ({ principal, params, body }) => waha.groupAction(principal, params.session, (phone) => waha.groups.participants(phone, params.id, 'promote', body.participants.map((p) => p.id))), { ...auth(), body: ParticipantsBody })
    .post('/api/:session/groups/:id/admin/demote', ({ principal, params, body }) => waha.groupAction(principal, params.session, (phone) => waha.groups.participants(phone, params.id, 'demote', body.participants.map((p) => p.id))), { ...auth(), body: ParticipantsBody })

    // ─── Labels, calls, channels (issue 13 part B) ──────────────────────────
    .get('/api/:session/labels', ({ principal, params }) => waha.act(principal, params.session, (phone) => waha.labels.list(phone)), auth())
    .post('/api/:session/labels', async ({ principal, params, body, set }) =>
      created(set, await waha.act(principal, params.session, (phone) => waha.labels.create(phone, { name: body.name, ...labelColor(body) }))), { ...auth(), body: LabelBody })
    .put('/api/:session/labels/:labelId', ({ principal, params, body }) =>
      waha.act(principal, params.session, (phone) => waha.labels.update(phone, params.labelId, { name: body.name, ...labelColor(body) })), { ...auth(), body: LabelBody })
    .delete('/api/:session/labels/:labelId', async ({ principal, params }) => {
      await waha.act(principal, params.session, (phone) => waha.labels.remove(phone, params.labelId))
      return {}
    }, auth())
    .get('/api/:session/labels/chats/:chatId', ({ principal, params }) => waha.act(principal, params.session, (phone) => waha.labels.chatLabels(phone, params.chatId)), auth())
    .put('/api/:session/labels/chats/:chatId', async ({ principal, params, body }) => {
      await waha.act(principal, params.session, (phone) => waha.labels.setChatLabels(phone, params.chatId, body.labels.map((label) => label.id)))
      return {}
    }, { ...auth(), body: SetLabelsBody })
    .get('/api/:session/labels/:labelId/chats', ({ principal, params }) => waha.act(principal, params.session, (phone) => waha.labels.chats(phone, params.labelId)), auth())
    .post('/api/:session/calls/reject', async ({ principal, params, body, set }) =>
      created(set, await waha.act(principal, params.session, (phone) => waha.calls.reject(phone, body.id))), { ...auth(), body: RejectCallBody })
    .get('/api/:session/channels', async ({ principal, params, query }) => {
      const channels = await waha.act(principal, params.session, (phone) => waha.channels.list(phone))
      return channels.filter((channel) => query.role === undefined || channel.role === query.role).map(waChannel)
    }, { ...auth(), query: ChannelsQuery })
    .post('/api/:session/channels', async ({ principal, params, body, set }) =>
      created(set, waChannel((await waha.act(principal, params.session, (phone) => waha.channels.create(phone, body.name, body.description))).channel)), { ...auth(), body: CreateChannelBody })
    .get('/api/:session/channels/:id', async ({ principal, params }) => waChannel(await waha.act(principal, params.session, (phone) => waha.channels.get(phone, params.id))), auth())
    .delete('/api/:session/channels/:id', async ({ principal, params }) => {
      await waha.act(principal, params.session, (phone) => waha.channels.remove(phone, params.id))
      return {}
    }, auth())
    .post('/api/:session/channels/:id/follow', async ({ principal, params, set }) => created(set, await waha.act(principal, params.session, (phone) => waha.channels.act(phone, params.id, 'follow'))), auth())
    .post('/api/:session/channels/:id/unfollow', async ({ principal, params, set }) => created(set, await waha.act(principal, params.session, (phone) => waha.channels.act(phone, params.id, 'unfollow'))), auth())
    .post('/api/:session/channels/:id/mute', async ({ principal, params, set }) => created(set, await waha.act(principal, params.session, (phone) => waha.channels.act(phone, params.id, 'mute'))), auth())
    .post('/api/:session/channels/:id/unmute', async ({ principal, params, set }) => created(set, await waha.act(principal, params.session, (phone) => waha.channels.act(phone, params.id, 'unmute'))), auth())

    // ─── Profile and presence ──────────────────────────────────────────────
    .get('/api/:session/profile', ({ principal, params }) => waha.myProfile(principal, params.session), auth())
    .put('/api/:session/profile/name', ({ principal, params, body }) => waha.groupAction(principal, params.session, (phone) => waha.profile.setName(phone, body.name)), { ...auth(), body: ProfileNameBody })
    .put('/api/:session/profile/status', ({ principal, params, body }) => waha.groupAction(principal, params.session, (phone) => waha.profile.setStatus(phone, body.status)), { ...auth(), body: ProfileStatusBody })
    .put('/api/:session/profile/picture', ({ principal, params, body }) => waha.setProfilePicture(principal, params.session, body.file), { ...auth(), body: PictureBody })
    .delete('/api/:session/profile/picture', ({ principal, params }) => waha.groupAction(principal, params.session, (phone) => waha.profile.deletePicture(phone)), auth())
    .post('/api/:session/presence', async ({ principal, params, body, set }) => created(set, await waha.setPresence(principal, params.session, body)), { ...auth(), body: PresenceBody })

  return withNotImplemented(app, waha)
}

/** Routes every `not-implemented` operation of the catalog to WAHA's 422, after auth and the session check. */
function withNotImplemented<A extends Elysia<any, any, any, any, any, any, any>>(app: A, waha: WahaApiService): A {
  for (const operation of WAHA_OPERATIONS) {
    if (operation.state !== 'not-implemented') continue
    const handler = ({ principal, params, query, body }: { principal: Principal; params: Record<string, string>; query: Record<string, unknown>; body: unknown }) =>
      notImplemented(waha, operation, principal, sessionOf(params, query, body))
    const method = operation.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete' | 'patch'
    ;(app[method] as (path: string, handler: unknown, hooks: unknown) => unknown).call(app, routePath(operation.path), handler, auth())
  }
  return app
}

async function notImplemented(waha: WahaApiService, operation: WahaOperation, principal: Principal, session: string | undefined): Promise<never> {
  const feature = operation.reason ?? operation.operationId
  // Session-less operations (keys, screenshot without a session…) name the server's default engine.
  if (session === undefined && !operation.path.includes('{session}')) throw new NotSupportedError(waha.defaultEngine(), feature)
  return waha.notImplemented(principal, session, feature)
}

