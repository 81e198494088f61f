// The dashboard: sessions, QR linking, chats, the event monitor, webhooks and API keys,
// all through the public API with the signed-in credential. Text from WhatsApp is only
// ever put in the page as text (dom.js), never parsed as HTML.
import { api, ApiError, forgetCredential, onUnauthorized, openStream, storeCredential, storedCredential } from './api.js'
import { byId, fill, h, timeOf } from './dom.js'

const EVENT_LIMIT = 500
const state = {
  sessions: new Map(),
  current: '',
  view: 'sessions',
  stream: null,
  qrStreams: new Map(),
  chatId: '',
  messages: new Map(),
  events: [],
  paused: false,
  pausedCount: 0,
  selectedEvent: null,
  webhooks: [],
}

// ---------- sign in / out ----------

async function signIn(credential) {
  // Any authenticated route proves the credential; the session list is needed first anyway.
  const { sessions } = await api('GET', '/sessions', undefined, { credential })
  storeCredential(credential)
  enterDashboard(sessions)
}

function signOut(message = '') {
  forgetCredential()
  state.stream?.stop()
  state.stream = null
  for (const stream of state.qrStreams.values()) stream.stop()
  state.qrStreams.clear()
  state.sessions.clear()
  state.events = []
  state.current = ''
  fill(byId('session-list'))
  fill(byId('event-list'))
  byId('nav').hidden = true
  for (const panel of document.querySelectorAll('[data-view-panel]')) panel.hidden = true
  byId('sign-in-view').hidden = false
  byId('credential').value = ''
  byId('sign-in-error').textContent = message
  byId('credential').focus()
}

onUnauthorized(() => {
  if (storedCredential()) signOut('Signed out: the credential is no longer valid (revoked or expired).')
})

function enterDashboard(sessions) {
  byId('sign-in-view').hidden = true
  byId('nav').hidden = false
  state.sessions.clear()
  for (const session of sessions) state.sessions.set(session.phoneNumber, session)
  renderSessions()
  showView(state.view)
  openEventStream()
  void loadEngines()
}

// ---------- views ----------

function showView(view) {
  state.view = view
  for (const button of byId('nav').querySelectorAll('button[data-view]')) button.setAttribute('aria-pressed', String(button.dataset.view === view))
  for (const panel of document.querySelectorAll('[data-view-panel]')) panel.hidden = panel.dataset.viewPanel !== view
  if (view === 'chats') void loadChats()
  if (view === 'events') renderEvents()
  if (view === 'webhooks') void loadWebhooks()
  if (view === 'keys') void loadKeys()
}

function setCurrent(phoneNumber) {
  if (state.current === phoneNumber) return
  state.current = phoneNumber
  state.chatId = ''
  byId('current-session').value = phoneNumber
  fill(byId('conversation'))
  byId('conversation-title').textContent = 'No chat open'
  showView(state.view)
}

function renderSessionPicker() {
  const picker = byId('current-session')
  const numbers = [...state.sessions.keys()].sort()
  if (!numbers.includes(state.current)) state.current = numbers.find((number) => state.sessions.get(number).status === 'WORKING') ?? numbers[0] ?? ''
  fill(picker, numbers.map((number) => h('option', { value: number, selected: number === state.current }, `${number} (${state.sessions.get(number).status})`)))
  picker.value = state.current
}

// ---------- live events ----------

function openEventStream() {
  state.stream?.stop()
  const status = byId('stream-state')
  status.textContent = 'Connecting…'
  state.stream = openStream('/events', {
    onOpen: () => {
      status.textContent = 'Live'
      // Whatever changed while disconnected: the list once, then events keep it current.
      void refreshSessions()
    },
    onError: (error) => {
      status.textContent = `Live updates stopped: ${error.message}`
    },
    onEvent: (message) => {
      let envelope
      try {
        envelope = JSON.parse(message.data)
      } catch {
        return
      }
      onEnvelope(envelope, message.id)
    },
  })
}

