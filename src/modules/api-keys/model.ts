import { t } from 'elysia'
import { PHONE_NUMBER_PATTERN } from '../../lib/phone'

const ID_EXAMPLE = '7Hq2NcY0pLx9Tb4R'
const KEY_EXAMPLE = `wws_${ID_EXAMPLE}_Jx0d1m3Vx6l0Yb0cYk6dZ9N1Qe2Yk9jzH2mY4x7uTqE`

export const CreateApiKeyBody = t.Object(
  {
    name: t.String({ minLength: 1, maxLength: 100, description: 'A label to recognise the key by, e.g. the backend that uses it' }),
    phoneNumber: t.Optional(
      t.String({
        pattern: PHONE_NUMBER_PATTERN,
        description: 'Restrict the key to this one number (7–15 digits, a leading + is accepted); other numbers answer 403',
      }),
    ),
    expiresAt: t.Optional(
      t.String({ format: 'date-time', description: 'When the key stops working (RFC 3339, must be in the future); absent → never' }),
    ),
    accountId: t.Optional(
      t.String({
        minLength: 1,
        maxLength: 255,
        description: "The account the key acts for. Required with the admin key; an account may only name its own",
      }),
    ),
  },
  { examples: [{ name: 'billing backend', phoneNumber: '966500000001', expiresAt: '2030-01-01T00:00:00Z' }] },
)

export const ApiKeyInfo = t.Object(
  {
    id: t.String({ description: 'Public id of the key (the part after `wws_`); use it to revoke the key' }),
    name: t.String(),
    accountId: t.String({ description: 'The account the key acts for' }),
    phoneNumber: t.Union([t.String(), t.Null()], { description: 'The one number the key may use; null → every number of the account' }),
    expiresAt: t.Union([t.String({ format: 'date-time' }), t.Null()]),
    createdAt: t.String({ format: 'date-time' }),
    lastUsedAt: t.Union([t.String({ format: 'date-time' }), t.Null()], { description: 'Last successful use, to the minute' }),
    expired: t.Boolean({ description: 'True once expiresAt has passed: the key is refused' }),
  },
  {
    examples: [
      {
        id: ID_EXAMPLE,
        name: 'billing backend',
        accountId: 'org_01HZX',
        phoneNumber: '966500000001',
        expiresAt: '2030-01-01T00:00:00.000Z',
        createdAt: '2025-05-01T10:00:00.000Z',
        lastUsedAt: '2025-05-02T08:31:00.000Z',
        expired: false,
      },
    ],
  },
)

export const CreatedApiKey = t.Object(
  {
    id: t.String(),
    key: t.String({ description: 'The key itself. Shown only in this response: only a hash of its secret is stored' }),
    name: t.String(),
    accountId: t.String(),
    phoneNumber: t.Union([t.String(), t.Null()]),
    expiresAt: t.Union([t.String({ format: 'date-time' }), t.Null()]),
    createdAt: t.String({ format: 'date-time' }),
  },
  {
    examples: [
      {
        id: ID_EXAMPLE,
        key: KEY_EXAMPLE,
        name: 'billing backend',
        accountId: 'org_01HZX',
        phoneNumber: '966500000001',
        expiresAt: '2030-01-01T00:00:00.000Z',
        createdAt: '2025-05-01T10:00:00.000Z',
      },
    ],
  },
)

export const ApiKeyList = t.Object({ keys: t.Array(ApiKeyInfo) })

export const ApiKeyListQuery = t.Object({
  accountId: t.Optional(t.String({ minLength: 1, maxLength: 255, description: 'Admin: only this account\'s keys. An account may only name its own' })),
})

export const ApiKeyIdParams = t.Object({
  id: t.String({ pattern: '^[0-9A-Za-z]{12,64}$', description: 'The key id returned at creation', examples: [ID_EXAMPLE] }),
})

export const RevokedApiKey = t.Object(
  { success: t.Boolean(), message: t.String(), id: t.String(), revokedAt: t.String({ format: 'date-time' }) },
  { examples: [{ success: true, message: `API key ${ID_EXAMPLE} revoked`, id: ID_EXAMPLE, revokedAt: '2025-05-03T12:00:00.000Z' }] },
)
