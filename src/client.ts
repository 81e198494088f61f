/**
 * A typed client for TypeScript users, through Elysia's Eden treaty: paths, bodies,
 * queries and answers are checked by the compiler against this server's own route
 * schemas. Only the app's *type* is imported from the server code, so a frontend or
 * backend bundles nothing of it.
 *
 *   const wa = createClient('http://127.0.0.1:3000', { apiKey: myApiKey })
 *   const { data, error } = await wa.api.whatsapp({ phoneNumber: '966500000001' })['send-text'].post({ chatId: '966500000002', text: 'Hi' })
 */
import { treaty } from '@elysiajs/eden'
import type { App } from './app'

export type { App }

export interface ClientCredentials {
  /** Sent as `X-Api-Key` (the admin key or an account key). */
  apiKey?: string
  /** Sent as `Authorization: Bearer` (a JWT, or an API key). */
  bearer?: string
}

export function createClient(baseUrl: string, credentials: ClientCredentials = {}) {
  const headers: Record<string, string> = {}
  if (credentials.apiKey) headers['x-api-key'] = credentials.apiKey
  if (credentials.bearer) headers.authorization = `Bearer ${credentials.bearer}`
  return treaty<App>(baseUrl, { headers })
}

export type Client = ReturnType<typeof createClient>