function onEnvelope(envelope, sequence) {
  recordEvent(envelope, sequence)
  const session = envelope.session
  if (envelope.event === 'session.status') {
    void refreshSession(session)
    return
  }
  if (session !== state.current) return
  if (envelope.event === 'message.any' || envelope.event === 'message') onMessageEvent(envelope.payload)
  else if (envelope.event === 'message.ack') onAck(envelope.payload)
  else if (envelope.event === 'message.revoked' || envelope.event === 'message.edited') {
    if (envelope.payload.chatId === state.chatId) void loadConversation()
  }
}

async function refreshSessions() {
  try {
    const { sessions } = await api('GET', '/sessions')
    state.sessions.clear()
    for (const session of sessions) state.sessions.set(session.phoneNumber, session)
    renderSessions()
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) console.warn(error)
  }
}

async function refreshSession(phoneNumber) {
  try {
    const { sessions } = await api('GET', '/sessions')
    const found = sessions.find((session) => session.phoneNumber === phoneNumber)
    if (found) state.sessions.set(phoneNumber, found)
    else state.sessions.delete(phoneNumber)
    for (const session of sessions) if (!state.sessions.has(session.phoneNumber)) state.sessions.set(session.phoneNumber, session)
    renderSessions()
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) console.warn(error)
  }
}

// ---------- sessions ----------

async function loadEngines() {
  const select = byId('start-engine')
  if (select.options.length > 0) return
  try {
    const { engines, defaultEngine } = await api('GET', '/health')
    // The server's default engine (WA_ENGINE) is preselected: a start from here does what an API start does.
    fill(select, engines.map((engine) => h('option', { value: engine, ...(engine === defaultEngine && { selected: true }) }, engine)))
  } catch {
    fill(select, h('option', { value: '' }, 'default'))
  }
}

function renderSessions() {
  const list = byId('session-list')
  const numbers = [...state.sessions.keys()].sort()
  byId('sessions-empty').hidden = numbers.length > 0
  const cards = new Map([...list.children].map((card) => [card.dataset.phone, card]))
  for (const [number, card] of cards) if (!state.sessions.has(number)) card.remove()
  for (const number of numbers) {
    const session = state.sessions.get(number)
    let card = cards.get(number)
    if (!card) {
      card = h('li', { class: 'session card', 'data-phone': number, 'aria-label': `Session ${number}` })
      list.appendChild(card)
    }
    renderCard(card, session)
  }
  // Keep the cards in number order.
  for (const number of numbers) list.appendChild(list.querySelector(`[data-phone="${CSS.escape(number)}"]`))
  for (const number of [...state.qrStreams.keys()]) {
    if (state.sessions.get(number)?.status !== 'SCAN_QR_CODE') stopQr(number)
  }
  renderSessionPicker()
}

