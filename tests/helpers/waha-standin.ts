/**
 * A WAHA stand-in for tests: a Bun.serve on 127.0.0.1 that checks EVERY request against
 * WAHA's published OpenAPI document (see waha-openapi.ts) and answers plausible bodies.
 *
 * Checked per request: the path and method exist in the document (the most specific
 * template wins, literal segments over `{params}`); `X-Api-Key` when the operation is
 * secured; path parameters present; required query parameters present, and every query
 * parameter declared and of its declared type/enum; a JSON body exactly when the
 * operation has one, valid against its schema (`$ref`s resolved into components). Any
 * mismatch is recorded in `errors` and answered 400 (401 for a bad key), so the calling
 * test fails. The stand-in also validates its own answers against the operation's
 * response schema, so the canned bodies below cannot drift from the document.
 */
import type { Server } from 'bun'

import {
  HTTP_METHODS,
  loadWahaOpenApi,
  type HttpMethod,
  type JsonSchema,
  type OpenApiOperation,
  type OpenApiParameter,
} from './waha-openapi'

export interface StandinCall {
  method: string
  path: string
  operationId: string | undefined
  query: Record<string, string | string[]>
  body: unknown
  headers: Record<string, string>
}

export interface StandinResponse {
  status: number
  /** JSON-serialized unless `raw` is given. */
  body?: unknown
  raw?: string | Uint8Array<ArrayBuffer>
  headers?: Record<string, string>
}

export interface WahaStandin {
  url: string
  calls: StandinCall[]
  errors: string[]
  /** Answer every later call to `operationId` with this (undefined restores the canned answer). */
  setResponse(operationId: string, response: StandinResponse | undefined): void
  /** Sessions the stand-in knows (create adds, delete removes); session routes 404 for others. */
  sessions: Map<string, { status: string; config?: unknown }>
  close(): Promise<void>
}

export interface StandinOptions {
  apiKey?: string
  /** Sessions that exist from the start. */
  sessions?: string[]
}

interface Route {
  template: string
  segments: Array<{ literal: string } | { param: string }>
  methods: Partial<Record<HttpMethod, OpenApiOperation>>
}

const ME = '966500000001@c.us'
const NOW = 1767225600
const PNG_1X1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII='

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function buildRoutes(paths: Record<string, Partial<Record<HttpMethod, OpenApiOperation>>>): Route[] {
  return Object.entries(paths).map(([template, methods]) => ({
    template,
    methods,
    segments: template
      .split('/')
      .filter(Boolean)
      .map((segment) => {
        const match = /^\{(.+)\}$/.exec(segment)
        return match?.[1] ? { param: match[1] } : { literal: segment }
      }),
  }))
}

/** The most specific route with this method: at the first differing segment a literal beats a param. */
function matchRoute(routes: Route[], method: HttpMethod, segments: string[]) {
  const candidates: Array<{ route: Route; params: Record<string, string>; shape: string }> = []
  for (const route of routes) {
    if (route.segments.length !== segments.length || !route.methods[method]) continue
    const params: Record<string, string> = {}
    let ok = true
    let shape = ''
    route.segments.forEach((segment, index) => {
      const actual = segments[index] ?? ''
      if ('literal' in segment) {
        if (segment.literal !== actual) ok = false
        shape += 'L'
      } else {
        params[segment.param] = actual
        shape += 'P'
      }
    })
    if (ok) candidates.push({ route, params, shape })
  }
  candidates.sort((a, b) => (a.shape < b.shape ? -1 : a.shape > b.shape ? 1 : 0)) // 'L' < 'P'
  return candidates[0]
}

