/** §12 calls: reject a ringing call; the session's call settings (automatic rejection with a reply). */
import { Elysia } from 'elysia'
import { authGuards, type GuardDeps } from '../../auth/guards'
import { PhoneParams } from '../common/model'
import { connectedErrors, SuccessResult } from '../common/whatsapp-model'
import { ErrorEnvelope, guardedErrors } from '../common/model'
import { CallSettings, CallSettingsBody, PhoneCallParams } from './model'
import type { CallsService } from './service'

const tags = ['Calls']

export function callsModule(deps: GuardDeps, service: CallsService) {
  return new Elysia({ name: 'calls', seed: deps })
    .use(authGuards(deps))
    .post('/:phoneNumber/calls/:callId/reject', ({ phoneNumber, params }) => service.reject(phoneNumber, params.callId), {
      requireSingleAccountProtected: true,
      params: PhoneCallParams,
      response: { 200: SuccessResult, ...connectedErrors },
      detail: {
        tags,
        summary: 'Reject a call',
        description:
          'Declines a call ringing on this number; its id comes from the `call.received` event (`{id, from, timestamp, isVideo, isGroup}`). 404 for a call that is not ringing (unknown or ended), 409 for one already rejected (where the engine can tell). Needs a CONNECTED session (409 otherwise) whose engine can do it (501 NOT_SUPPORTED otherwise).',
      },
    })
    .get('/:phoneNumber/settings', ({ phoneNumber }) => service.settings(phoneNumber), {
      requireSingleAccountProtected: true,
      params: PhoneParams,
      response: { 200: CallSettings, ...guardedErrors },
      detail: { tags, summary: "The session's call settings", description: 'Whether incoming calls are declined automatically, and the text sent to the caller then. Kept in the database; works whatever the session\'s state.' },
    })
    .put('/:phoneNumber/settings', ({ phoneNumber, body }) => service.updateSettings(phoneNumber, body), {
      requireSingleAccountProtected: true,
      params: PhoneParams,
      body: CallSettingsBody,
      response: { 200: CallSettings, ...guardedErrors, 501: ErrorEnvelope },
      detail: {
        tags,
        summary: "Change the session's call settings",
        description:
          "`rejectCalls: true` declines every incoming call as it rings (the `call.received` event is still published), then sends `rejectCallsMessage` to the caller when one is set (`null` removes it). Fields left out keep their value. Kept in the database, so it survives restarts; removed with the session. 501 NOT_SUPPORTED when the session's engine cannot reject calls.",
      },
    })
}
