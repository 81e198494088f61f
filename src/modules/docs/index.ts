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
      { name: 'Sandbox (simulator)', description: 'Simulator-only controls for development and tests' },
      { name: 'Webhooks', description: 'Signed, retried, durable event delivery to your URLs' },
      { name: 'Events', description: 'Live events as Server-Sent Events, resumable with Last-Event-ID' },
      { name: 'WAHA callbacks', description: 'Inbound events from a WAHA server (the waha engine)' },
      { name: 'Health', description: 'Liveness' },
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

export function docsModule(version: string) {
  return new Elysia({ name: 'docs', seed: version })
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