function renderCard(card, session) {
  const number = session.phoneNumber
  const signature = JSON.stringify(session)
  if (card.dataset.signature === signature) return
  card.dataset.signature = signature
  const qrSlot = card.querySelector('.qr-slot') ?? h('div', { class: 'qr-slot' })
  const pairingSlot = card.querySelector('.pairing-slot') ?? h('div', { class: 'pairing-slot' })
  const scanning = session.status === 'SCAN_QR_CODE'
  const running = session.status !== 'STOPPED' && session.status !== 'FAILED'
  const simulator = session.engine === 'simulator'
  const can = (capability) => session.capabilities.includes(capability)
  fill(
    card,
    h(
      'div',
      { class: 'session-head' },
      h('h3', {}, number),
      h('span', { class: `status status-${session.status}` }, session.status),
      h('span', { class: 'muted' }, ` ${session.state} · engine `, h('strong', {}, session.engine)),
    ),
    session.me ? h('p', { class: 'me' }, 'Linked as ', h('strong', {}, session.me.pushName ?? ''), ` ${session.me.id}`) : null,
    session.reason ? h('p', { class: 'error' }, session.reason) : null,
    session.accountId ? h('p', { class: 'muted' }, `Account ${session.accountId}`) : null,
    h('details', { class: 'capabilities' }, h('summary', {}, `Capabilities (${session.capabilities.length})`), h('p', {}, session.capabilities.join(', ') || 'none while stopped')),
    scanning ? qrSlot : null,
    scanning ? pairingSlot : null,
    h(
      'div',
      { class: 'actions' },
      running ? null : h('button', { type: 'button', onclick: () => lifecycle(number, 'start') }, 'Start'),
      scanning && simulator ? h('button', { type: 'button', onclick: () => simulateScan(number) }, 'Simulate scan') : null,
      scanning && can('session.pairingCode') ? h('button', { type: 'button', onclick: () => pairingCode(number, pairingSlot) }, 'Get pairing code') : null,
      scanning ? h('button', { type: 'button', onclick: () => createInvite(number, card) }, 'Create link invite') : null,
      session.status === 'WORKING' ? h('button', { type: 'button', onclick: () => openChats(number) }, 'Open chats') : null,
      running ? h('button', { type: 'button', onclick: () => confirmLifecycle(number, 'stop', 'Stop') }, 'Stop') : null,
      h('button', { type: 'button', onclick: () => confirmLifecycle(number, 'restart', 'Restart') }, 'Restart'),
      h('button', { type: 'button', onclick: () => confirmLifecycle(number, 'logout', 'Log out') }, 'Log out'),
      h('button', { type: 'button', class: 'danger', onclick: () => confirmLifecycle(number, 'delete', 'Delete') }, 'Delete'),
    ),
    h('p', { class: 'error card-error', role: 'alert' }),
  )
  if (scanning) startQr(number, qrSlot)
}

function cardError(number, message) {
  const card = byId('session-list').querySelector(`[data-phone="${CSS.escape(number)}"]`)
  const slot = card?.querySelector('.card-error')
  if (slot) slot.textContent = message
}

const CONFIRMATIONS = {
  stop: (number) => `Stop ${number}? It disconnects and keeps the pairing.`,
  restart: (number) => `Restart ${number}?`,
  logout: (number) => `Log out ${number}? WhatsApp unpairs it: linking again needs a new QR scan.`,
  delete: (number) => `Delete ${number}? It is logged out and its messages, webhooks and events are deleted.`,
}

function confirmAction(message, actionLabel) {
  const dialog = byId('confirm-dialog')
  byId('confirm-message').textContent = message
  byId('confirm-ok').textContent = actionLabel
  dialog.returnValue = ''
  dialog.showModal()
  return new Promise((resolve) => dialog.addEventListener('close', () => resolve(dialog.returnValue === 'confirm'), { once: true }))
}

async function confirmLifecycle(number, action, label) {
  if (!(await confirmAction(CONFIRMATIONS[action](number), label))) return
  await lifecycle(number, action)
}

async function lifecycle(number, action) {
  cardError(number, '')
  try {
    if (action === 'delete') {
      await api('DELETE', `/${number}`)
      state.sessions.delete(number)
      stopQr(number)
    } else {
      const result = await api('POST', `/${number}/${action}`, action === 'start' ? {} : undefined)
      if (result?.session) state.sessions.set(number, result.session)
    }
    renderSessions()
  } catch (error) {
    cardError(number, error.message)
  }
}

async function simulateScan(number) {
  cardError(number, '')
  try {
    await api('POST', `/${number}/sandbox/scan`, {})
    await refreshSession(number)
  } catch (error) {
    cardError(number, error.message)
  }
}

async function pairingCode(number, slot) {
  cardError(number, '')
  try {
    const { code } = await api('POST', `/${number}/pairing-code`)
    fill(slot, h('p', {}, 'On the phone: Linked devices → Link a device → Link with phone number, then enter ', h('strong', { class: 'pairing-code' }, code)))
  } catch (error) {
    cardError(number, error.message)
  }
}

