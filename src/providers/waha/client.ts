/**
 * A typed REST client for a WAHA server (https://waha.devlike.pro), shaped exactly as
 * WAHA's published OpenAPI document (2026.7.1) says: every method names its
 * `operationId`, path, method, query and body. Tests run every method against a stand-in
 * that validates each request against that document.
 *
 * Failures become our typed errors (see `mapWahaFailure`):
 * - 404 → NotFoundError (unknown session, chat, message, group);
 * - 400 → BadRequestError: WAHA refused the values we passed on (a bad chat id, phone
 *   number, file), which came from our caller;
 * - 422 with a session `status` → ClientNotReadyError (WAHA's "session status is not as
 *   expected": the session is not WORKING); other 422 → BadRequestError;
 * - 413 → PayloadTooLargeError; 501 → NotSupportedError (the WAHA engine lacks it);
 * - 401/403 → UpstreamError: our WAHA_API_KEY is wrong, which is not the caller's fault,
 *   so it must not look like the caller's credentials failed;
 * - any other status, 5xx, a network error or the timeout → UpstreamError.
 * Error messages carry WAHA's own message (truncated), never our request body or key.
 *
 * Responses are typed from the document but not validated at run time: a send WAHA
 * accepted must not be reported as failed because an engine shaped its answer differently.
 */
import { readCapped } from '../../lib/read-capped'
import {
  AppError,
  BadRequestError,
  ClientNotReadyError,
  NotFoundError,
  NotSupportedError,
  PayloadTooLargeError,
  UpstreamError,
} from '../../errors'
import { isWahaSessionStatus, wahaStatusToState, WAHA_MESSAGE_WEBHOOK_EVENTS, WAHA_STATE_WEBHOOK_EVENTS } from './model'
import type {
  Base64File,
  ChatPictureResponse,
  ChatSummary,
  CreateGroupRequest,
  EditMessageRequest,
  MessagePollVoteRequest,
  MessageStarRequest,
  PinMessageRequest,
  GetChatMessagesQuery,
  GroupParticipant,
  ImageStatus,
  MeInfo,
  MessageContactVcardRequest,
  MessageFileRequest,
  MessageForwardRequest,
  MessageImageRequest,
  MessageLocationRequest,
  MessagePollRequest,
  MessageReactionRequest,
  MessageTextRequest,
  MessageVideoRequest,
  MessageVoiceRequest,
  MyProfile,
  QRCodeValue,
  ReadChatMessagesResponse,
  RequestCodeRequest,
  RequestCodeResponse,
  Result,
  RetriesConfiguration,
  SendSeenRequest,
  SessionConfig,
  SessionCreateRequest,
  SessionDTO,
  SessionInfo,
  SessionUpdateRequest,
  SettingsSecurityChangeInfo,
  SortOrder,
  TextStatus,
  VideoStatus,
  VoiceStatus,
  DeleteStatusRequest,
  JoinGroupRequest,
  JoinGroupResponse,
  ContactUpdateBody,
  WahaContact,
  WahaContactAbout,
  WahaEngineObject,
  WahaFile,
  WahaGroup,
  WahaProfilePicture,
  WahaSendResult,
  WAHASessionPresence,
  WAMessage,
  WANumberExistResult,
  CreateChannelRequest,
  LabelBody,
  RejectCallRequest,
  WahaChannel,
  WahaLabelInfo,
  WebhookConfig,
} from './types'

export type WahaFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>

export interface WahaClientOptions {
  /** WAHA's base URL, e.g. `http://waha:3000` (a path prefix is kept). */
  baseUrl: string
  /** Sent as `X-Api-Key` on every request. */
  apiKey?: string
  /** Injected for tests; defaults to the global fetch. */
  fetch?: WahaFetch
  /** Per-request deadline, including reading the response body. */
  timeoutMs: number
}

type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE'
type QueryValue = string | number | boolean | readonly string[] | undefined

interface RequestSpec {
  /** WAHA's operationId, for error messages and logs. */
  operation: string
  method: HttpMethod
  path: string
  query?: Record<string, QueryValue>
  body?: object
  accept?: string
  /** Refuse a successful body larger than this (media downloads). */
  maxBytes?: number
}

interface RawResponse {
  status: number
  contentType: string
  bytes: Uint8Array
}

const decoder = new TextDecoder()

/** The whole body, refusing (and cancelling) past `maxBytes` when given. */
async function readBody(response: Response, maxBytes: number | undefined, operation: string): Promise<Uint8Array> {
  if (maxBytes === undefined) return new Uint8Array(await response.arrayBuffer())
  return readCapped(response, maxBytes, () => new PayloadTooLargeError(`WAHA ${operation}: the body is over ${maxBytes} bytes`, { operation, maxBytes }))
}

const MAX_ERROR_MESSAGE = 300

const seg = (value: string): string => encodeURIComponent(value)

/** WAHA's error message from a NestJS-style error body (`{message}` or `{error}`), truncated. */
function wahaMessage(body: unknown, fallback: string): string {
  let message: string | undefined
  if (typeof body === 'string' && body.trim()) message = body.trim()
  else if (body && typeof body === 'object') {
    const record = body as Record<string, unknown>
    const candidate = record.message ?? record.error
    if (typeof candidate === 'string') message = candidate
    else if (Array.isArray(candidate)) message = candidate.filter((x) => typeof x === 'string').join('; ')
  }
  const text = message || fallback
  return text.length > MAX_ERROR_MESSAGE ? `${text.slice(0, MAX_ERROR_MESSAGE)}…` : text
}

/** Our typed error for a non-2xx WAHA answer (see the module comment for the rationale). */
export function mapWahaFailure(operation: string, status: number, body: unknown): AppError {
  const message = wahaMessage(body, `HTTP ${status}`)
  const details = { operation, upstreamStatus: status }
  if (status === 404) return new NotFoundError(`WAHA: ${message}`, details)
  if (status === 422 && body && typeof body === 'object') {
    const sessionStatus = (body as Record<string, unknown>).status
    if (isWahaSessionStatus(sessionStatus)) return new ClientNotReadyError(wahaStatusToState(sessionStatus), sessionStatus)
  }
  if (status === 400 || status === 422) return new BadRequestError(`WAHA rejected the request: ${message}`, details)
  if (status === 413) return new PayloadTooLargeError(`WAHA: ${message}`, details)
  if (status === 501) return new NotSupportedError('waha', operation)
  if (status === 401 || status === 403) {
    return new UpstreamError(`WAHA refused our credentials (HTTP ${status}); check WAHA_API_KEY`, details)
  }
  return new UpstreamError(`WAHA ${operation} failed with HTTP ${status}: ${message}`, details)
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

/** Stable JSON (sorted keys) to compare configs without caring about key order. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

export interface CallbackWebhooksOptions {
  /** Where this gateway's API lives as seen from WAHA, e.g. `http://gateway:3000/api/whatsapp`. */
  callbackBaseUrl: string
  /** Sent back by WAHA as `X-Api-Key`, checked by `requireWahaProtected`. */
  apiKey?: string
  /** Have WAHA sign callbacks (`X-Webhook-Hmac`, HMAC-SHA512). */
  hmacKey?: string
  retries?: RetriesConfiguration
}

