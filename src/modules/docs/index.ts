/**
 * OpenAPI document and Swagger UI. The UI's assets come from the `swagger-ui-dist`
 * package and are served by this server, so the docs work with no internet.
 */
import { openapi } from '@elysiajs/openapi'
import { Elysia } from 'elysia'
import { dirname, join } from 'node:path'

export const DOCS_PATH = '/api/whatsapp/swagger'
export const SPEC_PATH = `${DOCS_PATH}/json`
const ASSETS_PATH = `${DOCS_PATH}/assets`

const swaggerDist = dirname(require.resolve('swagger-ui-dist/package.json'))
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
}

export const API_DESCRIPTION = `Self-hosted WhatsApp HTTP API gateway.

Authenticate with **X-Api-Key** (the admin key or an account key) or **Authorization: Bearer** (a JWT from your identity provider, or an API key); in "Authorize" fill either scheme. Credentials in a query string are ignored.
Missing or invalid credentials are 401 (with \`WWW-Authenticate\`); a number owned by another account, or outside a key's number, is 403.
Every credential has a request budget per minute, and a lower one for sends; past it the answer is 429 with \`Retry-After\`, and \`RateLimit-Limit\`/\`-Remaining\`/\`-Reset\` headers come with every authenticated response.
Any node of a cluster answers any route: a number's requests are passed on to the node that runs its session, which \`X-Session-Node\` names on every response of a number route; that node unreachable is 503 \`ENGINE_UNAVAILABLE\`, a session moving between nodes 409 \`CONFLICT\` with \`Retry-After\`.
Every error is \`{ "error", "code", "statusCode", "details"? }\`.`

export function openapiDocumentation(version: string) {
  return {
    info: { title: 'WhatsApp Web Server', version, description: API_DESCRIPTION },
    tags: [
      { name: 'Sessions', description: 'Link numbers and manage their lifecycle' },
      { name: 'API keys', description: 'Account keys for backends: created once, listed without secrets, revoked at once' },
      { name: 'Messages', description: 'Send messages of every kind; react, edit, delete, forward' },
      { name: 'Chats', description: 'Chats, message history, media downloads, seen and presence' },
      { name: 'Status', description: 'Post to WhatsApp Status' },
      { name: 'Contacts', description: 'Address book, profile pictures, number checks, blocking' },
      { name: 'Groups', description: 'Create and manage groups, participants and admins' },
      { name: 'Profile', description: "The number's own name, about text and picture" },
      { name: 'Labels', description: 'WhatsApp Business labels: list, create, change, delete, and the labels of a chat' },
      { name: 'Calls', description: 'Reject calls, or have every call declined with a reply text' },
      { name: 'Channels', description: 'WhatsApp channels (newsletters): create, follow, mute; post with the send routes' },
      { name: 'Sandbox (simulator)', description: 'Simulator-only controls for development and tests' },
      { name: 'Webhooks', description: 'Signed, retried, durable event delivery to your URLs' },
      { name: 'Events', description: 'Live events as Server-Sent Events, resumable with Last-Event-ID' },
      { name: 'WAHA callbacks', description: 'Inbound events from a WAHA server (the waha engine)' },
      { name: 'Link invites', description: 'Shareable pages that link one number without a credential' },
      { name: 'Dashboard', description: 'The web dashboard and link-invite pages (public shells; data through this API)' },
      { name: 'Health', description: 'Liveness' },
      { name: 'Cluster', description: 'Many nodes on one Postgres: nodes, and which runs each session' },
    ],
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http' as const, scheme: 'bearer', description: 'A JWT from your identity provider (account from `org_id`, else `sub`), or an API key' },
        apiKey: { type: 'apiKey' as const, in: 'header' as const, name: 'X-Api-Key', description: 'The admin key or an account key' },
      },
    },
    security: [{ bearerAuth: [] as string[] }, { apiKey: [] as string[] }] as Array<Record<string, string[]>>,
  }
}