async function createInvite(number, card) {
  cardError(number, '')
  const seconds = 3600
  try {
    const invite = await api('POST', `/${number}/link-invites`, { expiresInSeconds: seconds })
    const slot = card.querySelector('.invite-slot') ?? h('div', { class: 'invite-slot' })
    card.appendChild(fill(slot, h('p', {}, 'Share this link (valid until ', new Date(invite.expiresAt).toLocaleString(), '): '), h('input', { readonly: true, value: invite.url, 'aria-label': `Link invite for ${number}`, class: 'wide' })))
  } catch (error) {
    cardError(number, error.message)
  }
}

// The QR rotates while WhatsApp waits for a scan: a stream pushes each new one.
function startQr(number, slot) {
  const existing = state.qrStreams.get(number)
  if (existing) {
    existing.slot = slot
    return
  }
  const entry = { slot, stop: () => undefined }
  state.qrStreams.set(number, entry)
  const stream = openStream(`/${number}/qr/events`, {
    onEvent: (message) => {
      if (message.event !== 'qr') return
      try {
        showQr(number, JSON.parse(message.data).qrCode)
      } catch {
        // ignore a malformed frame
      }
    },
    onError: () => void loadQrOnce(number),
  })
  entry.stop = () => stream.stop()
}

async function loadQrOnce(number) {
  try {
    const { qrCode } = await api('GET', `/${number}/qr`)
    showQr(number, qrCode)
  } catch {
    // no QR pending any more: the status event redraws the card
  }
}

function showQr(number, dataUrl) {
  const entry = state.qrStreams.get(number)
  if (!entry || typeof dataUrl !== 'string' || !dataUrl.startsWith('data:image/png;base64,')) return
  let image = entry.slot.querySelector('img')
  if (!image) {
    image = h('img', { class: 'qr', alt: `QR code for ${number}`, width: 320, height: 320 })
    fill(entry.slot, image, h('p', { class: 'muted' }, 'WhatsApp → Linked devices → Link a device, then scan. The code refreshes by itself.'))
  }
  image.src = dataUrl
}

function stopQr(number) {
  state.qrStreams.get(number)?.stop()
  state.qrStreams.delete(number)
}

// ---------- chats and conversation ----------

function openChats(number) {
  setCurrent(number)
  showView('chats')
}

async function loadChats() {
  const list = byId('chat-list')
  if (!state.current) {
    fill(list, h('li', { class: 'muted' }, 'No session selected'))
    return
  }
  try {
    const { chats } = await api('GET', `/${state.current}/chats?limit=100`)
    fill(
      list,
      chats.length === 0 ? h('li', { class: 'muted' }, 'No chats yet: send a message to a number below.') : null,
      chats.map((chat) =>
        h(
          'li',
          {},
          h(
            'button',
            { type: 'button', class: chat.id === state.chatId ? 'chat selected' : 'chat', 'aria-current': chat.id === state.chatId ? 'true' : undefined, onclick: () => openConversation(chat.id, chat.name) },
            h('strong', {}, chat.name || chat.id),
            chat.unreadCount > 0 ? h('span', { class: 'badge' }, String(chat.unreadCount)) : null,
            h('span', { class: 'muted preview' }, chat.lastMessage ? chat.lastMessage.body : ''),
          ),
        ),
      ),
    )
  } catch (error) {
    fill(list, h('li', { class: 'error' }, error.message))
  }
}

async function openConversation(chatId, name) {
  state.chatId = chatId
  byId('conversation-title').textContent = name && name !== chatId ? `${name} (${chatId})` : chatId
  byId('send-to').value = chatId.replace(/@c\.us$/, '')
  await loadConversation()
  void loadChats()
}

