/**
 * The web dashboard: a public shell (`GET /dashboard`) and its static assets, plain ES
 * modules and CSS from ./public served by this server (no CDN, no build step). The page
 * holds no data of its own: it signs in with a credential the person pastes, keeps it in
 * sessionStorage, and does everything through this API with it.
 *
 * Every page and asset is served under a strict Content-Security-Policy: scripts and
 * styles only from this origin (no inline code, no eval), images from this origin or
 * data:/blob: URLs (the QR and downloaded media), requests only to this origin, no
 * framing. WhatsApp text is rendered with textContent in the scripts, never as HTML.
 */
import { Elysia } from 'elysia'
import { join } from 'node:path'
import { API_BASE } from '../../lib/api-paths'

export const DASHBOARD_PATH = `${API_BASE}/dashboard`
export const DASHBOARD_ASSETS_PATH = `${DASHBOARD_PATH}/assets`
const PUBLIC_DIR = join(import.meta.dir, 'public')

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ')

/** Headers of every dashboard page and asset. No referrer: a link page's URL holds its token. */
export const PAGE_SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
}

/** The files that may be served, with their types: nothing else in the folder is reachable. */
const ASSETS: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'api.js': 'text/javascript; charset=utf-8',
  'dom.js': 'text/javascript; charset=utf-8',
  'link.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
}

/** An HTML page from ./public with the security headers; never cached, so a new version shows at once. */
export function pageResponse(file: 'index.html' | 'link.html', status = 200): Response {
  return new Response(Bun.file(join(PUBLIC_DIR, file)), {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...PAGE_SECURITY_HEADERS },
  })
}

export function dashboardModule() {
  return new Elysia({ name: 'dashboard' })
    .get('/dashboard', () => pageResponse('index.html'), {
      detail: {
        tags: ['Dashboard'],
        summary: 'The web dashboard',
        description:
          'Public HTML shell of the dashboard (sessions, QR linking, chats, events, webhooks, API keys). It signs in with an API key or a JWT, kept in the browser tab\'s sessionStorage and sent as a header; all data comes through this API with that credential. Served with a strict Content-Security-Policy.',
        security: [],
        responses: { 200: { description: 'The dashboard page', content: { 'text/html': { schema: { type: 'string' as const }, example: '<!doctype html>\n<html lang="en">…<script type="module" src="dashboard/assets/app.js"></script>…' } } } },
      },
    })
    .get('/link/:token', () => pageResponse('link.html'), {
      detail: {
        tags: ['Link invites'],
        summary: 'The link page of an invite (public)',
        description:
          "What an invite's `url` opens: a page showing only that number's live QR, the pairing-code option and the status, for a customer with no credential. The page is the same for every token; it learns through `GET /link/{token}/state` whether the link works.",
        security: [],
        responses: { 200: { description: 'The link page', content: { 'text/html': { schema: { type: 'string' as const }, example: '<!doctype html>\n<html lang="en">…<script type="module" src="../dashboard/assets/link.js"></script>…' } } } },
      },
    })
    .get(
      '/dashboard/assets/:file',
      ({ params, set }) => {
        const type = Object.hasOwn(ASSETS, params.file) ? ASSETS[params.file] : undefined
        if (!type) {
          set.status = 404
          return { error: `No dashboard asset ${params.file.slice(0, 100)}`, code: 'NOT_FOUND', statusCode: 404 }
        }
        return new Response(Bun.file(join(PUBLIC_DIR, params.file)), {
          headers: { 'content-type': type, 'cache-control': 'no-cache', ...PAGE_SECURITY_HEADERS },
        })
      },
      { detail: { hide: true } },
    )
}