/** What the document refinement reads of a route (Elysia's `app.routes` entries). */
export interface DocumentedRoute {
  method: string
  path: string
  hooks: { body?: unknown; detail?: { hide?: boolean; responses?: Record<string, unknown> } }
}

interface OperationObject {
  requestBody?: unknown
  responses?: Record<string, unknown>
}

/**
 * Makes the generated document say what the server does, where the plugin cannot:
 * - request bodies: the route's body schema as JSON only. The plugin skips a body when a
 *   parse hook is a function (ours, the capped reader in the errors plugin), and otherwise
 *   offers URL-encoded and multipart forms too, where numbers, booleans and arrays cannot
 *   validate;
 * - responses a route declares in `detail.responses` (media bytes, the event stream, the
 *   QR as PNG), which the plugin drops: merged into the generated ones, declared media
 *   types added to those of the route's response schema (a route whose 200 is not JSON
 *   leaves it out of `response`).
 */
export function refineDocument<T extends { paths?: Record<string, Record<string, OperationObject>> }>(document: T, routes: readonly DocumentedRoute[]): T {
  const refined = structuredClone(document)
  for (const route of routes) {
    if (route.hooks.detail?.hide) continue
    const operation = refined.paths?.[route.path.replace(/:(\w+)/g, '{$1}')]?.[route.method.toLowerCase()]
    if (!operation) continue
    if (route.hooks.body && typeof route.hooks.body === 'object') {
      const schema = JSON.parse(JSON.stringify(route.hooks.body)) as Record<string, unknown>
      const { description } = schema
      operation.requestBody = {
        ...(typeof description === 'string' && { description }),
        required: true,
        content: { 'application/json': { schema } },
      }
    }
    const declared = route.hooks.detail?.responses
    for (const [status, response] of Object.entries(declared ?? {})) {
      const generated = operation.responses?.[status] as { content?: Record<string, unknown> } | undefined
      const added = structuredClone(response) as { content?: Record<string, unknown> }
      operation.responses = {
        ...operation.responses,
        [status]: { ...generated, ...added, content: { ...generated?.content, ...added.content } },
      }
    }
  }
  return refined
}

export function docsModule(version: string, routes: () => readonly DocumentedRoute[] = () => []) {
  let refined: { source: unknown; document: unknown } | undefined
  return new Elysia({ name: 'docs', seed: version })
    .onAfterHandle({ as: 'global' }, ({ path, request, response }) => {
      if (request.method !== 'GET' || path !== SPEC_PATH || !response || typeof response !== 'object' || response instanceof Response) return
      // The plugin caches its document; refine each version of it once.
      if (refined?.source !== response) refined = { source: response, document: refineDocument(response as Parameters<typeof refineDocument>[0], routes()) }
      return refined.document
    })
    .use(
      openapi({
        path: DOCS_PATH,
        specPath: SPEC_PATH,
        provider: 'swagger-ui',
        documentation: openapiDocumentation(version),
        exclude: { paths: [new RegExp(`^${ASSETS_PATH}`)] },
        swagger: {
          // The plugin's default spec URL is relative to the page and would miss our prefix.
          ...({ url: SPEC_PATH } as object),
          theme: `${ASSETS_PATH}/swagger-ui.css`,
          cdn: `${ASSETS_PATH}/swagger-ui-bundle.js`,
          persistAuthorization: true,
          tryItOutEnabled: true,
          displayRequestDuration: true,
        },
      }),
    )
    .get(`${ASSETS_PATH}/:file`, ({ params, set }) => {
      const type = ASSETS[params.file]
      if (!type) {
        set.status = 404
        return { error: `No asset ${params.file}`, code: 'NOT_FOUND', statusCode: 404 }
      }
      return new Response(Bun.file(join(swaggerDist, params.file)), {
        headers: { 'content-type': type, 'cache-control': 'public, max-age=86400' },
      })
    }, { detail: { hide: true } })
}
