/** Session use-cases in the words of the API; knows nothing of HTTP. */
import QRCode from 'qrcode'
import type { Principal } from '../../auth/principal'
import type { EngineName } from '../../config'
import { ConflictError, ForbiddenError } from '../../errors'
import type { SessionManager, SessionView } from '../../sessions/manager'

export interface SessionInfoDto {
  phoneNumber: string
  engine: EngineName
  state: SessionView['state']
  status: SessionView['status']
  me?: SessionView['me']
  reason?: string
  accountId: string | null
  capabilities: SessionView['capabilities']
}

function info(view: SessionView): SessionInfoDto {
  return {
    phoneNumber: view.phoneNumber,
    engine: view.engine,
    state: view.state,
    status: view.status,
    ...(view.me && { me: view.me }),
    ...(view.reason !== undefined && { reason: view.reason }),
    accountId: view.accountId,
    capabilities: view.capabilities,
  }
}

const STATUS_MESSAGES: Record<SessionView['status'], string> = {
  STOPPED: 'Session stopped',
  STARTING: 'Session starting',
  SCAN_QR_CODE: 'Session waiting: scan the QR code or request a pairing code',
  WORKING: 'Session connected',
  FAILED: 'Session failed',
  CONFLICT: 'Session in conflict',
}

function lifecycle(view: SessionView, message?: string) {
  return {
    success: true,
    message: message ?? (view.reason ? `${STATUS_MESSAGES[view.status]}: ${view.reason}` : STATUS_MESSAGES[view.status]),
    state: view.state,
    status: view.status,
    session: info(view),
  }
}

export class SessionsService {
  constructor(private readonly sessions: SessionManager) {}

  async start(phoneNumber: string, principal: Principal, body: { engine?: EngineName; accountId?: string } | undefined) {
    if (body?.accountId !== undefined && !principal.isAdmin) {
      throw new ForbiddenError('Only the admin key may start a number on behalf of another account')
    }
    const engine = body?.engine && { engine: body.engine }
    if (!principal.isAdmin) {
      // The guard checked ownership; the manager checks again under the number's lock.
      const accountId = principal.accountId
      return lifecycle(await this.sessions.start(phoneNumber, { ...engine, accountId, requireOwner: accountId }))
    }
    const accountId = body?.accountId ?? null
    const existing = accountId === null ? undefined : await this.sessions.find(phoneNumber)
    if (existing && existing.accountId !== null && existing.accountId !== accountId) {
      throw new ConflictError(`Number ${phoneNumber} already belongs to account ${existing.accountId}; delete its session before giving it to another account`, {
        accountId: existing.accountId,
      })
    }
    return lifecycle(await this.sessions.start(phoneNumber, { ...engine, accountId }))
  }

  async stop(phoneNumber: string) {
    return lifecycle(await this.sessions.stop(phoneNumber), 'Session stopped; its pairing is kept, so the next start needs no QR')
  }

  async restart(phoneNumber: string) {
    return lifecycle(await this.sessions.restart(phoneNumber))
  }

  async logout(phoneNumber: string) {
    return lifecycle(await this.sessions.logout(phoneNumber), 'Logged out; the next start needs a new QR scan')
  }

  async delete(phoneNumber: string) {
    await this.sessions.delete(phoneNumber)
    return { success: true, message: `Session ${phoneNumber} and its data were deleted` }
  }

  async qrPngResponse(phoneNumber: string): Promise<Response> {
    const png = await QRCode.toBuffer(await this.sessions.qr(phoneNumber), { type: 'png', margin: 2, width: 320 })
    return new Response(new Uint8Array(png), { headers: { 'content-type': 'image/png', 'cache-control': 'no-store' } })
  }

  async qr(phoneNumber: string) {
    const value = await this.sessions.qr(phoneNumber)
    return { qrCode: await QRCode.toDataURL(value, { margin: 2, width: 320 }), value }
  }

  async pairingCode(phoneNumber: string) {
    return { code: await this.sessions.requestPairingCode(phoneNumber) }
  }

  async state(phoneNumber: string) {
    const view = await this.sessions.get(phoneNumber)
    return {
      state: view.state,
      status: view.status,
      ...(view.me && { me: view.me }),
      ...(view.reason !== undefined && { reason: view.reason }),
      engine: view.engine,
      capabilities: view.capabilities,
    }
  }

  async list(principal: Principal) {
    if (principal.isAdmin) return { sessions: (await this.sessions.list()).map(info) }
    // An account sees its own numbers; a key restricted to one number sees only that one.
    const views = await this.sessions.list(principal.accountId ?? '')
    return { sessions: views.filter((view) => principal.phoneNumber === undefined || view.phoneNumber === principal.phoneNumber).map(info) }
  }
}