function checkScalar(value: string, schema: JsonSchema | undefined, label: string): string[] {
  if (!schema) return []
  const errors: string[] = []
  const type = schema.type
  if (type === 'number' || type === 'integer') {
    if (!/^-?\d+(\.\d+)?$/.test(value)) errors.push(`${label} must be a number, got "${value}"`)
  } else if (type === 'boolean') {
    if (value !== 'true' && value !== 'false') errors.push(`${label} must be true or false, got "${value}"`)
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) {
    errors.push(`${label} must be one of ${JSON.stringify(schema.enum)}, got "${value}"`)
  }
  return errors
}

function checkParameter(parameter: OpenApiParameter, values: string[]): string[] {
  const label = `${parameter.in} parameter "${parameter.name}"`
  const schema = parameter.schema
  if (schema?.type === 'array') {
    const items = isRecord(schema.items) ? (schema.items as JsonSchema) : undefined
    return values.flatMap((value, index) => checkScalar(value, items, `${label}[${index}]`))
  }
  if (values.length > 1) return [`${label} given ${values.length} times but is not an array`]
  return checkScalar(values[0] ?? '', schema, label)
}

function waMessage(id: string, chatId: string, body: string, fromMe = true) {
  return {
    id,
    timestamp: NOW,
    from: fromMe ? ME : chatId,
    fromMe,
    source: 'api',
    to: fromMe ? chatId : ME,
    participant: '',
    body,
    hasMedia: false,
    mediaUrl: '',
    ack: 1,
    ackName: 'SERVER',
    _data: {},
  }
}

/** A whatsapp-web.js style message object: what WAHA's WEBJS engine answers to media sends. */
function engineMessage(chatId: string, body: string, type: string) {
  const id = `3EB0${Math.random().toString(16).slice(2, 14).toUpperCase()}`
  return {
    id: { fromMe: true, remote: chatId, id, _serialized: `true_${chatId}_${id}` },
    ack: 0,
    hasMedia: type !== 'chat' && type !== 'location' && type !== 'vcard' && type !== 'poll_creation',
    body,
    type,
    timestamp: NOW,
    from: ME,
    to: chatId,
  }
}

function group(id: string, subject: string) {
  return {
    id,
    subject,
    description: 'A group',
    participants: [
      { id: ME, role: 'superadmin' },
      { id: '966500000002@c.us', role: 'participant' },
    ],
  }
}

interface CannedContext {
  params: Record<string, string>
  query: Record<string, string | string[]>
  body: Record<string, unknown>
  accept: string
  sessions: WahaStandin['sessions']
}

const STANDIN_LABEL = { id: '1', name: 'Lead', color: 0, colorHex: '#ff9485' }

function standinChannel(id: string, role: string) {
  return { id, name: 'Stand-in news', invite: 'https://www.whatsapp.com/channel/StandInChannel1', role, description: 'From the stand-in', verified: false, subscribersCount: 42 }
}

const notFound = (message: string): StandinResponse => ({
  status: 404,
  body: { statusCode: 404, message, error: 'Not Found' },
})

