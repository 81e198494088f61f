/** Schemas of §12's chat and message actions: archive, pin, unread, mute, clear, delete; star, pin; polls. */
import { t } from 'elysia'
import { PIN_DURATIONS } from '../../providers/engine'
import { PhoneNumberParam } from '../common/model'
import { ChatIdString, MessageIdString } from '../common/whatsapp-model'

export const CHAT_ACTIONS = ['archive', 'unarchive', 'pin', 'unpin', 'unread', 'unmute', 'clear'] as const
export type ChatAction = (typeof CHAT_ACTIONS)[number]

export const MESSAGE_ACTIONS = ['star', 'unstar', 'unpin'] as const
export type MessageAction = (typeof MESSAGE_ACTIONS)[number]

export const MuteBody = t.Optional(
  t.Object(
    {
      until: t.Optional(t.String({ format: 'date-time', description: 'When the mute ends (ISO-8601, in the future); absent: muted for ever', examples: ['2026-01-08T09:00:00Z'] })),
    },
    { examples: [{ until: '2026-01-08T09:00:00Z' }, {}] },
  ),
)

export const PinMessageBody = t.Object(
  {
    duration: t.Union(
      PIN_DURATIONS.map((seconds) => t.Literal(seconds)),
      { description: "How long the message stays pinned, in seconds: WhatsApp's choices 86400 (24 hours), 604800 (7 days), 2592000 (30 days)", examples: [604800] },
    ),
  },
  { examples: [{ duration: 604800 }] },
)

export const VoteBody = t.Object(
  {
    options: t.Array(t.String({ minLength: 1, maxLength: 100 }), {
      maxItems: 12,
      description: "Names of the poll's options you choose (one, unless the poll allows several); `[]` withdraws your vote",
      examples: [['Tuesday']],
    }),
  },
  { examples: [{ options: ['Tuesday'] }] },
)

export const PollVotesResult = t.Object(
  {
    options: t.Array(
      t.Object({
        name: t.String(),
        votes: t.Integer({ minimum: 0 }),
        voters: t.Array(t.String({ description: 'JID of a voter' })),
      }),
    ),
  },
  {
    examples: [
      {
        options: [
          { name: 'Monday', votes: 0, voters: [] },
          { name: 'Tuesday', votes: 2, voters: ['966500000002@c.us', '966500000003@c.us'] },
        ],
      },
    ],
  },
)

export const ChatMessageParams = t.Object({ phoneNumber: PhoneNumberParam, chatId: ChatIdString, messageId: MessageIdString })

/**
 * `GET /messages/:x/votes` shares its place in the path with the history route
 * (`/messages/:chatId`), and the router needs one name for it: it is the poll's message id.
 */
export const VotesParams = t.Object({
  phoneNumber: PhoneNumberParam,
  chatId: t.String({ ...MessageIdString, description: "The poll's message id (`true_…` / `false_…`); the path segment shares its name with the history route's" }),
})