async function loadConversation() {
  if (!state.current || !state.chatId) return
  const list = byId('conversation')
  try {
    const { messages } = await api('GET', `/${state.current}/messages/${encodeURIComponent(state.chatId)}?limit=100`)
    state.messages.clear()
    fill(list)
    for (const message of [...messages].reverse()) addMessage(message)
    await markSeen(messages)
  } catch (error) {
    fill(list, h('li', { class: 'error' }, error.message))
  }
}

/** Opening a chat reads it, as WhatsApp does: the sender sees its messages move to read. */
async function markSeen(messages) {
  if (!messages.some((message) => !message.fromMe)) return
  const session = state.sessions.get(state.current)
  if (!session?.capabilities.includes('chat.seen')) return
  try {
    await api('POST', `/${state.current}/chat/${encodeURIComponent(state.chatId)}/seen`)
  } catch {
    // not essential
  }
}

const ACK_NAMES = { '-1': 'error', 0: 'pending', 1: 'sent', 2: 'delivered', 3: 'read', 4: 'played' }

function addMessage(message) {
  const list = byId('conversation')
  const existing = state.messages.get(message.id)
  const item = h(
    'li',
    { class: message.fromMe ? 'message mine' : 'message theirs', 'data-id': message.id },
    h('span', { class: 'body' }, message.body || (message.hasMedia ? '' : `[${message.type ?? 'message'}]`)),
    message.hasMedia && message.media ? mediaLink(message) : null,
    h('span', { class: 'meta' }, timeOf(message.timestamp * 1000), message.fromMe ? h('span', { class: 'ack', 'data-ack': String(message.ack) }, ` ${ACK_NAMES[message.ack] ?? ''}`) : null),
  )
  if (existing) existing.element.replaceWith(item)
  else list.appendChild(item)
  state.messages.set(message.id, { message, element: item })
  item.scrollIntoView({ block: 'nearest' })
}

/** Media is fetched with the credential (a plain link could not send the header) and shown as a blob. */
function mediaLink(message) {
  const label = message.media.filename || message.media.mimetype
  return h('button', {
    type: 'button',
    class: 'link',
    onclick: async (event) => {
      const button = event.currentTarget
      try {
        const response = await fetch(message.media.url, { headers: credentialHeadersNow(), credentials: 'omit' })
        if (!response.ok) throw new Error(`HTTP ${response.status}`)
        const url = URL.createObjectURL(await response.blob())
        if (message.media.mimetype.startsWith('image/')) button.replaceWith(h('img', { src: url, alt: label, class: 'media' }))
        else button.replaceWith(h('a', { href: url, download: message.media.filename || 'file' }, `Save ${label}`))
      } catch (error) {
        button.textContent = `${label} (could not load: ${error.message})`
      }
    },
  }, `Show ${label}`)
}

function credentialHeadersNow() {
  const credential = storedCredential()
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(credential ?? '') ? { authorization: `Bearer ${credential}` } : { 'x-api-key': credential ?? '' }
}

function onMessageEvent(payload) {
  if (state.view === 'chats') void loadChats()
  if (payload.chatId !== state.chatId) return
  if (state.messages.has(payload.id) && payload.fromMe) return
  addMessage(payload)
  if (!payload.fromMe && state.view === 'chats') void markSeen([payload])
}

function onAck(payload) {
  const known = state.messages.get(payload.id)
  if (!known) return
  if (payload.ack <= known.message.ack) return
  addMessage({ ...known.message, ack: payload.ack })
}

function chatIdFrom(to) {
  const trimmed = to.trim()
  if (trimmed.includes('@')) return trimmed
  return trimmed.replace(/^\+/, '')
}

function readFileAsDataUrl(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader()
    reader.onload = () => resolve(reader.result)
    reader.onerror = () => reject(reader.error)
    reader.readAsDataURL(file)
  })
}

