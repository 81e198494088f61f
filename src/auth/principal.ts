/** Who is calling, as established by a guard. */
export interface Principal {
  kind: 'admin' | 'account-key' | 'jwt'
  /** The account whose numbers the caller may use; null for the admin, who may use all. */
  accountId: string | null
  isAdmin: boolean
  /** Set when the credential is restricted to one phone number. */
  phoneNumber?: string
  /** Stable id of the credential (key id, or `jwt:<account>`), for rate limits and audit. */
  credentialId: string
  /** When an expiring account key stops working (epoch ms); keys it mints may not outlive it. */
  expiresAt?: number
}

/** Turns request headers into a Principal, or throws UnauthorizedError. */
export interface Authenticator {
  authenticate(headers: Headers): Promise<Principal>
}