/** Plausible answers per operationId (status defaults to the operation's first 2xx). */
function canned(operationId: string, context: CannedContext): Partial<StandinResponse> {
  const { params, query, body, sessions } = context
  const session = params.session ?? (typeof body.session === 'string' ? body.session : 'default')
  const chatId = params.chatId ?? (typeof body.chatId === 'string' ? body.chatId : '966500000002@c.us')
  const known = (name: string) => sessions.get(name)
  const sessionInfo = (name: string) => {
    const state = known(name)
    return {
      name,
      status: state?.status ?? 'STOPPED',
      ...(state?.status === 'WORKING' ? { me: { id: ME, pushName: 'Stand-in' } } : {}),
      presence: {},
      timestamps: { activity: null },
      ...(state?.config === undefined ? {} : { config: state.config }),
    }
  }
  const lifecycle = (status: string) => {
    const state = known(session)
    if (!state) return notFound(`Session "${session}" does not exist`)
    state.status = status
    return { body: { name: session, status, config: state.config } }
  }

  switch (operationId) {
    case 'PingController_ping':
      return { body: { message: 'pong' } }
    case 'SessionsController_list':
      return { body: [...sessions.keys()].map(sessionInfo) }
    case 'SessionsController_create': {
      const name = typeof body.name === 'string' ? body.name : 'default'
      if (known(name)) return { status: 422, body: { statusCode: 422, message: `Session '${name}' already exists` } }
      const status = body.start === false ? 'STOPPED' : 'STARTING'
      sessions.set(name, { status, config: body.config })
      return { body: { name, status, config: body.config } }
    }
    case 'SessionsController_get':
      return known(session) ? { body: sessionInfo(session) } : notFound(`Session "${session}" does not exist`)
    case 'SessionsController_update': {
      const state = known(session)
      if (!state) return notFound(`Session "${session}" does not exist`)
      state.config = body.config
      return { body: { name: session, status: state.status, config: state.config } }
    }
    case 'SessionsController_delete':
      if (!known(session)) return notFound(`Session "${session}" does not exist`)
      sessions.delete(session)
      return {}
    case 'SessionsController_getMe':
      return { body: { id: ME, pushName: 'Stand-in' } }
    case 'SessionsController_start':
    case 'SessionsController_restart':
      return lifecycle('STARTING')
    case 'SessionsController_stop':
    case 'SessionsController_logout':
      return lifecycle('STOPPED')
    case 'AuthController_getQR':
      if (context.accept.includes('image/png')) {
        return { raw: new Uint8Array(Buffer.from(PNG_1X1, 'base64')), headers: { 'content-type': 'image/png' } }
      }
      return query.format === 'raw'
        ? { body: { value: '2@stand-in-qr-value,abc=,def=,ghi=' } }
        : { body: { mimetype: 'image/png', data: PNG_1X1 } }
    case 'AuthController_requestCode':
      return { body: { code: 'ABCD-EFGH' } }
    case 'ProfileController_getMyProfile':
      return { body: { id: ME, picture: null, name: 'Stand-in' } }
    case 'ProfileController_setProfileName':
    case 'ProfileController_setProfileStatus':
    case 'ProfileController_setProfilePicture':
    case 'ProfileController_deleteProfilePicture':
    case 'GroupsController_setPicture':
    case 'GroupsController_deletePicture':
      return { body: { success: true } }
    case 'ChattingController_sendText':
      return { body: waMessage(`true_${chatId}_3EB0TEXT`, chatId, String(body.text ?? '')) }
    case 'ChattingController_forwardMessage':
      return { body: waMessage(`true_${chatId}_3EB0FWD`, chatId, 'forwarded') }
    case 'ChattingController_sendImage':
      return { body: engineMessage(chatId, String(body.caption ?? ''), 'image') }
    case 'ChattingController_sendFile':
      return { body: engineMessage(chatId, String(body.caption ?? ''), 'document') }
    case 'ChattingController_sendVoice':
      return { body: engineMessage(chatId, '', 'ptt') }
    case 'ChattingController_sendVideo':
      return { body: engineMessage(chatId, String(body.caption ?? ''), 'video') }
    case 'ChattingController_sendLocation':
      return { body: engineMessage(chatId, '', 'location') }
    case 'ChattingController_sendContactVcard':
      return { body: engineMessage(chatId, '', 'vcard') }
    case 'ChattingController_sendPoll':
      return { body: engineMessage(chatId, '', 'poll_creation') }
    case 'ChattingController_setReaction':
    case 'ChattingController_sendSeen':
      return { body: {} }
    case 'StatusController_sendTextStatus':
    case 'StatusController_sendImageStatus':
    case 'StatusController_sendVideoStatus':
    case 'StatusController_sendVoiceStatus':
      return { body: engineMessage('status@broadcast', '', 'status') }
    case 'GroupsController_joinGroup':
      return { body: { id: '120363000000000001@g.us' } }
    case 'GroupsController_joinInfoGroup':
      return { body: group('120363000000000001@g.us', 'Group') }
    case 'ChatsController_getChats':
      return {
        body: [
          { id: { server: 'c.us', user: '966500000002', _serialized: '966500000002@c.us' }, name: 'Friend', isGroup: false, unreadCount: 1, timestamp: NOW },
        ],
      }
    case 'ChatsController_getChatsOverview':
      return {
        body: [
          {
            id: '966500000002@c.us',
            name: 'Friend',
            picture: null,
            lastMessage: waMessage('false_966500000002@c.us_AAA', '966500000002@c.us', 'hello', false),
            _chat: {},
          },
        ],
      }
    case 'ChatsController_getChatMessages': {
      const limit = Number(query.limit ?? 10)
      const all = [
        waMessage(`false_${chatId}_AAA2`, chatId, 'second', false),
        waMessage(`true_${chatId}_AAA1`, chatId, 'first'),
      ]
      return { body: all.slice(0, limit) }
    }
    case 'ChatsController_getChatMessage':
      return { body: waMessage(params.messageId ?? 'x', chatId, 'hello') }
    case 'ChatsController_readChatMessages':
      return { body: { ids: [`false_${chatId}_AAA2`] } }
    case 'ChatsController_getChatPicture':
    case 'GroupsController_getChatPicture':
      return { body: { url: 'https://pps.whatsapp.net/v/t61/stand-in.jpg' } }
    case 'ChatsController_editMessage':
    case 'ChatsController_deleteMessage':
    case 'ChattingController_startTyping':
    case 'ChattingController_stopTyping':
    case 'PresenceController_setPresence':
    case 'ContactsController_block':
    case 'ContactsController_unblock':
    case 'GroupsController_leaveGroup':
    case 'GroupsController_addParticipants':
    case 'GroupsController_removeParticipants':
    case 'GroupsController_promoteToAdmin':
    case 'GroupsController_demoteToAdmin':
    case 'GroupsController_setSubject':
    case 'GroupsController_setDescription':
    case 'GroupsController_setInfoAdminOnly':
    case 'GroupsController_setMessagesAdminOnly':
      return {}
    case 'ContactsController_getAll':
      return {
        body: [
          { id: '966500000002@c.us', number: '966500000002', name: 'Friend', pushname: 'Friend', isMyContact: true, isBlocked: false, isBusiness: false },
        ],
      }
    case 'ContactsController_get': {
      const id = String(query.contactId ?? '')
      return { body: { id, number: id.split('@')[0], name: 'Friend', pushname: 'Friend', isMyContact: true, isBlocked: false } }
    }
    case 'ContactsController_checkExists':
      return { body: { numberExists: true, chatId: `${String(query.phone ?? '')}@c.us` } }
    case 'ContactsController_getAbout':
      return { body: { about: 'Hey there! I am using WhatsApp.' } }
    case 'ContactsController_getProfilePicture':
      return { body: { profilePictureURL: 'https://pps.whatsapp.net/v/t61/contact.jpg' } }
    case 'GroupsController_createGroup':
      return { body: group('120363000000000001@g.us', String(body.name ?? 'Group')) }
    case 'GroupsController_getGroups':
      // NOWEB answers a map keyed by group id; the client turns it into a list.
      return { body: { '120363000000000001@g.us': group('120363000000000001@g.us', 'Group') } }
    case 'GroupsController_getGroup':
      return { body: group(params.id ?? '', 'Group') }
    case 'GroupsController_getGroupParticipants':
      return {
        body: [
          { id: '123456789@lid', pn: ME, role: 'superadmin' },
          { id: '966500000002@c.us', role: 'participant' },
        ],
      }
    case 'GroupsController_getInfoAdminOnly':
    case 'GroupsController_getMessagesAdminOnly':
      return { body: { adminsOnly: true } }
    case 'GroupsController_getInviteCode':
      return { body: 'https://chat.whatsapp.com/StandInInviteCode1' }
    case 'GroupsController_revokeInviteCode':
      return { body: 'https://chat.whatsapp.com/StandInInviteCode2' }
    // Issue 13 part B: labels, channels (calls/reject and the channel actions answer no body).
    case 'LabelsController_getAll':
      return { body: [STANDIN_LABEL, { id: '2', name: 'Paid', color: 5, colorHex: '#55ccb3' }] }
    case 'LabelsController_getChatLabels':
      return { body: [STANDIN_LABEL] }
    case 'LabelsController_create':
    case 'LabelsController_update': {
      const color = typeof body.color === 'number' ? body.color : 0
      return { body: { id: params.labelId ?? '7', name: typeof body.name === 'string' ? body.name : 'Label', color, colorHex: typeof body.colorHex === 'string' ? body.colorHex : '#ff9485' } }
    }
    case 'LabelsController_getChatsByLabel':
      return { body: [{ id: { _serialized: '966500000002@c.us', user: '966500000002', server: 'c.us' }, name: 'Sara', isGroup: false, unreadCount: 0, timestamp: NOW, archived: false }] }
    case 'ChannelsController_list':
      return { body: [standinChannel('120363000000000001@newsletter', 'OWNER'), standinChannel('120363000000000002@newsletter', 'GUEST')] }
    case 'ChannelsController_get':
      return { body: standinChannel(params.id ?? '120363000000000001@newsletter', 'SUBSCRIBER') }
    case 'ChannelsController_create':
      return { body: { ...standinChannel('120363000000000003@newsletter', 'OWNER'), name: typeof body.name === 'string' ? body.name : 'Channel', ...(typeof body.description === 'string' && { description: body.description }), subscribersCount: 0 } }
    default:
      return {}
  }
}

