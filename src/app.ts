/**
 * createApp(deps): mounts the route modules on the services `src/deps.ts` built. Every
 * feature is its own named Elysia instance under the `/api/whatsapp` base path; nothing
 * is constructed here but the HTTP application itself.
 */
import { cors } from '@elysiajs/cors'
import { Elysia } from 'elysia'
import type { Config } from './config'
import type { AppDeps } from './deps'
import { errorsPlugin } from './http/errors'
import { apiKeysModule } from './modules/api-keys'
import { API_BASE } from './lib/api-paths'
import { docsModule, type DocumentedRoute } from './modules/docs'
import { eventsModule } from './modules/events'
import { healthModule } from './modules/health'
import { sandboxModule } from './modules/sandbox'
import { sessionsModule } from './modules/sessions'
import { chatActionsModule } from './modules/chat-actions'
import { clusterModule } from './modules/cluster'
import { callsModule } from './modules/calls'
import { channelsModule } from './modules/channels'
import { labelsModule } from './modules/labels'
import { chatsModule } from './modules/chats'
import { contactsModule } from './modules/contacts'
import { dashboardModule } from './modules/dashboard'
import { linkingModule } from './modules/linking'
import { linkInvitesModule } from './modules/link-invites'
import { groupsModule } from './modules/groups'
import { groupInvitesModule } from './modules/group-invites'
import { messagesModule } from './modules/messages'
import { httpMetrics, metricsModule } from './modules/metrics'
import { profileModule } from './modules/profile'
import { wahaCallbacksModule } from './modules/waha-callbacks'
import { webhooksModule } from './modules/webhooks'
import { wahaApiModule, wahaErrorResponder } from './modules/waha-api'
import { wahaWebSocket } from './modules/waha-api/ws'

export { API_BASE } from './lib/api-paths'

export function createApp(deps: AppDeps) {
  const { guards, services } = deps
  const api = new Elysia({ name: 'api', prefix: API_BASE, seed: deps })
    .use(healthModule({ version: deps.version, engines: deps.registry.engines, defaultEngine: deps.config.defaultEngine }))
    .use(metricsModule(guards, deps.metrics, { ...(deps.metricsTokenMatches && { tokenMatches: deps.metricsTokenMatches }) }))
    .use(sessionsModule(guards, services.sessions, deps.registry.names))
    .use(apiKeysModule(guards, services.apiKeys))
    .use(clusterModule(guards, services.cluster))
    .use(sandboxModule(guards, deps.ingest))
    .use(messagesModule(guards, services.messages))
    .use(chatsModule(guards, services.chats))
    .use(chatActionsModule(guards, services.chatActions))
    .use(labelsModule(guards, services.labels))
    .use(callsModule(guards, services.calls))
    .use(channelsModule(guards, services.channels))
    .use(contactsModule(guards, services.contacts))
    .use(groupInvitesModule(guards, services.groupInvites))
    .use(groupsModule(guards, services.groups))
    .use(profileModule(guards, services.profile))
    .use(webhooksModule(guards, services.webhooks))
    .use(eventsModule(guards, deps.events))
    .use(linkingModule(guards, { bus: deps.bus, keepaliveMs: deps.config.sse.keepaliveMs }))
    .use(linkInvitesModule(guards, services.linkInvites))
    .use(dashboardModule())
    .use(wahaCallbacksModule(guards, services.wahaCallbacks, { schemas: (kind) => deps.registry.callbackSchemas(kind), ...(deps.config.waha.webhookHmacKey && { hmacKey: deps.config.waha.webhookHmacKey }) }))

  // The docs refine the generated OpenAPI document from the routes, known once all are added.
  let routes: () => readonly DocumentedRoute[] = () => []
  const app = new Elysia({ name: 'whatsapp-web-server', seed: deps, precompile: true })
    .use(httpMetrics(deps.metrics))
    .use(corsFor(deps.config.corsOrigins))
    .use(errorsPlugin(deps.logger, deps.config.maxBodyBytes, deps.config.wahaCompat.enabled ? [wahaErrorResponder] : []))
    .use(docsModule(deps.version, () => routes()))
    .use(api)
    .use(wahaCompat(deps))
  routes = () => app.routes as readonly DocumentedRoute[]
  return app
}

export type App = ReturnType<typeof createApp>

/** WAHA's API at WAHA's paths (§13), unless WAHA_COMPAT=false. */
function wahaCompat(deps: AppDeps) {
  if (!deps.config.wahaCompat.enabled) return new Elysia({ name: 'waha-api-off' })
  const wahaDeps = {
    ...deps.guards,
    services: deps.services,
    messaging: deps.messaging,
    events: deps.events,
    wahaSessions: deps.wahaSessions,
    publicUrl: deps.config.publicUrl,
    outboundAllowCidrs: deps.config.outbound.allowCidrs,
    defaultEngine: deps.config.defaultEngine,
    ...(deps.config.wahaCompat.defaultSession && { defaultSession: deps.config.wahaCompat.defaultSession }),
    version: deps.version,
    startedAt: deps.startedAt,
    ...(deps.config.webjs.chrome.path && { browser: deps.config.webjs.chrome.path }),
  }
  return new Elysia({ name: 'waha-compat' }).use(wahaApiModule(wahaDeps)).use(wahaWebSocket({ ...wahaDeps, authenticator: deps.authenticator }))
}

/**
 * Browser frontends on other origins (CORS_ORIGINS): credentials travel in headers, never
 * cookies, so no `Allow-Credentials`; the limit and replay headers are readable by scripts.
 * With no origins configured nothing is added: the API is same-origin only.
 */
function corsFor(origins: string[]) {
  if (origins.length === 0) return new Elysia({ name: 'cors-off' })
  return cors({
    origin: origins.includes('*') ? true : origins,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'X-Api-Key', 'Content-Type', 'Idempotency-Key', 'Last-Event-ID', 'Accept'],
    exposeHeaders: ['Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'Idempotent-Replayed', 'WWW-Authenticate', 'X-Session-Node'],
    credentials: false,
    maxAge: 600,
  })
}

/**
 * How the app listens (src/index.ts; tests use the same). The body limit is MAX_BODY_BYTES,
 * enforced by the errors plugin with the contract's 413 envelope: on Content-Length before
 * reading, and while reading a streamed (chunked) body. Bun's own cap would answer a bare
 * 413 without the envelope, so it is set out of the way; bodies are only ever read through
 * that capped parser.
 */
export function serverOptions(config: Pick<Config, 'port' | 'host' | 'maxBodyBytes'>) {
  return {
    port: config.port,
    hostname: config.host,
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    // Large media sends take a while; Bun's default 10 s idle timeout would cut them.
    idleTimeout: 120,
  }
}
