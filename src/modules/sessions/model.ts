import { t } from 'elysia'
import { CAPABILITIES, SESSION_STATES, SESSION_STATUSES } from '../../providers/engine'
import { oneOf, oneOfString } from '../common/model'

const example = {
  phoneNumber: '966500000001',
  engine: 'simulator',
  state: 'AUTHENTICATING',
  status: 'SCAN_QR_CODE',
}

/** An engine name in answers: a string, since engines come from the registry (GET /health lists those this server runs). */
export const Engine = t.String({ description: 'Engine that runs the session', examples: ['simulator'] })
export const SessionStatus = oneOf(SESSION_STATUSES, { description: "WAHA's detailed status" })
export const SessionState = oneOf(SESSION_STATES, { description: 'Coarse state: DISCONNECTED, AUTHENTICATING, CONNECTED or CONFLICT' })

export const Me = t.Object({
  id: t.String({ examples: ['966500000001@c.us'] }),
  pushName: t.Optional(t.String({ examples: ['Support desk'] })),
})

/** The start body, whose `engine` must be one of the registry's engines (given by the app). */
export const startBody = (engines: readonly string[]) => t.Object(
  {
    engine: t.Optional(oneOf(engines as readonly [string, ...string[]], { description: 'Engine that runs the session' })),
    accountId: t.Optional(
      t.String({ minLength: 1, maxLength: 200, description: 'Admin only: start the number on behalf of this account, which then owns it' }),
    ),
  },
  { examples: [{ engine: 'simulator' }], description: 'Optional: an empty body starts on the default engine' },
)

export const SessionInfo = t.Object(
  {
    phoneNumber: t.String(),
    engine: Engine,
    state: SessionState,
    status: SessionStatus,
    me: t.Optional(Me),
    reason: t.Optional(t.String({ description: 'Why the session is FAILED or in CONFLICT' })),
    accountId: t.Union([t.String(), t.Null()], { description: 'Account that owns the number' }),
    capabilities: t.Array(oneOfString(CAPABILITIES), { description: 'What the running engine can do (empty while stopped)' }),
  },
  { examples: [{ ...example, accountId: 'org_123', capabilities: ['session.qr', 'send.text'] }] },
)

export const LifecycleResult = t.Object(
  {
    success: t.Boolean(),
    message: t.String(),
    state: SessionState,
    status: SessionStatus,
    session: SessionInfo,
  },
  { examples: [{ success: true, message: 'Session starting: scan the QR code', ...example, session: { ...example, accountId: null, capabilities: [] } }] },
)

export const QrResult = t.Object(
  {
    qrCode: t.String({ description: 'PNG data URL of the QR code', examples: ['data:image/png;base64,iVBORw0KGgo…'] }),
    value: t.String({ description: "The QR's raw text, for rendering it yourself", examples: ['2@AbCd…,…'] }),
  },
  { examples: [{ qrCode: 'data:image/png;base64,iVBORw0KGgo…', value: '2@AbCd…,…' }] },
)

export const PairingCodeResult = t.Object({ code: t.String({ description: 'Enter on the phone: Linked devices → Link with phone number', examples: ['ABCD-EFGH'] }) })

export const StateResult = t.Object(
  {
    state: SessionState,
    status: SessionStatus,
    me: t.Optional(Me),
    reason: t.Optional(t.String()),
    engine: Engine,
    capabilities: t.Array(oneOfString(CAPABILITIES)),
  },
  { examples: [{ state: 'CONNECTED', status: 'WORKING', me: { id: '966500000001@c.us', pushName: 'Support desk' }, engine: 'simulator', capabilities: ['send.text'] }] },
)

export const SessionList = t.Object({ sessions: t.Array(SessionInfo) })

export const DeleteResult = t.Object(
  { success: t.Boolean(), message: t.String() },
  { examples: [{ success: true, message: 'Session 966500000001 and its data were deleted' }] },
)

export const Health = t.Object(
  {
    status: t.Literal('ok'),
    version: t.String(),
    uptimeSeconds: t.Number(),
    engines: t.Array(Engine),
    defaultEngine: t.String({ description: 'The engine a start without `engine` uses (WA_ENGINE)' }),
  },
  { examples: [{ status: 'ok', version: '0.1.0', uptimeSeconds: 42, engines: ['webjs', 'simulator'], defaultEngine: 'webjs' }] },
)

export const SandboxScanBody = t.Object(
  {
    phone: t.Optional(t.String({ pattern: '^\\+?[0-9]{7,15}$', description: "The scanning phone's number (defaults to the session's own)" })),
    pushName: t.Optional(t.String({ maxLength: 100 })),
  },
  { description: 'Optional', examples: [{ pushName: 'Support desk' }] },
)
