/**
 * Link invites: a shareable, expiring page that links one number, for a customer who has
 * no credential. The token is random (`wli_<id>_<secret>`), only the SHA-256 of its secret
 * is stored, and it is checked in constant time. An invite stops working when it expires,
 * is revoked, or the number is linked (through it or any other way); a number that changed
 * hands (deleted, claimed by another account) takes its invites with it.
 */
import { randomBytes } from 'node:crypto'
import { hashSecret, verifySecret } from '../../auth/api-keys'
import type { Principal } from '../../auth/principal'
import { ConflictError, NotFoundError } from '../../errors'
import type { EventBus } from '../../events/bus'
import { API_BASE } from '../../lib/api-paths'
import { linkStream } from '../../sessions/link-stream'
import type { SessionManager } from '../../sessions/manager'
import type { LinkInviteRecord, LinkInvitesRepository } from '../../storage/link-invites-repo'

const TOKEN_PATTERN = /^wli_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/
export const LINK_PAGE_PREFIX = `${API_BASE}/link`

export type InviteStatus = 'active' | 'used' | 'expired' | 'revoked'

export interface LinkInviteOptions {
  publicUrl: string
  keepaliveMs: number
  now?: () => number
}

function statusOf(invite: LinkInviteRecord, now: number): InviteStatus {
  if (invite.revokedAt !== null) return 'revoked'
  if (invite.usedAt !== null) return 'used'
  if (invite.expiresAt <= now) return 'expired'
  return 'active'
}

const REFUSALS: Record<Exclude<InviteStatus, 'active'>, string> = {
  revoked: 'This link was revoked. Ask for a new one.',
  used: 'This link was used: the number is linked. Ask for a new one if you need to link again.',
  expired: 'This link has expired. Ask for a new one.',
}

export class LinkInvitesService {
  private readonly now: () => number

  constructor(
    private readonly invites: LinkInvitesRepository,
    private readonly sessions: SessionManager,
    private readonly bus: EventBus,
    private readonly options: LinkInviteOptions,
  ) {
    this.now = options.now ?? Date.now
    // A linked number spends its open invites, whoever scanned.
    bus.subscribe((event) => {
      if (event.event.type === 'session.status' && event.event.status === 'WORKING') return invites.markUsed(event.session, this.now())
    })
    sessions.onDeleted((phoneNumber) => invites.deleteForNumber(phoneNumber))
  }

  private view(invite: LinkInviteRecord) {
    return {
      id: invite.id,
      phoneNumber: invite.phoneNumber,
      status: statusOf(invite, this.now()),
      createdAt: new Date(invite.createdAt).toISOString(),
      expiresAt: new Date(invite.expiresAt).toISOString(),
      usedAt: invite.usedAt === null ? null : new Date(invite.usedAt).toISOString(),
      revokedAt: invite.revokedAt === null ? null : new Date(invite.revokedAt).toISOString(),
    }
  }

  async create(principal: Principal, phoneNumber: string, body: { expiresInSeconds: number }) {
    const record = await this.sessions.requireRecord(phoneNumber)
    const session = await this.sessions.get(phoneNumber)
    if (session.status === 'WORKING') throw new ConflictError(`Number ${phoneNumber} is linked already (WORKING): log it out first to link it again`)
    const id = randomBytes(8).toString('hex')
    const secret = randomBytes(32).toString('base64url')
    const createdAt = this.now()
    const expiresAt = createdAt + body.expiresInSeconds * 1000
    await this.invites.insert({ id, phoneNumber, accountId: record.accountId, secretSha256: hashSecret(secret), createdBy: principal.credentialId, createdAt, expiresAt })
    return { id, url: `${this.options.publicUrl}${LINK_PAGE_PREFIX}/wli_${id}_${secret}`, expiresAt: new Date(expiresAt).toISOString() }
  }

  async list(phoneNumber: string) {
    await this.sessions.requireRecord(phoneNumber)
    return { invites: (await this.invites.list(phoneNumber)).map((invite) => this.view(invite)) }
  }

  async revoke(phoneNumber: string, id: string) {
    if (!(await this.invites.revoke(phoneNumber, id, this.now()))) throw new NotFoundError(`No link invite ${id.slice(0, 40)} for ${phoneNumber} (or it is revoked already)`)
    return { success: true, id }
  }

  /** The invite a token opens, or 404 saying why not (unknown, revoked, used, expired). */
  async resolve(token: string): Promise<LinkInviteRecord> {
    const match = TOKEN_PATTERN.exec(token)
    const invite = match ? await this.invites.get(match[1]!) : undefined
    // Compared in constant time; an unknown id costs the same comparison as a wrong secret.
    const valid = verifySecret(match?.[2] ?? '', invite?.secretSha256 ?? '')
    if (!invite || !valid) throw new NotFoundError('This link is not valid. Check that it was copied whole, or ask for a new one.')
    const status = statusOf(invite, this.now())
    if (status !== 'active') throw new NotFoundError(REFUSALS[status])
    const record = await this.sessions.find(invite.phoneNumber)
    if (!record || record.accountId !== invite.accountId) throw new NotFoundError('This link is not valid any more. Ask for a new one.')
    return invite
  }

  /** The number a token opens right now, or undefined (where a cluster node forwards the link's routes to). */
  async numberOf(token: string): Promise<string | undefined> {
    try {
      return (await this.resolve(token)).phoneNumber
    } catch {
      return undefined
    }
  }

  async state(token: string) {
    const invite = await this.resolve(token)
    const view = await this.sessions.get(invite.phoneNumber)
    return {
      phoneNumber: invite.phoneNumber,
      state: view.state,
      status: view.status,
      expiresAt: new Date(invite.expiresAt).toISOString(),
      pairingCode: view.capabilities.includes('session.pairingCode'),
    }
  }

  /** The page's live view: starts the number if it is not running (opening the link means "link it now"). */
  async stream(token: string): Promise<Response> {
    const invite = await this.resolve(token)
    const view = await this.sessions.get(invite.phoneNumber)
    if (view.status === 'STOPPED' || view.status === 'FAILED') {
      await this.sessions.start(invite.phoneNumber, { accountId: invite.accountId, requireOwner: invite.accountId })
    }
    return linkStream(this.bus, this.sessions, invite.phoneNumber, { keepaliveMs: this.options.keepaliveMs })
  }

  async pairingCode(token: string) {
    const invite = await this.resolve(token)
    return { code: await this.sessions.requestPairingCode(invite.phoneNumber) }
  }
}