async function send(event) {
  event.preventDefault()
  const error = byId('send-error')
  error.textContent = ''
  if (!state.current) {
    error.textContent = 'Select a session first'
    return
  }
  const chatId = chatIdFrom(byId('send-to').value)
  const text = byId('send-text').value
  const file = byId('send-file').files?.[0]
  const button = event.submitter ?? byId('send-form').querySelector('button[type=submit]')
  button.disabled = true
  try {
    if (file) {
      const fileUrl = await readFileAsDataUrl(file)
      await api('POST', `/${state.current}/send-file`, { chatId, fileUrl, filename: file.name, ...(text && { caption: text }) })
    } else {
      if (!text.trim()) throw new Error('Write a message or choose a file')
      await api('POST', `/${state.current}/send-text`, { chatId, text })
    }
    byId('send-text').value = ''
    byId('send-file').value = ''
    const normalized = chatId.includes('@') ? chatId : `${chatId}@c.us`
    if (normalized !== state.chatId) await openConversation(normalized, '')
    else await loadConversation()
  } catch (failure) {
    error.textContent = failure.message
  } finally {
    button.disabled = false
  }
}

// ---------- event monitor ----------

function recordEvent(envelope, sequence) {
  state.events.push({ envelope, sequence })
  if (state.events.length > EVENT_LIMIT) state.events.splice(0, state.events.length - EVENT_LIMIT)
  if (state.paused) {
    state.pausedCount++
    updateEventCount()
    return
  }
  if (state.view === 'events' && matchesFilter(envelope)) {
    const list = byId('event-list')
    list.prepend(eventItem({ envelope, sequence }))
    while (list.children.length > EVENT_LIMIT) list.lastElementChild.remove()
  }
  updateEventCount()
}

function matchesFilter(envelope) {
  const filter = byId('event-filter').value.trim().toLowerCase()
  if (state.current && envelope.session !== state.current) return false
  return !filter || envelope.event.toLowerCase().includes(filter)
}

function eventItem({ envelope, sequence }) {
  return h(
    'li',
    {},
    h(
      'button',
      { type: 'button', class: 'event', onclick: () => { state.selectedEvent = envelope; byId('event-json').textContent = JSON.stringify(envelope, null, 2) } },
      h('span', { class: 'event-name' }, envelope.event),
      h('span', { class: 'muted' }, ` ${envelope.session} · ${timeOf(envelope.timestamp)} · #${sequence ?? ''}`),
    ),
  )
}

function renderEvents() {
  const visible = state.events.filter(({ envelope }) => matchesFilter(envelope)).reverse()
  fill(byId('event-list'), visible.map(eventItem))
  updateEventCount()
}

function updateEventCount() {
  const shown = state.events.filter(({ envelope }) => matchesFilter(envelope)).length
  byId('event-count').textContent = state.paused ? `Paused: ${state.pausedCount} new event(s) waiting` : `${shown} event(s)`
}

function togglePause() {
  state.paused = !state.paused
  const button = byId('event-pause')
  button.setAttribute('aria-pressed', String(state.paused))
  button.textContent = state.paused ? 'Resume' : 'Pause'
  state.pausedCount = 0
  if (!state.paused) renderEvents()
  else updateEventCount()
}

// ---------- webhooks ----------

async function loadWebhooks() {
  const list = byId('webhook-list')
  if (!state.current) {
    fill(list, h('li', { class: 'muted' }, 'No session selected'))
    return
  }
  try {
    const { webhooks } = await api('GET', `/${state.current}/webhooks`)
    state.webhooks = webhooks
    fill(
      list,
      webhooks.length === 0 ? h('li', { class: 'muted' }, 'No webhooks for this session') : null,
      webhooks.map((webhook) =>
        h(
          'li',
          { class: 'card', 'aria-label': `Webhook ${webhook.url}` },
          h('strong', {}, webhook.url),
          h('span', { class: 'muted' }, ` ${webhook.events.join(', ')} · ${webhook.status ?? ''}${webhook.disabledReason ? ` (${webhook.disabledReason})` : ''}`),
          h(
            'div',
            { class: 'actions' },
            h('button', { type: 'button', onclick: () => loadDeliveries(webhook) }, 'Deliveries'),
            webhook.phoneNumber ? h('button', { type: 'button', class: 'danger', onclick: () => deleteWebhook(webhook) }, 'Delete webhook') : null,
          ),
        ),
      ),
    )
  } catch (error) {
    fill(list, h('li', { class: 'error' }, error.message))
  }
}

