import type { Database, DbInteger } from './db'

/** A link invite as stored: never its token, only the SHA-256 of the token's secret. Times are epoch ms. */
export interface LinkInviteRecord {
  id: string
  phoneNumber: string
  /** The account that owned the number when the invite was made (null: the admin's number). */
  accountId: string | null
  secretSha256: string
  /** Credential that created it (`admin`, a key id, or `jwt:<account>`), for audit. */
  createdBy: string
  createdAt: number
  expiresAt: number
  /** When the number was linked through it (or otherwise): the invite is spent. */
  usedAt: number | null
  revokedAt: number | null
}

interface LinkInviteRow {
  id: string
  phone_number: string
  account_id: string | null
  secret_sha256: string
  created_by: string
  created_at: DbInteger
  expires_at: DbInteger
  used_at: DbInteger | null
  revoked_at: DbInteger | null
}

const toTime = (value: DbInteger | null): number | null => (value === null ? null : Number(value))

function toRecord(row: LinkInviteRow): LinkInviteRecord {
  return {
    id: row.id,
    phoneNumber: row.phone_number,
    accountId: row.account_id,
    secretSha256: row.secret_sha256,
    createdBy: row.created_by,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    usedAt: toTime(row.used_at),
    revokedAt: toTime(row.revoked_at),
  }
}

export class LinkInvitesRepository {
  constructor(private readonly db: Database) {}

  async insert(record: Omit<LinkInviteRecord, 'usedAt' | 'revokedAt'>): Promise<void> {
    await this.db`
      INSERT INTO link_invites (id, phone_number, account_id, secret_sha256, created_by, created_at, expires_at)
      VALUES (${record.id}, ${record.phoneNumber}, ${record.accountId}, ${record.secretSha256}, ${record.createdBy}, ${record.createdAt}, ${record.expiresAt})`
  }

  async get(id: string): Promise<LinkInviteRecord | undefined> {
    const rows: LinkInviteRow[] = await this.db`SELECT * FROM link_invites WHERE id = ${id}`
    return rows[0] && toRecord(rows[0])
  }

  /** A number's invites, newest first. */
  async list(phoneNumber: string): Promise<LinkInviteRecord[]> {
    const rows: LinkInviteRow[] = await this.db`SELECT * FROM link_invites WHERE phone_number = ${phoneNumber} ORDER BY created_at DESC, id`
    return rows.map(toRecord)
  }

  /** Revokes one invite of the number; false when there is none or it was revoked already. */
  async revoke(phoneNumber: string, id: string, at: number): Promise<boolean> {
    const rows: { id: string }[] = await this.db`
      UPDATE link_invites SET revoked_at = ${at} WHERE id = ${id} AND phone_number = ${phoneNumber} AND revoked_at IS NULL RETURNING id`
    return rows.length > 0
  }

  /** Spends every open invite of a number (it is linked now). */
  async markUsed(phoneNumber: string, at: number): Promise<void> {
    await this.db`UPDATE link_invites SET used_at = ${at} WHERE phone_number = ${phoneNumber} AND used_at IS NULL AND revoked_at IS NULL`
  }

  async deleteForNumber(phoneNumber: string): Promise<void> {
    await this.db`DELETE FROM link_invites WHERE phone_number = ${phoneNumber}`
  }
}