function firstSuccessStatus(operation: OpenApiOperation): number {
  const codes = Object.keys(operation.responses)
    .map(Number)
    .filter((code) => code >= 200 && code < 300)
  return codes.length > 0 ? Math.min(...codes) : 200
}

export function startWahaStandin(options: StandinOptions = {}): WahaStandin {
  const openapi = loadWahaOpenApi()
  const { document } = openapi
  const routes = buildRoutes(document.paths)
  const calls: StandinCall[] = []
  const errors: string[] = []
  const overrides = new Map<string, StandinResponse>()
  const sessions: WahaStandin['sessions'] = new Map((options.sessions ?? []).map((name) => [name, { status: 'STOPPED' }]))

  const reply = (response: StandinResponse): Response => {
    const headers = new Headers(response.headers)
    if (response.raw !== undefined) return new Response(response.raw, { status: response.status, headers })
    if (response.body === undefined) return new Response(null, { status: response.status, headers })
    if (!headers.has('content-type')) headers.set('content-type', 'application/json; charset=utf-8')
    return new Response(JSON.stringify(response.body), { status: response.status, headers })
  }

  const handle = async (request: Request): Promise<Response> => {
    const url = new URL(request.url)
    const method = request.method.toLowerCase() as HttpMethod
    const label = `${request.method} ${url.pathname}`
    const problems: string[] = []
    let unauthorized = false

    const query: Record<string, string | string[]> = {}
    for (const name of new Set(url.searchParams.keys())) {
      const values = url.searchParams.getAll(name)
      query[name] = values.length === 1 ? (values[0] ?? '') : values
    }
    const rawBody = await request.text()
    let body: unknown
    if (rawBody !== '') {
      try {
        body = JSON.parse(rawBody) as unknown
      } catch {
        problems.push(`${label}: body is not valid JSON`)
      }
    }
    const headers: Record<string, string> = {}
    request.headers.forEach((value, name) => {
      headers[name] = value
    })

    let segments: string[] = []
    try {
      segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent)
    } catch {
      problems.push(`${label}: path is not valid percent-encoding`)
    }
    const match = HTTP_METHODS.includes(method) ? matchRoute(routes, method, segments) : undefined
    const operation = match?.route.methods[method]
    calls.push({ method: request.method, path: url.pathname, operationId: operation?.operationId, query, body, headers })

    if (!match || !operation) {
      errors.push(`${label}: no such operation in the WAHA document`)
      return reply({ status: 400, body: { statusCode: 400, message: [`${label}: no such operation in the WAHA document`] } })
    }
    const id = operation.operationId

    // Security: X-Api-Key when the operation (or the document) asks for api_key.
    const security = operation.security ?? document.security ?? []
    if (security.some((requirement) => 'api_key' in requirement) && options.apiKey !== undefined) {
      if (request.headers.get('x-api-key') !== options.apiKey) {
        problems.push(`${id}: missing or wrong X-Api-Key`)
        unauthorized = true
      }
    }

    // Parameters.
    const declared = operation.parameters ?? []
    for (const parameter of declared) {
      if (parameter.in === 'path') {
        const value = match.params[parameter.name]
        if (!value) problems.push(`${id}: path parameter "${parameter.name}" is empty`)
        else problems.push(...checkParameter(parameter, [value]).map((problem) => `${id}: ${problem}`))
      } else if (parameter.in === 'query') {
        const values = url.searchParams.getAll(parameter.name)
        if (values.length === 0) {
          if (parameter.required) problems.push(`${id}: required query parameter "${parameter.name}" is missing`)
        } else {
          problems.push(...checkParameter(parameter, values).map((problem) => `${id}: ${problem}`))
        }
      }
    }
    for (const name of Object.keys(query)) {
      if (!declared.some((parameter) => parameter.in === 'query' && parameter.name === name)) {
        problems.push(`${id}: query parameter "${name}" is not declared by the operation`)
      }
    }

    // Body.
    const requestBody = operation.requestBody
    if (requestBody) {
      const contentType = request.headers.get('content-type') ?? ''
      const jsonSchema = requestBody.content['application/json']?.schema
      if (rawBody === '') {
        if (requestBody.required) problems.push(`${id}: the request body is required`)
      } else if (!contentType.includes('application/json')) {
        problems.push(`${id}: Content-Type must be application/json, got "${contentType}"`)
      } else if (jsonSchema && body !== undefined) {
        problems.push(...openapi.validate(jsonSchema, body, `${id} body`))
      }
    } else if (rawBody !== '') {
      problems.push(`${id}: the operation takes no request body`)
    }

    if (problems.length > 0) {
      errors.push(...problems)
      const status = unauthorized ? 401 : 400
      return reply({ status, body: { statusCode: status, message: problems, error: unauthorized ? 'Unauthorized' : 'Bad Request' } })
    }

    const bodyRecord = isRecord(body) ? body : {}
    const override = overrides.get(id)
    const answer: StandinResponse = override ?? {
      status: firstSuccessStatus(operation),
      ...canned(id, { params: match.params, query, body: bodyRecord, accept: request.headers.get('accept') ?? '', sessions }),
    }

    // The stand-in checks its own answer against the document, so canned bodies stay faithful.
    const responseSchema = operation.responses[String(answer.status)]?.content?.['application/json']?.schema
    if (responseSchema && answer.body !== undefined && answer.raw === undefined) {
      errors.push(...openapi.validate(responseSchema, answer.body, `${id} response ${answer.status}`))
    }
    return reply(answer)
  }

  const server: Server<undefined> = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: handle })

  return {
    url: `http://127.0.0.1:${server.port}`,
    calls,
    errors,
    sessions,
    setResponse(operationId, response) {
      if (!Object.values(document.paths).some((item) => Object.values(item).some((op) => op?.operationId === operationId))) {
        throw new Error(`No operation ${operationId} in the WAHA document`)
      }
      if (response) overrides.set(operationId, response)
      else overrides.delete(operationId)
    },
    async close() {
      await server.stop(true)
    },
  }
}