async function createWebhook(event) {
  event.preventDefault()
  const error = byId('webhook-error')
  error.textContent = ''
  const events = byId('webhook-events').value.split(',').map((name) => name.trim()).filter(Boolean)
  try {
    const created = await api('POST', `/${state.current}/webhooks`, { url: byId('webhook-url').value.trim(), events, generateSecret: true })
    fill(
      byId('webhook-created'),
      h('p', {}, 'Webhook created. Its signing secret is shown only now; keep it in your receiver:'),
      h('code', { class: 'secret', 'aria-label': 'Webhook secret' }, created.secret ?? ''),
    )
    byId('webhook-created').hidden = false
    byId('webhook-url').value = ''
    await loadWebhooks()
  } catch (failure) {
    error.textContent = failure.message
  }
}

async function deleteWebhook(webhook) {
  if (!(await confirmAction(`Delete the webhook to ${webhook.url}? Pending deliveries are dropped.`, 'Delete webhook'))) return
  try {
    await api('DELETE', `/${state.current}/webhooks/${encodeURIComponent(webhook.id)}`)
    byId('deliveries').hidden = true
    await loadWebhooks()
  } catch (failure) {
    byId('webhook-error').textContent = failure.message
  }
}

async function loadDeliveries(webhook) {
  const section = byId('deliveries')
  section.hidden = false
  byId('deliveries-title').textContent = `Deliveries to ${webhook.url}`
  const rows = byId('delivery-rows')
  try {
    const { deliveries } = await api('GET', `/${state.current}/webhooks/${encodeURIComponent(webhook.id)}/deliveries?limit=100`)
    fill(
      rows,
      deliveries.length === 0 ? h('tr', {}, h('td', { colspan: 7, class: 'muted' }, 'No deliveries yet')) : null,
      deliveries.map((delivery) =>
        h(
          'tr',
          {},
          h('td', {}, delivery.event),
          h('td', { class: `delivery-${delivery.status}` }, delivery.status),
          h('td', {}, String(delivery.attempts)),
          h('td', {}, delivery.lastStatusCode === null ? '—' : String(delivery.lastStatusCode)),
          h('td', {}, delivery.lastLatencyMs === null ? '—' : `${delivery.lastLatencyMs} ms`),
          h('td', {}, delivery.lastError ?? ''),
          h('td', {}, new Date(delivery.createdAt).toLocaleTimeString()),
        ),
      ),
    )
  } catch (error) {
    fill(rows, h('tr', {}, h('td', { colspan: 7, class: 'error' }, error.message)))
  }
}

// ---------- API keys ----------

/** The id part of the signed-in account key (`wws_<id>_<secret>`), to mark it in the list. */
function signedInKeyId() {
  const match = /^wws_([A-Za-z0-9]+)_/.exec(storedCredential() ?? '')
  return match?.[1]
}

