/**
 * createApp(deps): the only place the HTTP application is wired together. Every
 * feature is its own named Elysia instance under the `/api/whatsapp` base path.
 */
import { Elysia } from 'elysia'
import type { AppDeps } from './deps'
import { errorsPlugin } from './errors/plugin'
import { apiKeysModule } from './modules/api-keys'
import { API_BASE } from './lib/api-paths'
import { docsModule } from './modules/docs'
import { healthModule } from './modules/health'
import { sandboxModule } from './modules/sandbox'
import { sessionsModule } from './modules/sessions'
import { chatsModule } from './modules/chats'
import { contactsModule } from './modules/contacts'
import { groupsModule } from './modules/groups'
import { messagesModule } from './modules/messages'
import { profileModule } from './modules/profile'

export { API_BASE } from './lib/api-paths'

export function createApp(deps: AppDeps) {
  const guardDeps = {
    authenticator: deps.authenticator,
    sessions: deps.sessions,
    limits: deps.limits,
    ...(deps.wahaKeyMatches && { wahaKeyMatches: deps.wahaKeyMatches }),
  }
  const api = new Elysia({ name: 'api', prefix: API_BASE, seed: deps })
    .use(healthModule({ version: deps.version, engines: deps.registry.engines }))
    .use(sessionsModule(guardDeps))
    .use(apiKeysModule({ ...guardDeps, apiKeys: deps.apiKeys, now: deps.now }))
    .use(sandboxModule(guardDeps))
    .use(messagesModule(guardDeps, deps.messaging))
    .use(chatsModule(guardDeps, deps.messaging))
    .use(contactsModule(guardDeps))
    .use(groupsModule(guardDeps, deps.messaging))
    .use(profileModule(guardDeps, deps.messaging))

  return new Elysia({ name: 'whatsapp-web-server', seed: deps, precompile: true })
    .use(errorsPlugin(deps.logger, deps.config.maxBodyBytes))
    .use(docsModule(deps.version))
    .use(api)
}

export type App = ReturnType<typeof createApp>
