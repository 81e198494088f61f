/**
 * Account API keys in the words of the API (API.md §2); knows nothing of HTTP.
 *
 * Who may do what:
 * - the admin creates keys for any account (naming it), lists all keys or one account's,
 *   and revokes any key;
 * - an account (JWT or account key) creates, lists and revokes its own account's keys;
 * - an account key never mints a key wider than itself: a key restricted to a number
 *   mints keys restricted to that number, and an expiring key mints keys that expire no
 *   later (absent fields default to the caller's own limits; asking for more is 403). It
 *   sees and revokes only keys within its own scope.
 */
import { generateApiKey } from '../../auth/api-keys'
import { assertOwnsNumber } from '../../auth/guards'
import type { Principal } from '../../auth/principal'
import { BadRequestError, ForbiddenError, NotFoundError } from '../../errors'
import { parsePhoneNumber } from '../../lib/phone'
import type { SessionManager } from '../../sessions/manager'
import type { ApiKeyRecord, ApiKeyScope, ApiKeysRepository } from '../../storage/api-keys-repo'

export interface CreateApiKeyInput {
  name: string
  phoneNumber?: string
  expiresAt?: string
  accountId?: string
}

const iso = (ms: number): string => new Date(ms).toISOString()
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms))

export class ApiKeysService {
  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly sessions: SessionManager,
    private readonly now: () => number = Date.now,
  ) {}

  async create(principal: Principal, input: CreateApiKeyInput) {
    const name = input.name.trim()
    if (name === '') throw new BadRequestError('name must not be blank')
    const accountId = this.targetAccount(principal, input.accountId)
    const now = this.now()

    let phoneNumber = input.phoneNumber === undefined ? null : parsePhoneNumber(input.phoneNumber)
    if (principal.phoneNumber !== undefined) {
      if (phoneNumber !== null && phoneNumber !== principal.phoneNumber) {
        throw new ForbiddenError(`This key is restricted to ${principal.phoneNumber}; it can only create keys for that number`)
      }
      phoneNumber = principal.phoneNumber
    }
    if (phoneNumber !== null) {
      // A key for a number its account cannot use would only ever answer 403.
      await assertOwnsNumber({ kind: 'account-key', accountId, isAdmin: false, credentialId: principal.credentialId }, phoneNumber, this.sessions)
    }

    let expiresAt: number | null = null
    if (input.expiresAt !== undefined) {
      expiresAt = Date.parse(input.expiresAt)
      if (!Number.isFinite(expiresAt)) throw new BadRequestError('expiresAt must be an RFC 3339 date-time', { expiresAt: input.expiresAt })
      if (expiresAt <= now) throw new BadRequestError('expiresAt must be in the future', { expiresAt: input.expiresAt })
    }
    if (principal.expiresAt !== undefined) {
      if (expiresAt !== null && expiresAt > principal.expiresAt) {
        throw new ForbiddenError(`This key expires at ${iso(principal.expiresAt)}; it cannot create a key that outlives it`)
      }
      expiresAt ??= principal.expiresAt
    }

    const generated = generateApiKey()
    await this.keys.insert({
      id: generated.id,
      accountId,
      name,
      phoneNumber,
      secretSha256: generated.secretHash,
      createdBy: principal.credentialId,
      createdAt: now,
      expiresAt,
    })
    return {
      id: generated.id,
      key: generated.key,
      name,
      accountId,
      phoneNumber,
      expiresAt: isoOrNull(expiresAt),
      createdAt: iso(now),
    }
  }

  async list(principal: Principal, filter: { accountId?: string }) {
    const scope = this.scopeOf(principal)
    if (filter.accountId !== undefined) {
      if (scope.accountId !== undefined && filter.accountId !== scope.accountId) {
        throw new ForbiddenError("Only the admin may list another account's keys")
      }
      scope.accountId = filter.accountId
    }
    const now = this.now()
    return { keys: (await this.keys.listActive(scope)).map((record) => this.info(record, now)) }
  }

  async revoke(principal: Principal, id: string) {
    const record = await this.keys.get(id)
    // Someone else's key is as absent as a key that never existed.
    if (!record || record.revokedAt !== null || !this.inScope(record, principal)) throw new NotFoundError(`No API key ${id}`)
    const now = this.now()
    if (!(await this.keys.revoke(id, now))) throw new NotFoundError(`No API key ${id}`)
    return { success: true, message: `API key ${id} revoked`, id, revokedAt: iso(now) }
  }

  private targetAccount(principal: Principal, requested: string | undefined): string {
    if (principal.isAdmin) {
      if (requested === undefined) throw new BadRequestError('accountId is required when the admin key creates a key: name the account it acts for')
      return requested
    }
    const own = principal.accountId
    if (own === null) throw new ForbiddenError('This credential belongs to no account')
    if (requested !== undefined && requested !== own) throw new ForbiddenError('An account can only create keys for itself')
    return own
  }

  private scopeOf(principal: Principal): ApiKeyScope {
    if (principal.isAdmin) return {}
    return { accountId: principal.accountId ?? '', ...(principal.phoneNumber !== undefined && { phoneNumber: principal.phoneNumber }) }
  }

  private inScope(record: ApiKeyRecord, principal: Principal): boolean {
    if (principal.isAdmin) return true
    if (record.accountId !== principal.accountId) return false
    return principal.phoneNumber === undefined || record.phoneNumber === principal.phoneNumber
  }

  private info(record: ApiKeyRecord, now: number) {
    return {
      id: record.id,
      name: record.name,
      accountId: record.accountId,
      phoneNumber: record.phoneNumber,
      expiresAt: isoOrNull(record.expiresAt),
      createdAt: iso(record.createdAt),
      lastUsedAt: isoOrNull(record.lastUsedAt),
      expired: record.expiresAt !== null && record.expiresAt <= now,
    }
  }
}
