/**
 * The server's Authenticator (API.md §2): turns request headers into a Principal.
 *
 * - `X-Api-Key: <key>` is always an API key.
 * - `Authorization: Bearer <token>` is a JWT when it has a JWT's shape (`looksLikeJwt`),
 *   verified by the configured JwtVerifier; otherwise it is an API key.
 * - An API key is the admin key (`API_KEY`, compared in constant time) or an account key
 *   `wws_<id>_<secret>`: looked up by id, its secret checked against the stored SHA-256 in
 *   constant time, then refused when revoked or expired.
 *
 * Credentials are read from headers only, never from a query string. Account keys are read
 * from storage on every request, so a revocation takes effect on the very next request;
 * the lookup is one primary-key read. `last_used_at` is written at most once per
 * `lastUsedResolutionMs` per key, decided from the row just read, so the hot path is a
 * read and (rarely) one small update.
 */
import { UnauthorizedError } from '../errors'
import type { Logger } from '../lib/logger'
import type { ApiKeyRecord } from '../storage/api-keys-repo'
import { createAdminKeyMatcher, parseApiKey, verifySecret } from './api-keys'
import { looksLikeJwt, type JwtVerifier } from './jwt'
import type { Authenticator, Principal } from './principal'

/** What the authenticator needs from storage (ApiKeysRepository satisfies it). */
export interface ApiKeyLookup {
  get(id: string): Promise<ApiKeyRecord | undefined>
  touch(id: string, at: number): Promise<void>
}

export interface ServerAuthenticatorOptions {
  /** `sha256:<hex>` (or plain) admin key; absent → no admin key is accepted. */
  adminKey?: string
  /** Present when JWT verification is configured. */
  jwt?: JwtVerifier
  apiKeys: ApiKeyLookup
  /** Clock in epoch ms (key expiry, last use); default `Date.now`. */
  now?: () => number
  /** Least time between two `last_used_at` writes of one key; default one minute. */
  lastUsedResolutionMs?: number
  logger?: Logger
}

const MISSING = 'Missing credentials: send X-Api-Key or Authorization: Bearer'
const INVALID_KEY = 'Invalid API key'

export const ADMIN_PRINCIPAL: Readonly<Principal> = Object.freeze({ kind: 'admin', accountId: null, isAdmin: true, credentialId: 'admin' })

export class ServerAuthenticator implements Authenticator {
  private readonly adminMatches: ((presented: string) => boolean) | undefined
  private readonly now: () => number
  private readonly lastUsedResolutionMs: number

  constructor(private readonly options: ServerAuthenticatorOptions) {
    this.adminMatches = options.adminKey ? createAdminKeyMatcher(options.adminKey) : undefined
    this.now = options.now ?? Date.now
    this.lastUsedResolutionMs = options.lastUsedResolutionMs ?? 60_000
  }

  async authenticate(headers: Headers): Promise<Principal> {
    const apiKey = headers.get('x-api-key')?.trim()
    if (apiKey) return this.apiKey(apiKey)
    const authorization = headers.get('authorization')?.trim()
    if (!authorization) throw new UnauthorizedError(MISSING)
    const match = /^Bearer\s+(\S+)$/i.exec(authorization)
    if (!match?.[1]) throw new UnauthorizedError('Authorization must be "Bearer <token>"')
    const token = match[1]
    if (looksLikeJwt(token)) return this.jwt(token)
    return this.apiKey(token)
  }

  private async jwt(token: string): Promise<Principal> {
    if (!this.options.jwt) throw new UnauthorizedError('JWT authentication is not configured on this server')
    const verified = await this.options.jwt.verify(token)
    return { kind: 'jwt', accountId: verified.account, isAdmin: false, credentialId: `jwt:${verified.account}` }
  }

  private async apiKey(presented: string): Promise<Principal> {
    // The admin key first: a configured API_KEY could itself look like wws_<id>_<secret>.
    if (this.adminMatches?.(presented)) return { ...ADMIN_PRINCIPAL }
    const parsed = parseApiKey(presented)
    if (!parsed) throw new UnauthorizedError(INVALID_KEY)
    const record = await this.options.apiKeys.get(parsed.id)
    // Ids are public; only a matching secret learns whether the key was revoked or expired.
    if (!record || !verifySecret(parsed.secret, record.secretSha256)) throw new UnauthorizedError(INVALID_KEY)
    if (record.revokedAt !== null) throw new UnauthorizedError('API key revoked')
    const now = this.now()
    if (record.expiresAt !== null && record.expiresAt <= now) throw new UnauthorizedError('API key expired')
    if (record.lastUsedAt === null || now - record.lastUsedAt >= this.lastUsedResolutionMs) {
      // Best effort: bookkeeping never turns a valid request into an error.
      await this.options.apiKeys.touch(record.id, now).catch((error: unknown) => {
        this.options.logger?.warn({ err: error, keyId: record.id }, 'could not record API key use')
      })
    }
    return {
      kind: 'account-key',
      accountId: record.accountId,
      isAdmin: false,
      credentialId: record.id,
      ...(record.phoneNumber !== null && { phoneNumber: record.phoneNumber }),
      ...(record.expiresAt !== null && { expiresAt: record.expiresAt }),
    }
  }
}
