/** Simulator-only controls: play the phone (scan) and the outside world (incoming messages, crashes). */
import { Elysia, t } from 'elysia'
import { authGuards, type GuardDeps } from '../../auth/guards'
import { BadRequestError, NotSupportedError } from '../../errors'
import { normalizeChatId } from '../../lib/chat-id'
import type { EventIngest } from '../../events/ingest'
import { decodeBase64Strict, parseDataUrl } from '../../lib/base64'
import type { MediaFile, SandboxControls } from '../../providers/engine'
import { ErrorEnvelope, guardedErrors, PhoneParams } from '../common/model'
import { SandboxCallBody, SandboxScanBody, SandboxIncomingBody } from './model'

const tags = ['Sandbox (simulator)']

function decodeMedia(media: { data: string; mimeType?: string; filename?: string }): MediaFile {
  const fromDataUrl = parseDataUrl(media.data, 'media.data')
  const mimeType = fromDataUrl?.mimeType ?? media.mimeType
  if (!mimeType) throw new BadRequestError('media.mimeType is required with raw base64 data')
  const data = fromDataUrl?.data ?? decodeBase64Strict(media.data, 'media.data')
  return { data, mimeType, ...(media.filename && { filename: media.filename }) }
}

export function sandboxModule(deps: GuardDeps, ingest?: EventIngest) {
  const controls = async (phoneNumber: string): Promise<SandboxControls> => {
    const engine = await deps.sessions.requireEngine(phoneNumber, 'sandbox')
    return engine.sandbox!
  }
  return new Elysia({ name: 'sandbox', seed: deps })
    .use(authGuards(deps))
    .post('/:phoneNumber/sandbox/scan', async ({ phoneNumber, body }) => {
      const snapshot = await (await controls(phoneNumber)).scan({ ...(body?.phone && { phone: body.phone }), ...(body?.pushName && { pushName: body.pushName }) })
      const view = await deps.sessions.get(phoneNumber)
      return { success: snapshot.status === 'WORKING', state: view.state, status: view.status, ...(view.me && { me: view.me }), ...(view.reason && { reason: view.reason }) }
    }, {
      requireSingleAccountProtected: true,
      params: PhoneParams,
      body: SandboxScanBody,
      response: {
        200: t.Object(
          { success: t.Boolean(), state: t.String(), status: t.String(), me: t.Optional(t.Object({ id: t.String(), pushName: t.Optional(t.String()) })), reason: t.Optional(t.String()) },
          { examples: [{ success: true, state: 'CONNECTED', status: 'WORKING', me: { id: '966500000001@c.us', pushName: 'Support desk' } }] },
        ),
        409: ErrorEnvelope,
        501: ErrorEnvelope,
        ...guardedErrors,
      },
      detail: {
        tags,
        summary: 'The phone scans the QR',
        description: 'Simulator only: completes the pending QR or pairing-code link. Right after `start` the session is still STARTING: the scan waits for the QR (at most SIMULATOR_CONNECT_DELAY_MS + 5 s), so a script may start and scan at once; with no link pending it is a 409. `phone` pairs a different number, which puts the session in CONFLICT as a real mismatch would.',
      },
    })
    .post('/:phoneNumber/sandbox/incoming', async ({ phoneNumber, body }) => {
      const message = await (await controls(phoneNumber)).incoming({
        from: body.from,
        ...(body.text !== undefined && { text: body.text }),
        ...(body.media && { media: decodeMedia(body.media) }),
        ...(body.quotedMsgId && { quotedMsgId: body.quotedMsgId }),
      })
      // Answer once the message is stored (outbox, history): a 200 means it will reach webhooks and SSE.
      await ingest?.idle()
      return { messageId: message.id, timestamp: message.timestamp }
    }, {
      requireSingleAccountProtected: true,
      params: PhoneParams,
      body: SandboxIncomingBody,
      response: { 200: t.Object({ messageId: t.String(), timestamp: t.Number() }, { examples: [{ messageId: 'false_966511111111@c.us_3EB0C431D5A2B1F0E4A7', timestamp: 1767225600 }] }), 409: ErrorEnvelope, 501: ErrorEnvelope, ...guardedErrors },
      detail: { tags, summary: 'A message arrives from outside', description: 'Simulator only: an outside number sends this session a message, which flows through history, webhooks and SSE like a real one. Answers once the message is stored, so a 200 means it will be delivered even if the server dies right after.' },
    })
    .post('/:phoneNumber/sandbox/call', async ({ phoneNumber, body }) => {
      const to = normalizeChatId(body.to, 'to')
      const sandbox = await controls(phoneNumber)
      if (!sandbox.call) throw new NotSupportedError('simulator', 'sandbox calls')
      const call = await sandbox.call(to, body.video ?? false)
      await ingest?.idle()
      return call
    }, {
      requireSingleAccountProtected: true,
      params: PhoneParams,
      body: SandboxCallBody,
      response: { 200: t.Object({ id: t.String({ description: 'The call id, as the callee\'s `call.received` event carries it' }) }, { examples: [{ id: 'A1B2C3D4E5F60718293A4B5C6D7E8F90' }] }), 409: ErrorEnvelope, 501: ErrorEnvelope, ...guardedErrors },
      detail: {
        tags,
        summary: 'Call another number',
        description:
          'Simulator only: this number calls `to` — another number of this simulated network, or a group it is in (every other member). The call rings there as a `call.received` event (`{id, from, timestamp, isVideo, isGroup}`) for 60 seconds; the callee can reject it with `POST /:phoneNumber/calls/:callId/reject`, or declines it by itself when its call settings say so. 404 for a number that is not on this network.',
      },
    })
    .post('/:phoneNumber/sandbox/crash', async ({ phoneNumber }) => {
      await (await controls(phoneNumber)).crash('Simulated engine crash')
      return { success: true }
    }, {
      requireSingleAccountProtected: true,
      params: PhoneParams,
      response: { 200: t.Object({ success: t.Boolean() }, { examples: [{ success: true }] }), 501: ErrorEnvelope, ...guardedErrors },
      detail: { tags, summary: 'The engine crashes', description: 'Simulator only: the engine dies underneath, as a browser crash would; the server restarts it with backoff.' },
    })
}
