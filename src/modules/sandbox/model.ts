import { t } from 'elysia'

export { SandboxScanBody } from '../sessions/model'

export const SandboxIncomingBody = t.Object(
  {
    from: t.String({ pattern: '^\\+?[0-9]{7,15}(@c\\.us)?$', description: 'The outside number writing in', examples: ['966511111111'] }),
    text: t.Optional(t.String({ maxLength: 65536, description: 'Text, or the caption of the media' })),
    media: t.Optional(
      t.Object({
        data: t.String({ description: 'Base64, or a data URL', examples: ['iVBORw0KGgoAAAANSUhEUg…'] }),
        mimeType: t.Optional(t.String({ description: 'Required with raw base64', examples: ['image/png'] })),
        filename: t.Optional(t.String({ maxLength: 255 })),
      }),
    ),
    quotedMsgId: t.Optional(t.String({ description: 'Id of a message in this chat that the incoming one replies to' })),
  },
  { additionalProperties: false, examples: [{ from: '966511111111', text: 'Hello from outside' }] },
)

export const SandboxCallBody = t.Object(
  {
    to: t.String({ minLength: 1, maxLength: 100, description: 'A number of this simulated network (`966500000002`, `…@c.us`) or a group `…@g.us`', examples: ['966500000002'] }),
    video: t.Optional(t.Boolean({ description: 'A video call (default: voice)' })),
  },
  { additionalProperties: false, examples: [{ to: '966500000002', video: false }] },
)
