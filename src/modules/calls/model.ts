/** Schemas of §12's calls: rejecting one, and the per-session call settings. */
import { t } from 'elysia'
import { PhoneNumberParam } from '../common/model'

export const PhoneCallParams = t.Object({
  phoneNumber: PhoneNumberParam,
  callId: t.String({ pattern: '^[0-9A-Za-z:._-]{1,128}$', description: 'The id of the ringing call, from the `call.received` event', examples: ['A1B2C3D4E5F60718293A4B5C6D7E8F90'] }),
})

export const CallSettings = t.Object(
  {
    rejectCalls: t.Boolean({ description: 'Every incoming call is declined as it rings (the `call.received` event is still published)' }),
    rejectCallsMessage: t.Union([t.String(), t.Null()], { description: 'Sent to the caller after an automatic rejection; null: nothing is sent' }),
  },
  { examples: [{ rejectCalls: true, rejectCallsMessage: "We don't take calls here; please write us a message." }] },
)

export const CallSettingsBody = t.Object(
  {
    rejectCalls: t.Optional(t.Boolean({ description: 'Decline every incoming call automatically' })),
    rejectCallsMessage: t.Optional(t.Union([t.String({ minLength: 1, maxLength: 4096 }), t.Null()], { description: 'Text sent to the caller after an automatic rejection; null removes it' })),
  },
  { additionalProperties: false, examples: [{ rejectCalls: true, rejectCallsMessage: "We don't take calls here; please write us a message." }] },
)