/**
 * The two webhooks a WAHA session needs to report back to this gateway:
 * `…/webhook/message` for message-like events, `…/webhook/state-change` for session.status.
 */
export function buildCallbackWebhooks(options: CallbackWebhooksOptions): WebhookConfig[] {
  const base = options.callbackBaseUrl.replace(/\/+$/, '')
  const common: Omit<WebhookConfig, 'url' | 'events'> = {}
  if (options.hmacKey) common.hmac = { key: options.hmacKey }
  if (options.retries) common.retries = options.retries
  if (options.apiKey) common.customHeaders = [{ name: 'X-Api-Key', value: options.apiKey }]
  return [
    { url: `${base}/webhook/message`, events: [...WAHA_MESSAGE_WEBHOOK_EVENTS], ...common },
    { url: `${base}/webhook/state-change`, events: [...WAHA_STATE_WEBHOOK_EVENTS], ...common },
  ]
}

/** The vCards `sendContactVcard` takes are built by the one builder of src/lib/vcard.ts. */
export { buildVcard } from '../../lib/vcard'

/** The message id in a send result, whatever the engine's shape (`id`, `id._serialized`, NOWEB's `key`). */
export function messageIdOf(result: unknown): string | undefined {
  if (!result || typeof result !== 'object') return undefined
  const record = result as Record<string, unknown>
  const id = record.id
  if (typeof id === 'string' && id) return id
  if (id && typeof id === 'object') {
    const serialized = (id as Record<string, unknown>)._serialized
    if (typeof serialized === 'string' && serialized) return serialized
  }
  const key = record.key
  if (key && typeof key === 'object') {
    const { id: keyId, fromMe, remoteJid } = key as Record<string, unknown>
    if (typeof keyId === 'string' && keyId) {
      return typeof remoteJid === 'string' ? `${fromMe === true}_${remoteJid}_${keyId}` : keyId
    }
  }
  return undefined
}

export interface ListQuery<SortBy extends string> {
  limit?: number
  offset?: number
  sortBy?: SortBy
  sortOrder?: SortOrder
}

export class WahaClient {
  private readonly baseUrl: string
  private readonly apiKey: string | undefined
  private readonly fetchImpl: WahaFetch
  private readonly timeoutMs: number

