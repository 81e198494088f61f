import { t } from 'elysia'
import { oneOf, PhoneNumberParam } from '../common/model'
import { SessionState, SessionStatus } from '../sessions/model'

export const CreateLinkInviteBody = t.Object(
  {
    expiresInSeconds: t.Integer({ minimum: 60, maximum: 604_800, description: 'How long the link works: 60 s to 7 days' }),
  },
  { examples: [{ expiresInSeconds: 3600 }] },
)

export const CreatedLinkInvite = t.Object(
  {
    id: t.String({ description: 'Invite id, for listing and revoking', examples: ['3f9a0c1d2b4e5f60'] }),
    url: t.String({ description: 'The page to share; shown only now (only a hash of its token is kept)' }),
    expiresAt: t.String({ format: 'date-time' }),
  },
  { examples: [{ id: '3f9a0c1d2b4e5f60', url: 'http://127.0.0.1:3000/api/whatsapp/link/wli_3f9a0c1d2b4e5f60_Vh2…', expiresAt: '2026-12-02T19:00:00.000Z' }] },
)

const time = (description: string) => t.Union([t.String({ format: 'date-time' }), t.Null()], { description })

export const LinkInviteView = t.Object({
  id: t.String(),
  phoneNumber: t.String(),
  status: oneOf(['active', 'used', 'expired', 'revoked'], { description: 'Whether the link still works, and why not' }),
  createdAt: t.String({ format: 'date-time' }),
  expiresAt: t.String({ format: 'date-time' }),
  usedAt: time('When the number was linked (the link is spent)'),
  revokedAt: time('When it was revoked'),
})

export const LinkInviteList = t.Object(
  { invites: t.Array(LinkInviteView) },
  {
    examples: [
      { invites: [{ id: '3f9a0c1d2b4e5f60', phoneNumber: '966500000001', status: 'active', createdAt: '2026-12-02T18:00:00.000Z', expiresAt: '2026-12-02T19:00:00.000Z', usedAt: null, revokedAt: null }] },
    ],
  },
)

export const LinkInviteParams = t.Object({ phoneNumber: PhoneNumberParam, id: t.String({ minLength: 1, maxLength: 64 }) })

export const RevokedLinkInvite = t.Object({ success: t.Boolean(), id: t.String() }, { examples: [{ success: true, id: '3f9a0c1d2b4e5f60' }] })

export const TokenParams = t.Object({ token: t.String({ minLength: 1, maxLength: 200, description: 'The token from the invite URL' }) })

export const LinkPageState = t.Object(
  {
    phoneNumber: t.String(),
    state: SessionState,
    status: SessionStatus,
    expiresAt: t.String({ format: 'date-time' }),
    pairingCode: t.Boolean({ description: 'Whether a pairing code can be requested instead of scanning' }),
  },
  { examples: [{ phoneNumber: '966500000001', state: 'AUTHENTICATING', status: 'SCAN_QR_CODE', expiresAt: '2026-12-02T19:00:00.000Z', pairingCode: true }] },
)

export const PairingCode = t.Object({ code: t.String() }, { examples: [{ code: 'ABCD-EFGH' }] })
