/** `GET /:phoneNumber/events`: the session's events as Server-Sent Events, resumable from the outbox. */
import { Elysia, t } from 'elysia'
import { authGuards, type GuardDeps } from '../../auth/guards'
import { BadRequestError } from '../../errors'
import type { EventsRuntime } from '../../events/runtime'
import { EVENT_NAMES } from '../../providers/engine'
import type { Principal } from '../../auth/principal'
import type { SessionAccess } from '../../events/sse'
import { guardedErrors, PhoneParams } from '../common/model'

const tags = ['Events']

export const EventsQuery = t.Object({
  lastEventId: t.Optional(
    t.String({ pattern: '^[0-9]{1,15}$', description: 'Resume after this event id, like the `Last-Event-ID` header (which wins when both are sent)', examples: ['42'] }),
  ),
  events: t.Optional(
    t.String({ maxLength: 500, description: 'Comma-separated event names to receive (default: all)', examples: ['message,message.ack'] }),
  ),
})

function parseLastEventId(header: string | null, query: string | undefined): number | undefined {
  const raw = header?.trim() || query
  if (raw === undefined || raw === '') return undefined
  if (!/^[0-9]{1,15}$/.test(raw)) throw new BadRequestError('Last-Event-ID must be an event id received from this stream (a whole number)')
  return Number(raw)
}

function parseEvents(raw: string | undefined): string[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined
  const names = raw.split(',').map((name) => name.trim()).filter(Boolean)
  const unknown = names.find((name) => name !== '*' && !(EVENT_NAMES as readonly string[]).includes(name))
  if (unknown) throw new BadRequestError(`events: "${unknown.slice(0, 50)}" is not an event name; use ${EVENT_NAMES.join(', ')}`)
  return names
}

/**
 * Which sessions' events a caller may stream: the admin every one; an account the numbers
 * it owns (a key restricted to one number, only that one), decided per event so a number
 * claimed or deleted while the stream is open is seen as it is at that moment. The
 * credential is checked again each time too: a revoked key or an expired JWT ends the stream
 * (the check throws), instead of streaming on until the client disconnects.
 */
function sessionAccess(principal: Principal, headers: Headers, deps: GuardDeps): SessionAccess {
  if (principal.isAdmin) return () => true
  const credential = new Headers()
  for (const name of ['x-api-key', 'authorization']) {
    const value = headers.get(name)
    if (value !== null) credential.set(name, value)
  }
  return async (session) => {
    await deps.authenticator.authenticate(credential)
    if (principal.phoneNumber !== undefined && principal.phoneNumber !== session) return false
    const record = await deps.sessions.find(session)
    return record !== undefined && record.accountId !== null && record.accountId === principal.accountId
  }
}

export function eventsModule(deps: GuardDeps, runtime: EventsRuntime) {
  return new Elysia({ name: 'events', seed: deps })
    .use(authGuards(deps))
    .get(
      '/events',
      ({ principal, request, query }) => {
        const lastEventId = parseLastEventId(request.headers.get('last-event-id'), query.lastEventId)
        const events = parseEvents(query.events)
        return runtime.sse.openMany(sessionAccess(principal, request.headers, deps), {
          ...(lastEventId !== undefined && { lastEventId }),
          ...(events && { events }),
        })
      },
      {
        requireAuth: true,
        query: EventsQuery,
        response: guardedErrors,
        detail: {
          tags,
          summary: "Stream every session's events (SSE)",
          description: `Like \`GET /{phoneNumber}/events\`, for all the caller's sessions on one connection (WAHA's \`session=*\`): the admin receives every session's envelopes, an account those of the numbers it owns (a key restricted to one number, that number's). Each envelope names its \`session\`. Which numbers are the caller's is decided as each event happens, so a number started later joins the stream. \`Last-Event-ID\` resumes as on the per-session stream. This is what the dashboard listens to: browsers allow few connections per server, so one stream serves every card.`,
          responses: {
            200: {
              description: 'The event stream',
              content: {
                'text/event-stream': {
                  schema: { type: 'string' as const },
                  example:
                    'retry: 3000\n: connected\n\nid: 7\nevent: session.status\ndata: {"id":"evt_01jgq5m9x6ts3k2v0f8d7c4b1a","timestamp":1767225600000,"event":"session.status","session":"966500000001","engine":"SIMULATOR","payload":{"name":"966500000001","status":"SCAN_QR_CODE","statuses":[]}}\n\n',
                },
              },
            },
          },
        },
      },
    )
    .get(
      '/:phoneNumber/events',
      async ({ phoneNumber, request, query }) => {
        const lastEventId = parseLastEventId(request.headers.get('last-event-id'), query.lastEventId)
        const events = parseEvents(query.events)
        await deps.sessions.requireRecord(phoneNumber)
        return runtime.sse.open(phoneNumber, {
          ...(lastEventId !== undefined && { lastEventId }),
          ...(events && { events }),
        })
      },
      {
        requireSingleAccountProtected: true,
        params: PhoneParams,
        query: EventsQuery,
        // The 200 is the stream (a Response, never validated): documented in detail.responses.
        response: guardedErrors,
        detail: {
          tags,
          summary: 'Stream the session\'s events (SSE)',
          description: `Server-Sent Events: one SSE event per envelope, \`id:\` = its outbox sequence, \`event:\` = its name (\`message\`, \`message.ack\`, \`session.status\`, …), \`data:\` = the envelope JSON (the same as webhooks receive). Comment lines (\`: keepalive\`) every SSE_KEEPALIVE_MS keep proxies from closing the stream.
Reconnect with \`Last-Event-ID\` (EventSource does this by itself) to receive exactly the events missed meanwhile, replayed from the outbox (kept for OUTBOX_RETENTION_MS). Without it, the stream starts with new events. A client that reads too slowly (more than SSE_MAX_BUFFER_BYTES waiting) is disconnected rather than allowed to hold others up; it reconnects and resumes.`,
          responses: {
            200: {
              description: 'The event stream',
              content: {
                'text/event-stream': {
                  schema: { type: 'string' },
                  example:
                    'retry: 3000\n: connected\n\nid: 42\nevent: message\ndata: {"id":"evt_01jgq5m9x6ts3k2v0f8d7c4b1a","timestamp":1767225600000,"event":"message","session":"966500000001","me":{"id":"966500000001@c.us","pushName":"Support desk"},"engine":"WEBJS","payload":{"id":"false_966500000002@c.us_3EB0C431D5A2B1F0E4A7","timestamp":1767225600,"from":"966500000002@c.us","fromMe":false,"to":"966500000001@c.us","body":"Hello","hasMedia":false,"ack":2}}\n\n: keepalive\n\n',
                },
              },
            },
          },
        },
      },
    )
}
