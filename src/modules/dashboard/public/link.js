// The link-invite page: the token in the URL is the only credential; the page shows one
// number's live QR, the pairing-code option and its status, and nothing else.
import { api, openStream } from './api.js'
import { byId, fill, h } from './dom.js'

const token = decodeURIComponent(location.pathname.split('/').pop() ?? '')
const base = `/link/${encodeURIComponent(token)}`
const STATUS_TEXT = {
  STARTING: 'Preparing the QR code…',
  SCAN_QR_CODE: 'Scan the QR code with WhatsApp',
  WORKING: 'Linked. You can close this page.',
  STOPPED: 'Not running',
  FAILED: 'Linking failed',
  CONFLICT: 'Linked with another number: ask for a new link',
}
let phoneNumber = ''
let stream

function showStatus(status) {
  byId('link-status').textContent = STATUS_TEXT[status] ?? status
  const scanning = status === 'SCAN_QR_CODE'
  byId('link-help').hidden = !scanning
  byId('link-pairing').hidden = !scanning || !byId('link-pairing').dataset.available
  if (!scanning) fill(byId('link-qr'))
  if (status === 'WORKING') {
    stream?.stop()
    byId('link-expiry').textContent = ''
  }
}

function showQr(dataUrl) {
  if (typeof dataUrl !== 'string' || !dataUrl.startsWith('data:image/png;base64,')) return
  let image = byId('link-qr').querySelector('img')
  if (!image) {
    image = h('img', { class: 'qr', alt: `QR code for ${phoneNumber}`, width: 320, height: 320 })
    fill(byId('link-qr'), image)
  }
  image.src = dataUrl
}

function refuse(message) {
  stream?.stop()
  fill(byId('link-qr'))
  byId('link-help').hidden = true
  byId('link-pairing').hidden = true
  byId('link-status').textContent = 'This link does not work'
  byId('link-error').textContent = message
}

async function main() {
  let state
  try {
    state = await api('GET', `${base}/state`, undefined, { credential: null })
  } catch (error) {
    refuse(error.message)
    return
  }
  phoneNumber = state.phoneNumber
  byId('link-number').textContent = `Number +${phoneNumber}`
  byId('link-expiry').textContent = `This link works until ${new Date(state.expiresAt).toLocaleString()}.`
  if (state.pairingCode) byId('link-pairing').dataset.available = 'yes'
  showStatus(state.status)
  if (state.status === 'WORKING') return
  stream = openStream(`${base}/events`, {
    credential: null,
    onEvent: (message) => {
      let data
      try {
        data = JSON.parse(message.data)
      } catch {
        return
      }
      if (message.event === 'qr') showQr(data.qrCode)
      else if (message.event === 'status') showStatus(data.status)
    },
    onError: (error) => refuse(error.message),
  })
}

byId('pairing-button').addEventListener('click', async () => {
  byId('link-error').textContent = ''
  try {
    const { code } = await api('POST', `${base}/pairing-code`, undefined, { credential: null })
    byId('pairing-code').textContent = `On your phone: Linked devices → Link a device → Link with phone number instead, then enter ${code}`
  } catch (error) {
    byId('link-error').textContent = error.message
  }
})

main()