  constructor(options: WahaClientOptions) {
    let url: URL
    try {
      url = new URL(options.baseUrl)
    } catch {
      throw new Error(`Invalid WAHA base URL: ${options.baseUrl}`)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('The WAHA base URL must be http(s)')
    if (!(options.timeoutMs > 0)) throw new Error('timeoutMs must be a positive number')
    this.baseUrl = url.toString().replace(/\/+$/, '')
    this.apiKey = options.apiKey
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init))
    this.timeoutMs = options.timeoutMs
  }

  // ── Transport ──────────────────────────────────────────────────────────────────

  private async send(spec: RequestSpec): Promise<RawResponse> {
    const url = new URL(this.baseUrl + spec.path)
    for (const [name, value] of Object.entries(spec.query ?? {})) {
      if (value === undefined) continue
      if (Array.isArray(value)) for (const item of value) url.searchParams.append(name, item)
      else url.searchParams.append(name, String(value))
    }
    const headers: Record<string, string> = { Accept: spec.accept ?? 'application/json' }
    if (this.apiKey) headers['X-Api-Key'] = this.apiKey
    // Redirects are not followed: they would carry the API key to wherever they point.
    const init: RequestInit = { method: spec.method, headers, redirect: 'manual' }
    if (spec.body !== undefined) {
      headers['Content-Type'] = 'application/json'
      init.body = JSON.stringify(spec.body)
    }

    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), this.timeoutMs)
    init.signal = controller.signal
    try {
      const response = await this.fetchImpl(url.toString(), init)
      const contentType = response.headers.get('content-type') ?? ''
      const ok = response.status >= 200 && response.status <= 299
      // The byte cap applies to successful bodies only; error bodies are small and read whole.
      const bytes = await readBody(response, ok ? spec.maxBytes : undefined, spec.operation)
      const result: RawResponse = { status: response.status, contentType, bytes }
      if (!ok) {
        const text = decoder.decode(bytes)
        throw mapWahaFailure(spec.operation, result.status, contentType.includes('json') ? parseJson(text) : text)
      }
      return result
    } catch (error) {
      if (error instanceof AppError) throw error
      const details = { operation: spec.operation }
      if (controller.signal.aborted) {
        throw new UpstreamError(`WAHA ${spec.operation} timed out after ${this.timeoutMs} ms`, details)
      }
      const reason = error instanceof Error ? error.message : String(error)
      throw new UpstreamError(`WAHA is unreachable (${spec.operation}): ${reason}`, details)
    } finally {
      clearTimeout(timer)
    }
  }

  /** A JSON answer, typed from the document (`null` when WAHA sent no body). */
  private async json<T>(spec: RequestSpec): Promise<T> {
    const response = await this.send(spec)
    const text = decoder.decode(response.bytes)
    if (text.trim() === '') return null as T
    const parsed = parseJson(text)
    if (parsed === undefined) {
      throw new UpstreamError(`WAHA ${spec.operation} answered with invalid JSON`, { operation: spec.operation })
    }
    return parsed as T
  }

  private async empty(spec: RequestSpec): Promise<void> {
    await this.send(spec)
  }

  /** A string answer, sent either as a JSON string or as plain text. */
  private async text(spec: RequestSpec): Promise<string> {
    const response = await this.send(spec)
    const text = decoder.decode(response.bytes)
    const parsed = response.contentType.includes('json') ? parseJson(text) : undefined
    return typeof parsed === 'string' ? parsed : text
  }

  // ── Server ─────────────────────────────────────────────────────────────────────

  /** `GET /ping` (PingController_ping). */
  ping(): Promise<{ message: string }> {
    return this.json({ operation: 'PingController_ping', method: 'GET', path: '/ping' })
  }

  /**
   * The bytes of a message's media (`media.url` of a WAHA message), with its type.
   * WAHA serves files under `/api/files/…`, a route its OpenAPI document does not list.
   * The URL's host is WAHA's own idea of its address (WAHA_BASE_URL), often not how we
   * reach it, so only the path is used, against our base URL; any other path is refused,
   * so the API key never travels to a host named in a webhook payload.
   */
  async downloadMedia(mediaUrl: string, options: { maxBytes?: number } = {}): Promise<{ bytes: Uint8Array; contentType: string }> {
    let path: string
    try {
      const url = new URL(mediaUrl, this.baseUrl)
      path = url.pathname + url.search
    } catch {
      throw new BadRequestError('Invalid WAHA media URL')
    }
    const basePath = new URL(this.baseUrl).pathname.replace(/\/+$/, '')
    const relative = basePath && path.startsWith(`${basePath}/`) ? path.slice(basePath.length) : path
    if (!relative.startsWith('/api/files/') || relative.includes('/../')) {
      throw new BadRequestError('Not a WAHA media URL (expected a path under /api/files/)')
    }
    const response = await this.send({
      operation: 'files',
      method: 'GET',
      path: relative,
      accept: '*/*',
      ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
    })
    return { bytes: response.bytes, contentType: response.contentType || 'application/octet-stream' }
  }

  // ── Sessions ───────────────────────────────────────────────────────────────────

  /** `GET /api/sessions` (SessionsController_list). `all` includes STOPPED sessions. */
  listSessions(options: { all?: boolean } = {}): Promise<SessionInfo[]> {
    return this.json({ operation: 'SessionsController_list', method: 'GET', path: '/api/sessions', query: { all: options.all } })
  }

  /** `POST /api/sessions` (SessionsController_create). */
  createSession(request: SessionCreateRequest): Promise<SessionDTO> {
    return this.json({ operation: 'SessionsController_create', method: 'POST', path: '/api/sessions', body: request })
  }

  /** `GET /api/sessions/{session}` (SessionsController_get). */
  getSession(session: string): Promise<SessionInfo> {
    return this.json({ operation: 'SessionsController_get', method: 'GET', path: `/api/sessions/${seg(session)}` })
  }

  /** `PUT /api/sessions/{session}` (SessionsController_update). */
  updateSession(session: string, request: SessionUpdateRequest): Promise<SessionDTO> {
    return this.json({ operation: 'SessionsController_update', method: 'PUT', path: `/api/sessions/${seg(session)}`, body: request })
  }

  /**
   * Creates the session, or updates its config when it exists and differs (WAHA restarts
   * a running session on update, so an unchanged config is left alone). `config` may be a
   * function of the existing config (undefined when the session is new), to change only
   * part of a config someone else set up on the WAHA server.
   */
  async upsertSession(
    session: string,
    request: { config: SessionConfig | ((existing: SessionConfig | undefined) => SessionConfig); start?: boolean },
  ): Promise<SessionDTO> {
    const configFor = (existing: SessionConfig | undefined): SessionConfig =>
      typeof request.config === 'function' ? request.config(existing) : request.config
    let existing: SessionInfo
    try {
      existing = await this.getSession(session)
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error
      return this.createSession({ name: session, start: request.start ?? false, config: configFor(undefined) })
    }
    const config = configFor(existing.config)
    if (stableJson(existing.config ?? {}) === stableJson(config)) {
      return { name: existing.name, status: existing.status, config }
    }
    return this.updateSession(session, { config })
  }

  /** `DELETE /api/sessions/{session}` (SessionsController_delete). */
  deleteSession(session: string): Promise<void> {
    return this.empty({ operation: 'SessionsController_delete', method: 'DELETE', path: `/api/sessions/${seg(session)}` })
  }

  /** `GET /api/sessions/{session}/me` (SessionsController_getMe); null before pairing. */
  getMe(session: string): Promise<MeInfo | null> {
    return this.json({ operation: 'SessionsController_getMe', method: 'GET', path: `/api/sessions/${seg(session)}/me` })
  }

  /** `POST /api/sessions/{session}/start` (SessionsController_start); idempotent. */
  startSession(session: string): Promise<SessionDTO> {
    return this.json({ operation: 'SessionsController_start', method: 'POST', path: `/api/sessions/${seg(session)}/start` })
  }

  /** `POST /api/sessions/{session}/stop` (SessionsController_stop); keeps the pairing. */
  stopSession(session: string): Promise<SessionDTO> {
    return this.json({ operation: 'SessionsController_stop', method: 'POST', path: `/api/sessions/${seg(session)}/stop` })
  }

  /** `POST /api/sessions/{session}/logout` (SessionsController_logout); unpairs. */
  logoutSession(session: string): Promise<SessionDTO> {
    return this.json({ operation: 'SessionsController_logout', method: 'POST', path: `/api/sessions/${seg(session)}/logout` })
  }

  /** `POST /api/sessions/{session}/restart` (SessionsController_restart). */
  restartSession(session: string): Promise<SessionDTO> {
    return this.json({ operation: 'SessionsController_restart', method: 'POST', path: `/api/sessions/${seg(session)}/restart` })
  }

  // ── Pairing ────────────────────────────────────────────────────────────────────

  /** `GET /api/{session}/auth/qr?format=raw|image` (AuthController_getQR), as JSON. */
  getQr(session: string, format: 'raw'): Promise<QRCodeValue>
  getQr(session: string, format: 'image'): Promise<Base64File>
  getQr(session: string, format: 'raw' | 'image'): Promise<QRCodeValue | Base64File> {
    return this.json({ operation: 'AuthController_getQR', method: 'GET', path: `/api/${seg(session)}/auth/qr`, query: { format } })
  }

  /** `POST /api/{session}/auth/request-code` (AuthController_requestCode): link by phone number. */
  async requestPairingCode(session: string, request: RequestCodeRequest): Promise<RequestCodeResponse> {
    const answer = await this.json<RequestCodeResponse | null>({
      operation: 'AuthController_requestCode',
      method: 'POST',
      path: `/api/${seg(session)}/auth/request-code`,
      body: request,
    })
    return answer ?? {}
  }

  // ── Profile ────────────────────────────────────────────────────────────────────

  /** `GET /api/{session}/profile` (ProfileController_getMyProfile). */
  getProfile(session: string): Promise<MyProfile> {
    return this.json({ operation: 'ProfileController_getMyProfile', method: 'GET', path: `/api/${seg(session)}/profile` })
  }

  /** `PUT /api/{session}/profile/name` (ProfileController_setProfileName). */
  setProfileName(session: string, name: string): Promise<Result> {
    return this.json({ operation: 'ProfileController_setProfileName', method: 'PUT', path: `/api/${seg(session)}/profile/name`, body: { name } })
  }

  /** `PUT /api/{session}/profile/status` (ProfileController_setProfileStatus): the "about" text. */
  setProfileStatus(session: string, status: string): Promise<Result> {
    return this.json({ operation: 'ProfileController_setProfileStatus', method: 'PUT', path: `/api/${seg(session)}/profile/status`, body: { status } })
  }

  /** `PUT /api/{session}/profile/picture` (ProfileController_setProfilePicture). */
  setProfilePicture(session: string, file: WahaFile): Promise<Result> {
    return this.json({ operation: 'ProfileController_setProfilePicture', method: 'PUT', path: `/api/${seg(session)}/profile/picture`, body: { file } })
  }

  /** `DELETE /api/{session}/profile/picture` (ProfileController_deleteProfilePicture). */
  deleteProfilePicture(session: string): Promise<Result> {
    return this.json({ operation: 'ProfileController_deleteProfilePicture', method: 'DELETE', path: `/api/${seg(session)}/profile/picture` })
  }

  // ── Sending ────────────────────────────────────────────────────────────────────

  /** `POST /api/sendText` (ChattingController_sendText). */
  sendText(session: string, request: MessageTextRequest): Promise<WAMessage> {
    return this.json({ operation: 'ChattingController_sendText', method: 'POST', path: '/api/sendText', body: { ...request, session } })
  }

  /** `POST /api/sendImage` (ChattingController_sendImage). */
  sendImage(session: string, request: MessageImageRequest): Promise<WahaSendResult> {
    return this.json({ operation: 'ChattingController_sendImage', method: 'POST', path: '/api/sendImage', body: { ...request, session } })
  }

  /** `POST /api/sendFile` (ChattingController_sendFile): a document. */
  sendFile(session: string, request: MessageFileRequest): Promise<WahaSendResult> {
    return this.json({ operation: 'ChattingController_sendFile', method: 'POST', path: '/api/sendFile', body: { ...request, session } })
  }

  /** `POST /api/sendVoice` (ChattingController_sendVoice): push-to-talk audio. */
  sendVoice(session: string, request: MessageVoiceRequest): Promise<WahaSendResult> {
    return this.json({ operation: 'ChattingController_sendVoice', method: 'POST', path: '/api/sendVoice', body: { ...request, session } })
  }

  /** `POST /api/sendVideo` (ChattingController_sendVideo). */
  sendVideo(session: string, request: MessageVideoRequest): Promise<WahaSendResult> {
    return this.json({ operation: 'ChattingController_sendVideo', method: 'POST', path: '/api/sendVideo', body: { ...request, session } })
  }

  /** `POST /api/sendLocation` (ChattingController_sendLocation). */
  sendLocation(session: string, request: MessageLocationRequest): Promise<WahaSendResult> {
    return this.json({ operation: 'ChattingController_sendLocation', method: 'POST', path: '/api/sendLocation', body: { ...request, session } })
  }

  /** `POST /api/sendContactVcard` (ChattingController_sendContactVcard). */
  sendContactVcard(session: string, request: MessageContactVcardRequest): Promise<WahaSendResult> {
    return this.json({ operation: 'ChattingController_sendContactVcard', method: 'POST', path: '/api/sendContactVcard', body: { ...request, session } })
  }

  /** `POST /api/sendPoll` (ChattingController_sendPoll). */
  sendPoll(session: string, request: MessagePollRequest): Promise<WahaSendResult> {
    return this.json({ operation: 'ChattingController_sendPoll', method: 'POST', path: '/api/sendPoll', body: { ...request, session } })
  }

  /** `POST /api/forwardMessage` (ChattingController_forwardMessage). */
  forwardMessage(session: string, request: MessageForwardRequest): Promise<WAMessage> {
    return this.json({ operation: 'ChattingController_forwardMessage', method: 'POST', path: '/api/forwardMessage', body: { ...request, session } })
  }

  /** `PUT /api/reaction` (ChattingController_setReaction); `reaction: ""` removes it. */
  async setReaction(session: string, request: MessageReactionRequest): Promise<void> {
    await this.empty({ operation: 'ChattingController_setReaction', method: 'PUT', path: '/api/reaction', body: { ...request, session } })
  }

  /** `POST /api/sendSeen` (ChattingController_sendSeen): mark messages (or the chat) read. */
  async sendSeen(session: string, request: SendSeenRequest): Promise<void> {
    await this.empty({ operation: 'ChattingController_sendSeen', method: 'POST', path: '/api/sendSeen', body: { ...request, session } })
  }

  /** `POST /api/startTyping` (ChattingController_startTyping). */
  startTyping(session: string, chatId: string): Promise<void> {
    return this.empty({ operation: 'ChattingController_startTyping', method: 'POST', path: '/api/startTyping', body: { chatId, session } })
  }

  /** `POST /api/stopTyping` (ChattingController_stopTyping). */
  stopTyping(session: string, chatId: string): Promise<void> {
    return this.empty({ operation: 'ChattingController_stopTyping', method: 'POST', path: '/api/stopTyping', body: { chatId, session } })
  }

  /** `POST /api/{session}/presence` (PresenceController_setPresence): typing/recording/paused in a chat, or online/offline. */
  setPresence(session: string, request: WAHASessionPresence): Promise<void> {
    return this.empty({ operation: 'PresenceController_setPresence', method: 'POST', path: `/api/${seg(session)}/presence`, body: request })
  }

  /** `PUT /api/{session}/chats/{chatId}/messages/{messageId}` (ChatsController_editMessage). */
  editMessage(session: string, chatId: string, messageId: string, request: EditMessageRequest): Promise<void> {
    return this.empty({
      operation: 'ChatsController_editMessage',
      method: 'PUT',
      path: `/api/${seg(session)}/chats/${seg(chatId)}/messages/${seg(messageId)}`,
      body: request,
    })
  }

  /** `DELETE /api/{session}/chats/{chatId}/messages/{messageId}` (ChatsController_deleteMessage): revoke for everyone. */
  deleteMessage(session: string, chatId: string, messageId: string): Promise<void> {
    return this.empty({
      operation: 'ChatsController_deleteMessage',
      method: 'DELETE',
      path: `/api/${seg(session)}/chats/${seg(chatId)}/messages/${seg(messageId)}`,
    })
  }

  /** `PUT /api/star` (ChattingController_setStar). */
  async setStar(session: string, request: MessageStarRequest): Promise<void> {
    await this.empty({ operation: 'ChattingController_setStar', method: 'PUT', path: '/api/star', body: { ...request, session } })
  }

  /** `POST /api/sendPollVote` (ChattingController_sendPollVote). */
  async sendPollVote(session: string, request: MessagePollVoteRequest): Promise<void> {
    await this.empty({ operation: 'ChattingController_sendPollVote', method: 'POST', path: '/api/sendPollVote', body: { ...request, session } })
  }

  /** `POST /api/{session}/chats/{chatId}/messages/{messageId}/pin` (ChatsController_pinMessage). */
  async pinMessage(session: string, chatId: string, messageId: string, request: PinMessageRequest): Promise<void> {
    await this.empty({
      operation: 'ChatsController_pinMessage',
      method: 'POST',
      path: `/api/${seg(session)}/chats/${seg(chatId)}/messages/${seg(messageId)}/pin`,
      body: request,
    })
  }

  /** `POST /api/{session}/chats/{chatId}/messages/{messageId}/unpin` (ChatsController_unpinMessage). */
  async unpinMessage(session: string, chatId: string, messageId: string): Promise<void> {
    await this.empty({ operation: 'ChatsController_unpinMessage', method: 'POST', path: `/api/${seg(session)}/chats/${seg(chatId)}/messages/${seg(messageId)}/unpin` })
  }

  /** `POST /api/{session}/chats/{chatId}/archive` / `unarchive` (ChatsController_archiveChat / unarchiveChat). */
  async setArchived(session: string, chatId: string, archived: boolean): Promise<void> {
    await this.empty({
      operation: archived ? 'ChatsController_archiveChat' : 'ChatsController_unarchiveChat',
      method: 'POST',
      path: `/api/${seg(session)}/chats/${seg(chatId)}/${archived ? 'archive' : 'unarchive'}`,
    })
  }

  /** `POST /api/{session}/chats/{chatId}/unread` (ChatsController_unreadChat). */
  async markChatUnread(session: string, chatId: string): Promise<void> {
    await this.empty({ operation: 'ChatsController_unreadChat', method: 'POST', path: `/api/${seg(session)}/chats/${seg(chatId)}/unread` })
  }

  /** `DELETE /api/{session}/chats/{chatId}/messages` (ChatsController_clearMessages). */
  async clearChatMessages(session: string, chatId: string): Promise<void> {
    await this.empty({ operation: 'ChatsController_clearMessages', method: 'DELETE', path: `/api/${seg(session)}/chats/${seg(chatId)}/messages` })
  }

  /** `DELETE /api/{session}/chats/{chatId}` (ChatsController_deleteChat). */
  async deleteChat(session: string, chatId: string): Promise<void> {
    await this.empty({ operation: 'ChatsController_deleteChat', method: 'DELETE', path: `/api/${seg(session)}/chats/${seg(chatId)}` })
  }

  // ── Status (stories) ───────────────────────────────────────────────────────────

  /** `POST /api/{session}/status/text` (StatusController_sendTextStatus). */
  sendTextStatus(session: string, request: TextStatus): Promise<WahaSendResult | null> {
    return this.json({ operation: 'StatusController_sendTextStatus', method: 'POST', path: `/api/${seg(session)}/status/text`, body: request })
  }

  /** `POST /api/{session}/status/image` (StatusController_sendImageStatus). */
  sendImageStatus(session: string, request: ImageStatus): Promise<WahaSendResult | null> {
    return this.json({ operation: 'StatusController_sendImageStatus', method: 'POST', path: `/api/${seg(session)}/status/image`, body: request })
  }

  /** `POST /api/{session}/status/video` (StatusController_sendVideoStatus). */
  sendVideoStatus(session: string, request: VideoStatus): Promise<WahaSendResult | null> {
    return this.json({ operation: 'StatusController_sendVideoStatus', method: 'POST', path: `/api/${seg(session)}/status/video`, body: request })
  }

  /** `POST /api/{session}/status/voice` (StatusController_sendVoiceStatus). */
  sendVoiceStatus(session: string, request: VoiceStatus): Promise<WahaSendResult | null> {
    return this.json({ operation: 'StatusController_sendVoiceStatus', method: 'POST', path: `/api/${seg(session)}/status/voice`, body: request })
  }

  /** `POST /api/{session}/status/delete` (StatusController_deleteStatus). */
  deleteStatus(session: string, request: DeleteStatusRequest): Promise<void> {
    return this.empty({ operation: 'StatusController_deleteStatus', method: 'POST', path: `/api/${seg(session)}/status/delete`, body: request })
  }

  /** `POST /api/{session}/groups/join` (GroupsController_joinGroup). */
  joinGroup(session: string, request: JoinGroupRequest): Promise<JoinGroupResponse> {
    return this.json({ operation: 'GroupsController_joinGroup', method: 'POST', path: `/api/${seg(session)}/groups/join`, body: request })
  }

  /** `GET /api/{session}/groups/join-info?code=` (GroupsController_joinInfoGroup): engine-specific group metadata. */
  async groupJoinInfo(session: string, code: string): Promise<WahaEngineObject> {
    const answer = await this.json<WahaEngineObject | null>({ operation: 'GroupsController_joinInfoGroup', method: 'GET', path: `/api/${seg(session)}/groups/join-info`, query: { code } })
    return answer ?? {}
  }

  /** `PUT /api/{session}/contacts/{chatId}` (ContactsSessionController_put): saves the contact's name in the phone's address book. */
  updateContact(session: string, chatId: string, request: ContactUpdateBody): Promise<Result> {
    return this.json({ operation: 'ContactsSessionController_put', method: 'PUT', path: `/api/${seg(session)}/contacts/${seg(chatId)}`, body: request })
  }

  // ── Chats and messages ─────────────────────────────────────────────────────────

  /** `GET /api/{session}/chats` (ChatsController_getChats); engine-specific chat objects. */
  async listChats(session: string, query: ListQuery<'conversationTimestamp' | 'id' | 'name'> = {}): Promise<WahaEngineObject[]> {
    const chats = await this.json<WahaEngineObject[] | null>({
      operation: 'ChatsController_getChats',
      method: 'GET',
      path: `/api/${seg(session)}/chats`,
      query: { limit: query.limit, offset: query.offset, sortBy: query.sortBy, sortOrder: query.sortOrder },
    })
    return chats ?? []
  }

  /** `GET /api/{session}/chats/overview` (ChatsController_getChatsOverview): documented summaries. */
  async getChatsOverview(session: string, query: { limit?: number; offset?: number; ids?: string[] } = {}): Promise<ChatSummary[]> {
    const chats = await this.json<ChatSummary[] | null>({
      operation: 'ChatsController_getChatsOverview',
      method: 'GET',
      path: `/api/${seg(session)}/chats/overview`,
      query: { limit: query.limit, offset: query.offset, ids: query.ids },
    })
    return chats ?? []
  }

  /**
   * `GET /api/{session}/chats/{chatId}/messages` (ChatsController_getChatMessages).
   * Paging is limit/offset; `filter.timestampLte` is the "older than" cursor.
   */
  async getChatMessages(session: string, chatId: string, query: GetChatMessagesQuery): Promise<WAMessage[]> {
    const messages = await this.json<WAMessage[] | null>({
      operation: 'ChatsController_getChatMessages',
      method: 'GET',
      path: `/api/${seg(session)}/chats/${seg(chatId)}/messages`,
      query: {
        limit: query.limit,
        offset: query.offset,
        downloadMedia: query.downloadMedia,
        sortBy: query.sortBy,
        sortOrder: query.sortOrder,
        merge: query.merge,
        'filter.timestamp.lte': query.filter?.timestampLte,
        'filter.timestamp.gte': query.filter?.timestampGte,
        'filter.fromMe': query.filter?.fromMe,
        'filter.ack': query.filter?.ack,
      },
    })
    return messages ?? []
  }

  /** `GET /api/{session}/chats/{chatId}/messages/{messageId}` (ChatsController_getChatMessage). */
  getChatMessage(session: string, chatId: string, messageId: string, query: { downloadMedia?: boolean } = {}): Promise<WAMessage> {
    return this.json({
      operation: 'ChatsController_getChatMessage',
      method: 'GET',
      path: `/api/${seg(session)}/chats/${seg(chatId)}/messages/${seg(messageId)}`,
      query: { downloadMedia: query.downloadMedia },
    })
  }

  /** `POST /api/{session}/chats/{chatId}/messages/read` (ChatsController_readChatMessages). */
  async readChatMessages(session: string, chatId: string, query: { messages?: number; days?: number } = {}): Promise<ReadChatMessagesResponse> {
    const answer = await this.json<ReadChatMessagesResponse | null>({
      operation: 'ChatsController_readChatMessages',
      method: 'POST',
      path: `/api/${seg(session)}/chats/${seg(chatId)}/messages/read`,
      query: { messages: query.messages, days: query.days },
    })
    return answer ?? {}
  }

  /** `GET /api/{session}/chats/{chatId}/picture` (ChatsController_getChatPicture). */
  getChatPicture(session: string, chatId: string, query: { refresh?: boolean } = {}): Promise<ChatPictureResponse> {
    return this.json({
      operation: 'ChatsController_getChatPicture',
      method: 'GET',
      path: `/api/${seg(session)}/chats/${seg(chatId)}/picture`,
      query: { refresh: query.refresh },
    })
  }

  // ── Contacts ───────────────────────────────────────────────────────────────────

  /** `GET /api/contacts/all` (ContactsController_getAll). */
  async listContacts(session: string, query: ListQuery<'id' | 'name'> = {}): Promise<WahaContact[]> {
    const contacts = await this.json<WahaContact[] | null>({
      operation: 'ContactsController_getAll',
      method: 'GET',
      path: '/api/contacts/all',
      query: { session, limit: query.limit, offset: query.offset, sortBy: query.sortBy, sortOrder: query.sortOrder },
    })
    return contacts ?? []
  }

  /** `GET /api/contacts?contactId=` (ContactsController_get). */
  getContact(session: string, contactId: string): Promise<WahaContact> {
    return this.json({ operation: 'ContactsController_get', method: 'GET', path: '/api/contacts', query: { contactId, session } })
  }

  /** `GET /api/contacts/check-exists?phone=` (ContactsController_checkExists). */
  checkNumberExists(session: string, phone: string): Promise<WANumberExistResult> {
    return this.json({ operation: 'ContactsController_checkExists', method: 'GET', path: '/api/contacts/check-exists', query: { phone, session } })
  }

  /** `GET /api/contacts/about?contactId=` (ContactsController_getAbout). */
  async getContactAbout(session: string, contactId: string): Promise<WahaContactAbout> {
    const answer = await this.json<WahaContactAbout | null>({
      operation: 'ContactsController_getAbout',
      method: 'GET',
      path: '/api/contacts/about',
      query: { contactId, session },
    })
    return answer ?? {}
  }

  /** `GET /api/contacts/profile-picture?contactId=` (ContactsController_getProfilePicture). */
  async getContactProfilePicture(session: string, contactId: string, query: { refresh?: boolean } = {}): Promise<WahaProfilePicture> {
    const answer = await this.json<WahaProfilePicture | null>({
      operation: 'ContactsController_getProfilePicture',
      method: 'GET',
      path: '/api/contacts/profile-picture',
      query: { contactId, refresh: query.refresh, session },
    })
    return answer ?? {}
  }

  /** `POST /api/contacts/block` (ContactsController_block). */
  blockContact(session: string, contactId: string): Promise<void> {
    return this.empty({ operation: 'ContactsController_block', method: 'POST', path: '/api/contacts/block', body: { contactId, session } })
  }

  /** `POST /api/contacts/unblock` (ContactsController_unblock). */
  unblockContact(session: string, contactId: string): Promise<void> {
    return this.empty({ operation: 'ContactsController_unblock', method: 'POST', path: '/api/contacts/unblock', body: { contactId, session } })
  }

  // ── Groups ─────────────────────────────────────────────────────────────────────

  /** `POST /api/{session}/groups` (GroupsController_createGroup). */
  createGroup(session: string, request: CreateGroupRequest): Promise<WahaGroup> {
    return this.json({ operation: 'GroupsController_createGroup', method: 'POST', path: `/api/${seg(session)}/groups`, body: request })
  }

  /**
   * `GET /api/{session}/groups` (GroupsController_getGroups). Engines answer a list or a
   * map keyed by group id (the document says only `object`); both come back as a list.
   */
  async listGroups(
    session: string,
    query: ListQuery<'id' | 'subject'> & { exclude?: Array<'participants'> } = {},
  ): Promise<WahaGroup[]> {
    const groups = await this.json<WahaGroup[] | Record<string, WahaGroup> | null>({
      operation: 'GroupsController_getGroups',
      method: 'GET',
      path: `/api/${seg(session)}/groups`,
      query: { limit: query.limit, offset: query.offset, sortBy: query.sortBy, sortOrder: query.sortOrder, exclude: query.exclude },
    })
    if (!groups) return []
    return Array.isArray(groups) ? groups : Object.values(groups)
  }

  /** `GET /api/{session}/groups/{id}` (GroupsController_getGroup). */
  getGroup(session: string, groupId: string): Promise<WahaGroup> {
    return this.json({ operation: 'GroupsController_getGroup', method: 'GET', path: `/api/${seg(session)}/groups/${seg(groupId)}` })
  }

  /** `POST /api/{session}/groups/{id}/leave` (GroupsController_leaveGroup). */
  leaveGroup(session: string, groupId: string): Promise<void> {
    return this.empty({ operation: 'GroupsController_leaveGroup', method: 'POST', path: `/api/${seg(session)}/groups/${seg(groupId)}/leave` })
  }

  /** `GET /api/{session}/groups/{id}/participants/v2` (GroupsController_getGroupParticipants): documented roles. */
  getGroupParticipants(session: string, groupId: string): Promise<GroupParticipant[]> {
    return this.json({
      operation: 'GroupsController_getGroupParticipants',
      method: 'GET',
      path: `/api/${seg(session)}/groups/${seg(groupId)}/participants/v2`,
    })
  }

  private participants(operation: string, session: string, groupId: string, tail: string, ids: readonly string[]): Promise<void> {
    return this.empty({
      operation,
      method: 'POST',
      path: `/api/${seg(session)}/groups/${seg(groupId)}/${tail}`,
      body: { participants: ids.map((id) => ({ id })) },
    })
  }

  /** `POST /api/{session}/groups/{id}/participants/add` (GroupsController_addParticipants). */
  addGroupParticipants(session: string, groupId: string, participantIds: readonly string[]): Promise<void> {
    return this.participants('GroupsController_addParticipants', session, groupId, 'participants/add', participantIds)
  }

  /** `POST /api/{session}/groups/{id}/participants/remove` (GroupsController_removeParticipants). */
  removeGroupParticipants(session: string, groupId: string, participantIds: readonly string[]): Promise<void> {
    return this.participants('GroupsController_removeParticipants', session, groupId, 'participants/remove', participantIds)
  }

  /** `POST /api/{session}/groups/{id}/admin/promote` (GroupsController_promoteToAdmin). */
  promoteGroupParticipants(session: string, groupId: string, participantIds: readonly string[]): Promise<void> {
    return this.participants('GroupsController_promoteToAdmin', session, groupId, 'admin/promote', participantIds)
  }

  /** `POST /api/{session}/groups/{id}/admin/demote` (GroupsController_demoteToAdmin). */
  demoteGroupParticipants(session: string, groupId: string, participantIds: readonly string[]): Promise<void> {
    return this.participants('GroupsController_demoteToAdmin', session, groupId, 'admin/demote', participantIds)
  }

  /** `PUT /api/{session}/groups/{id}/subject` (GroupsController_setSubject). */
  setGroupSubject(session: string, groupId: string, subject: string): Promise<void> {
    return this.empty({ operation: 'GroupsController_setSubject', method: 'PUT', path: `/api/${seg(session)}/groups/${seg(groupId)}/subject`, body: { subject } })
  }

  /** `PUT /api/{session}/groups/{id}/description` (GroupsController_setDescription). */
  setGroupDescription(session: string, groupId: string, description: string): Promise<void> {
    return this.empty({
      operation: 'GroupsController_setDescription',
      method: 'PUT',
      path: `/api/${seg(session)}/groups/${seg(groupId)}/description`,
      body: { description },
    })
  }

  /** `PUT …/settings/security/info-admin-only` (GroupsController_setInfoAdminOnly): only admins edit the group info. */
  setGroupInfoAdminOnly(session: string, groupId: string, adminsOnly: boolean): Promise<void> {
    const body: SettingsSecurityChangeInfo = { adminsOnly }
    return this.empty({
      operation: 'GroupsController_setInfoAdminOnly',
      method: 'PUT',
      path: `/api/${seg(session)}/groups/${seg(groupId)}/settings/security/info-admin-only`,
      body,
    })
  }

  /** `GET …/settings/security/info-admin-only` (GroupsController_getInfoAdminOnly). */
  getGroupInfoAdminOnly(session: string, groupId: string): Promise<SettingsSecurityChangeInfo> {
    return this.json({
      operation: 'GroupsController_getInfoAdminOnly',
      method: 'GET',
      path: `/api/${seg(session)}/groups/${seg(groupId)}/settings/security/info-admin-only`,
    })
  }

  /** `PUT …/settings/security/messages-admin-only` (GroupsController_setMessagesAdminOnly): only admins send. */
  setGroupMessagesAdminOnly(session: string, groupId: string, adminsOnly: boolean): Promise<void> {
    const body: SettingsSecurityChangeInfo = { adminsOnly }
    return this.empty({
      operation: 'GroupsController_setMessagesAdminOnly',
      method: 'PUT',
      path: `/api/${seg(session)}/groups/${seg(groupId)}/settings/security/messages-admin-only`,
      body,
    })
  }

  /** `GET …/settings/security/messages-admin-only` (GroupsController_getMessagesAdminOnly). */
  getGroupMessagesAdminOnly(session: string, groupId: string): Promise<SettingsSecurityChangeInfo> {
    return this.json({
      operation: 'GroupsController_getMessagesAdminOnly',
      method: 'GET',
      path: `/api/${seg(session)}/groups/${seg(groupId)}/settings/security/messages-admin-only`,
    })
  }

  /** `GET /api/{session}/groups/{id}/invite-code` (GroupsController_getInviteCode). */
  getGroupInviteCode(session: string, groupId: string): Promise<string> {
    return this.text({ operation: 'GroupsController_getInviteCode', method: 'GET', path: `/api/${seg(session)}/groups/${seg(groupId)}/invite-code` })
  }

  /** `POST /api/{session}/groups/{id}/invite-code/revoke` (GroupsController_revokeInviteCode): the new code. */
  revokeGroupInviteCode(session: string, groupId: string): Promise<string> {
    return this.text({
      operation: 'GroupsController_revokeInviteCode',
      method: 'POST',
      path: `/api/${seg(session)}/groups/${seg(groupId)}/invite-code/revoke`,
    })
  }

  /** `GET /api/{session}/groups/{id}/picture` (GroupsController_getChatPicture). */
  getGroupPicture(session: string, groupId: string, query: { refresh?: boolean } = {}): Promise<ChatPictureResponse> {
    return this.json({
      operation: 'GroupsController_getChatPicture',
      method: 'GET',
      path: `/api/${seg(session)}/groups/${seg(groupId)}/picture`,
      query: { refresh: query.refresh },
    })
  }

  /** `PUT /api/{session}/groups/{id}/picture` (GroupsController_setPicture). */
  setGroupPicture(session: string, groupId: string, file: WahaFile): Promise<Result> {
    return this.json({ operation: 'GroupsController_setPicture', method: 'PUT', path: `/api/${seg(session)}/groups/${seg(groupId)}/picture`, body: { file } })
  }

  /** `DELETE /api/{session}/groups/{id}/picture` (GroupsController_deletePicture). */
  deleteGroupPicture(session: string, groupId: string): Promise<Result> {
    return this.json({ operation: 'GroupsController_deletePicture', method: 'DELETE', path: `/api/${seg(session)}/groups/${seg(groupId)}/picture` })
  }

  // ── Issue 13 part B: labels, calls, channels ───────────────────────────────────

  /** `GET /api/{session}/labels` (LabelsController_getAll). */
  async getLabels(session: string): Promise<WahaLabelInfo[]> {
    return (await this.json<WahaLabelInfo[] | null>({ operation: 'LabelsController_getAll', method: 'GET', path: `/api/${seg(session)}/labels` })) ?? []
  }

  /** `POST /api/{session}/labels` (LabelsController_create). */
  createLabel(session: string, body: LabelBody): Promise<WahaLabelInfo> {
    return this.json({ operation: 'LabelsController_create', method: 'POST', path: `/api/${seg(session)}/labels`, body })
  }

  /** `PUT /api/{session}/labels/{labelId}` (LabelsController_update). */
  updateLabel(session: string, labelId: string, body: LabelBody): Promise<WahaLabelInfo | null> {
    return this.json({ operation: 'LabelsController_update', method: 'PUT', path: `/api/${seg(session)}/labels/${seg(labelId)}`, body })
  }

  /** `DELETE /api/{session}/labels/{labelId}` (LabelsController_delete). */
  async deleteLabel(session: string, labelId: string): Promise<void> {
    await this.empty({ operation: 'LabelsController_delete', method: 'DELETE', path: `/api/${seg(session)}/labels/${seg(labelId)}` })
  }

  /** `GET /api/{session}/labels/chats/{chatId}` (LabelsController_getChatLabels). */
  async getChatLabels(session: string, chatId: string): Promise<WahaLabelInfo[]> {
    return (await this.json<WahaLabelInfo[] | null>({ operation: 'LabelsController_getChatLabels', method: 'GET', path: `/api/${seg(session)}/labels/chats/${seg(chatId)}` })) ?? []
  }

  /** `PUT /api/{session}/labels/chats/{chatId}` (LabelsController_putChatLabels): the chat's labels become these. */
  async putChatLabels(session: string, chatId: string, labelIds: readonly string[]): Promise<void> {
    await this.empty({
      operation: 'LabelsController_putChatLabels',
      method: 'PUT',
      path: `/api/${seg(session)}/labels/chats/${seg(chatId)}`,
      body: { labels: labelIds.map((id) => ({ id })) },
    })
  }

  /** `GET /api/{session}/labels/{labelId}/chats` (LabelsController_getChatsByLabel); engine-specific chat objects. */
  async getChatsByLabel(session: string, labelId: string): Promise<WahaEngineObject[]> {
    return (await this.json<WahaEngineObject[] | null>({ operation: 'LabelsController_getChatsByLabel', method: 'GET', path: `/api/${seg(session)}/labels/${seg(labelId)}/chats` })) ?? []
  }

  /** `POST /api/{session}/calls/reject` (CallsController_rejectCall). */
  async rejectCall(session: string, request: RejectCallRequest): Promise<void> {
    await this.empty({ operation: 'CallsController_rejectCall', method: 'POST', path: `/api/${seg(session)}/calls/reject`, body: request })
  }

  /** `GET /api/{session}/channels` (ChannelsController_list). */
  async listChannels(session: string, query: { role?: WahaChannel['role'] } = {}): Promise<WahaChannel[]> {
    return (await this.json<WahaChannel[] | null>({ operation: 'ChannelsController_list', method: 'GET', path: `/api/${seg(session)}/channels`, query: { role: query.role } })) ?? []
  }

  /** `POST /api/{session}/channels` (ChannelsController_create). */
  createChannel(session: string, request: CreateChannelRequest): Promise<WahaChannel> {
    return this.json({ operation: 'ChannelsController_create', method: 'POST', path: `/api/${seg(session)}/channels`, body: request })
  }

  /** `GET /api/{session}/channels/{id}` (ChannelsController_get). */
  getChannel(session: string, channelId: string): Promise<WahaChannel> {
    return this.json({ operation: 'ChannelsController_get', method: 'GET', path: `/api/${seg(session)}/channels/${seg(channelId)}` })
  }

  /** `DELETE /api/{session}/channels/{id}` (ChannelsController_delete). */
  async deleteChannel(session: string, channelId: string): Promise<void> {
    await this.empty({ operation: 'ChannelsController_delete', method: 'DELETE', path: `/api/${seg(session)}/channels/${seg(channelId)}` })
  }

  /** `POST /api/{session}/channels/{id}/{follow,unfollow,mute,unmute}` (ChannelsController_follow / unfollow / mute / unmute). */
  async channelAction(session: string, channelId: string, action: 'follow' | 'unfollow' | 'mute' | 'unmute'): Promise<void> {
    await this.empty({
      operation: `ChannelsController_${action}`,
      method: 'POST',
      path: `/api/${seg(session)}/channels/${seg(channelId)}/${action}`,
    })
  }
}
