// The dashboard's only way to the server: this API, with the signed-in credential sent
// as a header (never a cookie, never the query string).

const STORAGE_KEY = 'wws.dashboard.credential'

/** The API base, from where this page is served (…/api/whatsapp/dashboard or …/link/<token>). */
export const API_BASE = location.pathname.replace(/\/(dashboard|link)(\/.*)?$/, '')

export function storedCredential() {
  return sessionStorage.getItem(STORAGE_KEY)
}

export function storeCredential(value) {
  sessionStorage.setItem(STORAGE_KEY, value)
}

export function forgetCredential() {
  sessionStorage.removeItem(STORAGE_KEY)
}

const JWT_PATTERN = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/

/** A JWT goes as a bearer token, an API key as X-Api-Key. */
export function credentialHeaders(credential) {
  if (!credential) return {}
  return JWT_PATTERN.test(credential) ? { authorization: `Bearer ${credential}` } : { 'x-api-key': credential }
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body && typeof body.error === 'string' ? body.error : `HTTP ${status}`)
    this.status = status
    this.code = body?.code ?? 'HTTP_ERROR'
    this.details = body?.details
  }
}

const unauthorizedListeners = new Set()
/** Called when the server answers 401 to the signed-in credential (revoked, expired). */
export function onUnauthorized(listener) {
  unauthorizedListeners.add(listener)
}

/** Calls the API; resolves with the parsed JSON, rejects with ApiError. */
export async function api(method, path, body, { credential = storedCredential(), headers = {} } = {}) {
  const init = { method, headers: { accept: 'application/json', ...credentialHeaders(credential), ...headers }, credentials: 'omit', cache: 'no-store' }
  if (body !== undefined) {
    init.body = JSON.stringify(body)
    init.headers['content-type'] = 'application/json'
  }
  const response = await fetch(`${API_BASE}${path}`, init)
  const text = await response.text()
  let parsed
  try {
    parsed = text ? JSON.parse(text) : undefined
  } catch {
    parsed = undefined
  }
  if (!response.ok) {
    const error = new ApiError(response.status, parsed)
    if (response.status === 401 && credential) for (const listener of unauthorizedListeners) listener(error)
    throw error
  }
  return parsed
}

/**
 * Reads a Server-Sent Events stream with fetch, because EventSource cannot send headers.
 * Reconnects with Last-Event-ID after a drop (what EventSource would do), with backoff;
 * stops on 401/403/404 (reported to onError) or when `stop()` is called.
 * onEvent({ id, event, data }) gets each event; onOpen() each time the stream (re)opens.
 */
export function openStream(path, { onEvent, onOpen, onError, credential = storedCredential() } = {}) {
  let controller
  let stopped = false
  let lastEventId
  let retryMs = 3000
  let failures = 0

  async function run() {
    while (!stopped) {
      controller = new AbortController()
      try {
        const headers = { accept: 'text/event-stream', ...credentialHeaders(credential) }
        if (lastEventId !== undefined) headers['last-event-id'] = lastEventId
        const response = await fetch(`${API_BASE}${path}`, { headers, signal: controller.signal, credentials: 'omit', cache: 'no-store' })
        if (!response.ok || !response.body) {
          let body
          try {
            body = await response.json()
          } catch {
            body = undefined
          }
          const error = new ApiError(response.status, body)
          if (response.status === 401 && credential) for (const listener of unauthorizedListeners) listener(error)
          if ([400, 401, 403, 404, 410].includes(response.status)) {
            onError?.(error)
            return
          }
          throw error
        }
        failures = 0
        onOpen?.()
        await readEvents(response.body, (message) => {
          if (message.retry !== undefined) retryMs = message.retry
          if (message.id !== undefined) lastEventId = message.id
          if (message.data !== undefined) onEvent?.(message)
        })
      } catch (error) {
        if (stopped) return
        if (error?.name !== 'AbortError') console.warn('event stream interrupted', error)
      }
      if (stopped) return
      failures++
      await new Promise((resolve) => setTimeout(resolve, Math.min(retryMs * failures, 30000)))
    }
  }
  run()
  return {
    stop() {
      stopped = true
      controller?.abort()
    },
  }
}

/** Parses text/event-stream: blocks separated by a blank line, `field: value` lines, `:` comments. */
async function readEvents(body, onMessage) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return
    buffer += value.replace(/\r\n?/g, '\n')
    let end
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const message = {}
      const data = []
      for (const line of block.split('\n')) {
        if (line === '' || line.startsWith(':')) continue
        const colon = line.indexOf(':')
        const name = colon === -1 ? line : line.slice(0, colon)
        const fieldValue = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
        if (name === 'data') data.push(fieldValue)
        else if (name === 'event') message.event = fieldValue
        else if (name === 'id') message.id = fieldValue
        else if (name === 'retry' && /^\d+$/.test(fieldValue)) message.retry = Number(fieldValue)
      }
      if (data.length > 0) {
        message.data = data.join('\n')
        message.event ??= 'message'
      }
      onMessage(message)
    }
  }
}
