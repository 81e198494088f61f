/** Schemas of §12's WhatsApp channels (newsletters). */
import { t } from 'elysia'
import { CHANNEL_ROLES } from '../../providers/engine'
import { oneOf, PhoneNumberParam } from '../common/model'

export const CHANNEL_ACTIONS = ['follow', 'unfollow', 'mute', 'unmute'] as const
export type ChannelAction = (typeof CHANNEL_ACTIONS)[number]

export const ChannelIdString = t.String({ minLength: 1, maxLength: 100, description: 'A channel id `…@newsletter`', examples: ['120363025555555555@newsletter'] })

export const PhoneChannelParams = t.Object({ phoneNumber: PhoneNumberParam, channelId: ChannelIdString })

const EXAMPLE = {
  id: '120363025555555555@newsletter',
  name: 'Store news',
  description: 'Offers and opening hours',
  role: 'OWNER',
  subscribers: 42,
  muted: false,
  invite: 'https://whatsapp.com/channel/0029VaABCDEFGHIJKLMNOP12',
}

export const Channel = t.Object(
  {
    id: t.String(),
    name: t.String(),
    description: t.String(),
    role: oneOf(CHANNEL_ROLES, { description: 'This number: OWNER (created it), ADMIN, SUBSCRIBER (follows it) or GUEST (neither)' }),
    subscribers: t.Optional(t.Integer({ minimum: 0, description: 'Followers, where the engine can count them' })),
    muted: t.Optional(t.Boolean({ description: "Whether this number muted the channel's notifications" })),
    invite: t.Optional(t.String({ description: 'The invite link' })),
  },
  { examples: [EXAMPLE] },
)

export const ChannelList = t.Array(Channel, { examples: [[EXAMPLE]] })

export const CreateChannelBody = t.Object(
  {
    name: t.String({ minLength: 1, maxLength: 100, description: "The channel's name" }),
    description: t.Optional(t.String({ maxLength: 2048 })),
  },
  { additionalProperties: false, examples: [{ name: 'Store news', description: 'Offers and opening hours' }] },
)

export const CreatedChannel = t.Object(
  { id: t.String({ description: 'The new channel, `…@newsletter`: post to it with the send routes' }), channel: Channel },
  { examples: [{ id: EXAMPLE.id, channel: EXAMPLE }] },
)
