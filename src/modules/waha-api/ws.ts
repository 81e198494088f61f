/**
 * WAHA's event WebSocket, `GET /ws?session=*&events=…` (the WAHA dashboard's event
 * monitor): every envelope the outbox commits, the same stream as SSE and webhooks, in
 * WAHA's envelope (with `environment`). Browsers cannot set headers on a WebSocket, so the
 * key may come as `?x-api-key=` here — and only here.
 */
import { Elysia } from 'elysia'
import type { Authenticator, Principal } from '../../auth/principal'
import { UnauthorizedError } from '../../errors'
import { matchesFilter } from '../../events/envelope'
import type { OutboxEntry } from '../../events/outbox'
import type { EventsRuntime } from '../../events/runtime'
import { wahaEnvironmentBase, wahaWebhookBody } from '../../events/waha-delivery'
import type { SessionManager } from '../../sessions/manager'
import { WsQuery } from './model'

export interface WahaWebSocketDeps {
  authenticator: Authenticator
  sessions: SessionManager
  events: EventsRuntime
  version: string
  browser?: string
  defaultSession?: string
}

interface Subscription {
  principal: Principal
  /** Phone numbers, or null for every session the caller may see (`*`). */
  sessions: Set<string> | null
  events: string[]
  send(text: string): void
}

function list(raw: string | string[] | undefined): string[] {
  const values = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]
  return values.flatMap((value) => value.split(',')).map((value) => value.trim()).filter(Boolean)
}

export function wahaWebSocket(deps: WahaWebSocketDeps) {
  const subscriptions = new Map<object, Subscription>()
  const environment = wahaEnvironmentBase(deps.version, deps.browser)
  const principals = new WeakMap<Request, Principal>()

  async function visible(subscription: Subscription, session: string): Promise<boolean> {
    if (subscription.sessions && !subscription.sessions.has(session)) return false
    const { principal } = subscription
    if (principal.isAdmin) return true
    if (principal.phoneNumber !== undefined && principal.phoneNumber !== session) return false
    return (await deps.sessions.find(session))?.accountId === principal.accountId
  }

  deps.events.outbox.onCommitted(({ entries }) => {
    if (subscriptions.size === 0) return
    void (async () => {
      for (const entry of entries as OutboxEntry[]) {
        let text: string | undefined
        for (const subscription of subscriptions.values()) {
          if (!matchesFilter(subscription.events, entry.event) || !(await visible(subscription, entry.session))) continue
          text ??= wahaWebhookBody(entry.body, environment, {})
          subscription.send(text)
        }
      }
    })().catch(() => undefined)
  })

  return new Elysia({ name: 'waha-ws', seed: deps }).ws('/ws', {
    query: WsQuery,
    detail: { hide: true },
    async beforeHandle({ request, query }) {
      const headers = new Headers(request.headers)
      const queryKey = query['x-api-key']
      if (!headers.has('x-api-key') && queryKey) headers.set('x-api-key', queryKey)
      try {
        principals.set(request, await deps.authenticator.authenticate(headers))
      } catch {
        throw new UnauthorizedError()
      }
    },
    open(ws) {
      const principal = principals.get(ws.data.request)
      if (!principal) {
        ws.close(1008, 'Unauthorized')
        return
      }
      const names = list(ws.data.query.session)
      const sessions = names.length === 0 || names.includes('*')
        ? null
        : new Set(names.map((name) => (name === 'default' && deps.defaultSession ? deps.defaultSession : name.replace(/^\+/, ''))))
      const events = list(ws.data.query.events)
      subscriptions.set(ws.raw, { principal, sessions, events: events.length > 0 ? events : ['*'], send: (text) => ws.send(text) })
    },
    close(ws) {
      subscriptions.delete(ws.raw)
    },
    message() {
      // WAHA's socket only pushes events; what a client sends is ignored.
    },
  })
}
