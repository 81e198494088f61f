/**
 * The contract's three guards, as Elysia macros: a route opts in with
 * `{ requireAuth: true }`, `{ requireSingleAccountProtected: true }` or
 * `{ requireWahaProtected: true }` and receives the resolved `principal` (and the
 * validated `phoneNumber` for number routes).
 */
import { Elysia } from 'elysia'
import { ForbiddenError, UnauthorizedError } from '../errors'
import { parsePhoneNumber } from '../lib/phone'
import type { SessionManager } from '../sessions/manager'
import { presentedToken } from './credentials'
import type { Authenticator, Principal } from './principal'

export interface GuardDeps {
  authenticator: Authenticator
  sessions: SessionManager
  /** Accepts inbound WAHA callbacks: WAHA_API_KEY, or the admin key through the authenticator. */
  wahaKeyMatches?: (presented: string) => boolean
}

/** Whether the caller may act on a number: admin always; others when it is theirs or unclaimed. */
export async function assertOwnsNumber(principal: Principal, phoneNumber: string, sessions: SessionManager): Promise<void> {
  if (principal.isAdmin) return
  if (principal.phoneNumber !== undefined && principal.phoneNumber !== phoneNumber) {
    throw new ForbiddenError(`This credential is restricted to ${principal.phoneNumber}`)
  }
  const record = await sessions.find(phoneNumber)
  if (record && record.accountId !== null && record.accountId !== principal.accountId) {
    throw new ForbiddenError(`Number ${phoneNumber} belongs to another account`)
  }
}

export function authGuards(deps: GuardDeps) {
  return new Elysia({ name: 'auth-guards', seed: deps })
    .macro({
      requireAuth: {
        async resolve({ request }) {
          return { principal: await deps.authenticator.authenticate(request.headers) }
        },
      },
      requireSingleAccountProtected: {
        async resolve({ request, params }) {
          const principal = await deps.authenticator.authenticate(request.headers)
          const raw = (params as Record<string, string | undefined>).phoneNumber ?? ''
          const phoneNumber = parsePhoneNumber(raw)
          await assertOwnsNumber(principal, phoneNumber, deps.sessions)
          return { principal, phoneNumber }
        },
      },
      requireWahaProtected: {
        async resolve({ request }) {
          const token = presentedToken(request.headers)
          if (token && deps.wahaKeyMatches?.(token)) {
            const principal: Principal = { kind: 'admin', accountId: null, isAdmin: true, credentialId: 'waha' }
            return { principal }
          }
          const principal = await deps.authenticator.authenticate(request.headers).catch(() => undefined)
          if (!principal?.isAdmin) throw new UnauthorizedError('WAHA callbacks need X-Api-Key set to WAHA_API_KEY')
          return { principal }
        },
      },
    })
    .as('global')
}
