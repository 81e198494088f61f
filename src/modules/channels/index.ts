/** §12 WhatsApp channels (newsletters): list, get, create, delete, follow / unfollow, mute / unmute. */
import { Elysia } from 'elysia'
import { authGuards, type GuardDeps } from '../../auth/guards'
import { PhoneParams } from '../common/model'
import { connectedErrors, SuccessResult } from '../common/whatsapp-model'
import { Channel, CHANNEL_ACTIONS, ChannelList, CreateChannelBody, CreatedChannel, PhoneChannelParams, type ChannelAction } from './model'
import type { ChannelsService } from './service'

const tags = ['Channels']
const NOTES = ' Needs a CONNECTED session (409 otherwise) whose engine can do it (501 NOT_SUPPORTED otherwise, see `capabilities` in `GET /:phoneNumber/state`). 400 for an id that is not `…@newsletter`, 404 for an unknown channel.'

const ACTION_DOCS: Record<ChannelAction, { summary: string; description: string }> = {
  follow: { summary: 'Follow a channel', description: "Follows the channel: its posts arrive as messages in the chat `…@newsletter` (history, webhooks, SSE). Following again changes nothing; the owner cannot follow their own channel (400)." },
  unfollow: { summary: 'Unfollow a channel', description: 'Stops following the channel (its role becomes GUEST). The owner cannot unfollow their own channel (400).' },
  mute: { summary: 'Mute a channel', description: "Mutes the channel's notifications (posts still arrive). 400 when the number does not follow it." },
  unmute: { summary: 'Unmute a channel', description: "Unmutes the channel's notifications. 400 when the number does not follow it." },
}

export function channelsModule(deps: GuardDeps, service: ChannelsService) {
  const app = new Elysia({ name: 'channels', seed: deps })
    .use(authGuards(deps))
    .get('/:phoneNumber/channels', ({ phoneNumber }) => service.list(phoneNumber), {
      requireSingleAccountProtected: true,
      params: PhoneParams,
      response: { 200: ChannelList, ...connectedErrors },
      detail: { tags, summary: 'List channels', description: 'Channels the number owns, administers or follows, with its `role` in each.' + NOTES },
    })
    .post('/:phoneNumber/channels', ({ phoneNumber, body }) => service.create(phoneNumber, body.name, body.description), {
      requireSingleAccountProtected: true,
      params: PhoneParams,
      body: CreateChannelBody,
      response: { 200: CreatedChannel, ...connectedErrors },
      detail: {
        tags,
        summary: 'Create a channel',
        description: 'Creates a channel owned by the number and answers with its id: post to it with the send routes (`chatId` the `…@newsletter` id; only the owner may post, 403 otherwise).' + NOTES,
      },
    })
    .get('/:phoneNumber/channels/:channelId', ({ phoneNumber, params }) => service.get(phoneNumber, params.channelId), {
      requireSingleAccountProtected: true,
      params: PhoneChannelParams,
      response: { 200: Channel, ...connectedErrors },
      detail: { tags, summary: 'Get a channel', description: 'Any channel by id, followed or not (`role` GUEST when neither owned nor followed).' + NOTES },
    })
    .delete('/:phoneNumber/channels/:channelId', ({ phoneNumber, params }) => service.remove(phoneNumber, params.channelId), {
      requireSingleAccountProtected: true,
      params: PhoneChannelParams,
      response: { 200: SuccessResult, ...connectedErrors },
      detail: { tags, summary: 'Delete a channel', description: 'Deletes a channel the number owns (403 for anyone else): it is gone for its followers too.' + NOTES },
    })
  for (const action of CHANNEL_ACTIONS) {
    app.post(`/:phoneNumber/channels/:channelId/${action}`, ({ phoneNumber, params }) => service.act(phoneNumber, params.channelId, action), {
      requireSingleAccountProtected: true,
      params: PhoneChannelParams,
      response: { 200: SuccessResult, ...connectedErrors },
      detail: { tags, summary: ACTION_DOCS[action].summary, description: ACTION_DOCS[action].description + NOTES },
    })
  }
  return app
}
