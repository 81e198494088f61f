/**
 * `GET /metrics` (Prometheus text format) and the HTTP request metrics. The route takes
 * the admin key, or `Authorization: Bearer <METRICS_TOKEN>` — a scrape-only credential a
 * Prometheus server can hold without being able to do anything else.
 */
import { Elysia, StatusMap } from 'elysia'
import { clientIp, type GuardDeps } from '../../auth/guards'
import { ForbiddenError, UnauthorizedError } from '../../errors'
import type { Metrics } from '../../lib/metrics'
import { ErrorEnvelope } from '../common/model'

export interface MetricsAccess {
  /** Constant-time check of a presented bearer token against METRICS_TOKEN; absent when none is set. */
  tokenMatches?: (presented: string) => boolean
}

function bearerOf(headers: Headers): string | undefined {
  return headers.get('authorization')?.trim().match(/^Bearer\s+(.+)$/i)?.[1]?.trim() || undefined
}

export function metricsModule(guards: GuardDeps, metrics: Metrics, access: MetricsAccess = {}) {
  const { authenticator, limits } = guards
  return new Elysia({ name: 'metrics', seed: guards }).get(
    '/metrics',
    async ({ request, server }) => {
      const ip = clientIp(server, request, guards.trustProxy)
      const bearer = bearerOf(request.headers)
      if (!(bearer && access.tokenMatches?.(bearer))) {
        const principal = await authenticator.authenticate(request.headers).catch(async (error: unknown) => {
          if (error instanceof UnauthorizedError) throw (await limits?.recordAuthFailure(ip)) ?? error
          throw error
        })
        if (!principal.isAdmin) throw new ForbiddenError('Metrics need the admin key or METRICS_TOKEN')
      }
      return new Response(await metrics.render(), { headers: { 'content-type': metrics.contentType, 'cache-control': 'no-store' } })
    },
    {
      response: { 401: ErrorEnvelope, 403: ErrorEnvelope, 429: ErrorEnvelope },
      detail: {
        tags: ['Health'],
        summary: 'Prometheus metrics',
        description: `Prometheus text exposition format. Needs the admin key, or \`Authorization: Bearer <METRICS_TOKEN>\` (a scrape-only token); other credentials are 403.
Series: \`whatsapp_sessions{engine,status}\`, \`whatsapp_messages_total{direction,engine}\`, \`whatsapp_webhook_deliveries_total{outcome}\` (delivered, retry, failed), \`whatsapp_webhook_delivery_duration_seconds\`, \`whatsapp_outbox_pending\`, \`whatsapp_engine_restarts_total{engine}\`, \`whatsapp_browser_memory_bytes{session,engine}\` (\`session\` = first 12 hex digits of sha256 of the number), \`http_requests_total{method,route,status}\`, \`http_request_duration_seconds{method,route}\` (route patterns such as \`/api/whatsapp/:phoneNumber/send-text\`, never numbers), and the default process metrics.`,
        responses: {
          200: {
            description: 'The metrics',
            content: { 'text/plain': { schema: { type: 'string' }, example: '# HELP whatsapp_sessions Sessions by engine and status (STOPPED included).\n# TYPE whatsapp_sessions gauge\nwhatsapp_sessions{engine="webjs",status="WORKING"} 3\n' } },
          },
        },
      },
    },
  )
}

/** Requests without a matching route: one label value for all of them, whatever their path. */
export const UNMATCHED_ROUTE = 'unmatched'
/** Any other method token a client invents is counted as OTHER, so it cannot grow the label set. */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])

/**
 * Counts and times every request by method, route PATTERN (Elysia's `route`, e.g.
 * `/api/whatsapp/:phoneNumber/start`) and status. Global hooks: mounted once at the root.
 */
export function httpMetrics(metrics: Metrics) {
  const started = new WeakMap<Request, number>()
  return new Elysia({ name: 'http-metrics', seed: metrics })
    .onRequest(({ request }) => {
      started.set(request, performance.now())
    })
    .onAfterResponse(({ request, route, set, responseValue }) => {
      const t0 = started.get(request)
      if (t0 === undefined) return
      const status =
        responseValue instanceof Response ? responseValue.status : typeof set.status === 'number' ? set.status : (StatusMap[set.status as keyof typeof StatusMap] ?? 200)
      const method = KNOWN_METHODS.has(request.method) ? request.method : 'OTHER'
      metrics.httpRequest(method, route || UNMATCHED_ROUTE, status, (performance.now() - t0) / 1000)
    })
    .as('global')
}