async function loadKeys() {
  const list = byId('key-list')
  try {
    const { keys } = await api('GET', '/api-keys')
    const mine = signedInKeyId()
    fill(
      list,
      keys.length === 0 ? h('li', { class: 'muted' }, 'No account keys') : null,
      keys.map((key) =>
        h(
          'li',
          { class: 'card', 'aria-label': `Key ${key.name}` },
          h('strong', {}, key.name),
          h('span', { class: 'muted' }, ` ${key.id} · account ${key.accountId}${key.phoneNumber ? ` · only ${key.phoneNumber}` : ''}${key.expiresAt ? ` · expires ${new Date(key.expiresAt).toLocaleString()}` : ''}${key.id === mine ? ' · this is the key you signed in with' : ''}`),
          h('div', { class: 'actions' }, h('button', { type: 'button', class: 'danger', onclick: () => revokeKey(key, key.id === mine) }, 'Revoke')),
        ),
      ),
    )
  } catch (error) {
    fill(list, h('li', { class: 'error' }, error.message))
  }
}

async function createKey(event) {
  event.preventDefault()
  const error = byId('key-error')
  error.textContent = ''
  const phoneNumber = byId('key-number').value.trim()
  const accountId = byId('key-account').value.trim()
  try {
    const created = await api('POST', '/api-keys', { name: byId('key-name').value.trim(), ...(phoneNumber && { phoneNumber }), ...(accountId && { accountId }) })
    fill(byId('key-created'), h('p', {}, 'Key created. It is shown only now; copy it:'), h('code', { class: 'secret', 'aria-label': 'New API key' }, created.key))
    byId('key-created').hidden = false
    byId('key-name').value = ''
    await loadKeys()
  } catch (failure) {
    error.textContent = failure.message
  }
}

async function revokeKey(key, isMine) {
  const message = isMine ? `Revoke ${key.name}? It is the key you signed in with: you will be signed out.` : `Revoke ${key.name}? Requests with it fail at once.`
  if (!(await confirmAction(message, 'Revoke'))) return
  try {
    await api('DELETE', `/api-keys/${encodeURIComponent(key.id)}`)
    byId('key-created').hidden = true
    // With the signed-in key revoked, this answers 401 and signs out.
    await loadKeys()
  } catch (failure) {
    if (!(failure instanceof ApiError && failure.status === 401)) byId('key-error').textContent = failure.message
  }
}

// ---------- wiring ----------

function wire() {
  byId('sign-in-form').addEventListener('submit', async (event) => {
    event.preventDefault()
    const credential = byId('credential').value.trim()
    byId('sign-in-error').textContent = ''
    try {
      await signIn(credential)
    } catch (error) {
      byId('sign-in-error').textContent = error instanceof ApiError && error.status === 401 ? 'That credential was not accepted.' : error.message
    }
  })
  byId('sign-out').addEventListener('click', () => signOut())
  for (const button of byId('nav').querySelectorAll('button[data-view]')) button.addEventListener('click', () => showView(button.dataset.view))
  byId('current-session').addEventListener('change', (event) => setCurrent(event.target.value))
  byId('start-form').addEventListener('submit', async (event) => {
    event.preventDefault()
    const error = byId('start-error')
    error.textContent = ''
    const number = byId('start-number').value.trim().replace(/^\+/, '')
    const engine = byId('start-engine').value
    const accountId = byId('start-account').value.trim()
    try {
      const result = await api('POST', `/${number}/start`, { ...(engine && { engine }), ...(accountId && { accountId }) })
      state.sessions.set(number, result.session)
      byId('start-number').value = ''
      renderSessions()
    } catch (failure) {
      error.textContent = failure.message
    }
  })
  byId('send-form').addEventListener('submit', send)
  byId('event-filter').addEventListener('input', renderEvents)
  byId('event-pause').addEventListener('click', togglePause)
  byId('event-clear').addEventListener('click', () => {
    state.events = []
    byId('event-json').textContent = 'Select an event to see its envelope.'
    renderEvents()
  })
  byId('webhook-form').addEventListener('submit', createWebhook)
  byId('key-form').addEventListener('submit', createKey)
}

wire()
const saved = storedCredential()
if (saved) {
  signIn(saved).catch(() => signOut('Please sign in again.'))
} else {
  byId('sign-in-view').hidden = false
}
