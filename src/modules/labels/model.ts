/** Schemas of §12's WhatsApp Business labels. */
import { t } from 'elysia'
import { LABEL_COLORS, MAX_LABEL_COLOR } from '../../lib/label-colors'
import { PhoneNumberParam } from '../common/model'
import { ChatIdString } from '../common/whatsapp-model'

export const LabelIdString = t.String({ pattern: '^[0-9A-Za-z_-]{1,64}$', description: 'A label id, as `GET /:phoneNumber/labels` lists them', examples: ['1'] })

export const PhoneLabelParams = t.Object({ phoneNumber: PhoneNumberParam, labelId: LabelIdString })

export const Label = t.Object(
  {
    id: t.String({ examples: ['1'] }),
    name: t.String({ examples: ['New customer'] }),
    color: t.Integer({ minimum: 0, maximum: MAX_LABEL_COLOR, description: "Index in WhatsApp Business's 20-colour label palette" }),
    colorHex: t.String({ description: 'The colour itself', examples: ['#64c4ff'] }),
  },
  { examples: [{ id: '1', name: 'New customer', color: 1, colorHex: '#64c4ff' }] },
)

export const LabelList = t.Array(Label, {
  examples: [
    [
      { id: '1', name: 'New customer', color: 1, colorHex: '#64c4ff' },
      { id: '4', name: 'Paid', color: 5, colorHex: '#55ccb3' },
    ],
  ],
})

const colorFields = {
  color: t.Optional(t.Integer({ minimum: 0, maximum: MAX_LABEL_COLOR, description: `Palette index 0–${MAX_LABEL_COLOR}` })),
  colorHex: t.Optional(
    t.String({ pattern: '^#?[0-9A-Fa-f]{6}$', description: `A colour; WhatsApp takes the nearest of its palette (${LABEL_COLORS.slice(0, 3).join(', ')}, …). Ignored when \`color\` is given` }),
  ),
}

export const CreateLabelBody = t.Object(
  { name: t.String({ minLength: 1, maxLength: 100, description: 'Unique among the labels (case-insensitive)' }), ...colorFields },
  { additionalProperties: false, examples: [{ name: 'VIP', color: 13 }] },
)

export const UpdateLabelBody = t.Object(
  { name: t.Optional(t.String({ minLength: 1, maxLength: 100 })), ...colorFields },
  { additionalProperties: false, examples: [{ name: 'Gold customer', colorHex: '#ffaf04' }] },
)

export const ChatLabelsBody = t.Object(
  {
    labelIds: t.Array(LabelIdString, { maxItems: 20, description: "The chat's labels after the call (replaces them; `[]` removes all)", examples: [['1', '4']] }),
  },
  { additionalProperties: false, examples: [{ labelIds: ['1', '4'] }] },
)

export const ChatLabelsResult = t.Object(
  { labels: t.Array(Label, { description: "The chat's labels now" }) },
  { examples: [{ labels: [{ id: '1', name: 'New customer', color: 1, colorHex: '#64c4ff' }] }] },
)

export const PhoneChatLabelParams = t.Object({ phoneNumber: PhoneNumberParam, chatId: ChatIdString })
