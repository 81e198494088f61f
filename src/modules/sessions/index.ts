import { Elysia } from 'elysia'
import { authGuards, type GuardDeps } from '../../auth/guards'
import { NotFoundError } from '../../errors'
import { guardedErrors, ErrorEnvelope, PhoneParams } from '../common/model'
import {
  DeleteResult,
  LifecycleResult,
  PairingCodeResult,
  QrResult,
  SessionList,
  startBody,
  StateResult,
} from './model'
import type { SessionsService } from './service'

const tags = ['Sessions']

/** `engines`: the names the start body accepts (the engine registry's). */
export function sessionsModule(deps: GuardDeps, service: SessionsService, engines: readonly string[]) {
  const StartBody = startBody(engines)
  return new Elysia({ name: 'sessions', seed: deps })
    .use(authGuards(deps))
    .get('/sessions', ({ principal }) => service.list(principal), {
      requireAuth: true,
      response: { 200: SessionList, ...guardedErrors },
      detail: { tags, summary: "List the caller's sessions", description: 'The admin sees every session; an account sees the numbers it owns (a key restricted to one number, only that number).' },
    })
    .post('/:phoneNumber/start', ({ phoneNumber, principal, body }) => service.start(phoneNumber, principal, body ?? undefined), {
      requireSingleAccountProtected: true,
      params: PhoneParams,
      body: StartBody,
      response: { 200: LifecycleResult, 409: ErrorEnvelope, 501: ErrorEnvelope, 503: ErrorEnvelope, ...guardedErrors },
      detail: {
        tags,
        summary: 'Start a session',
        description:
          'Starts the number on the given engine (default WA_ENGINE) and claims it for the calling account: the first account to start a number owns it, and every other account gets 403 on all of its routes until it is deleted. ' +
          'The admin may start a number on behalf of an account (`accountId`); a number the admin starts without one belongs to no account and only the admin can use it. Naming a different account for a number that already has one is 409. ' +
          'Idempotent: starting a running session returns its state. A paired session reconnects without a QR. ' +
          'In a cluster (Postgres) a new session is placed on the live node running the fewest sessions: when that is another node, the answer is `STARTING` and that node starts it moments later; 503 when every node is at its NODE_CAPACITY.',
      },
    })
    .post('/:phoneNumber/stop', ({ phoneNumber }) => service.stop(phoneNumber), {
      requireSingleAccountProtected: true,
      params: PhoneParams,
      response: { 200: LifecycleResult, ...guardedErrors },
      detail: { tags, summary: 'Stop a session', description: 'Disconnects and keeps the pairing: the next start needs no QR.' },
    })
    .post('/:phoneNumber/restart', ({ phoneNumber }) => service.restart(phoneNumber), {
      requireSingleAccountProtected: true,
      params: PhoneParams,
      response: { 200: LifecycleResult, 501: ErrorEnvelope, ...guardedErrors },
      detail: { tags, summary: 'Restart a session', description: 'Stop, then start again on the same engine.' },
    })
    .post('/:phoneNumber/logout', ({ phoneNumber }) => service.logout(phoneNumber), {
      requireSingleAccountProtected: true,
      params: PhoneParams,
      response: { 200: LifecycleResult, ...guardedErrors },
      detail: { tags, summary: 'Log out', description: 'Unpairs the number and wipes its auth state: the next start needs a new QR.' },
    })
    .delete('/:phoneNumber', ({ phoneNumber, request }) => {
      // `DELETE …/:phoneNumber/` is what a client sends for `…/webhooks/..` once its URL parser
      // resolves the dot segment: never read that as "delete the session and all its data".
      const path = new URL(request.url).pathname
      if (path.endsWith('/')) throw new NotFoundError(`No route for DELETE ${path}`)
      return service.delete(phoneNumber)
    }, {
      requireSingleAccountProtected: true,
      params: PhoneParams,
      response: { 200: DeleteResult, ...guardedErrors },
      detail: { tags, summary: 'Delete a session', description: "Logs out, deletes the session and its data, and releases the account's claim on the number. Only this exact path: `DELETE …/966500000001/` (with a trailing slash, which is what `…/webhooks/..` becomes in a URL parser) is 404." },
    })
    .get(
      '/:phoneNumber/qr',
      ({ phoneNumber, request }) =>
        (request.headers.get('accept') ?? '').includes('image/png') ? service.qrPngResponse(phoneNumber) : service.qr(phoneNumber),
      {
        requireSingleAccountProtected: true,
        params: PhoneParams,
        response: { 200: QrResult, 409: ErrorEnvelope, ...guardedErrors },
        detail: {
          tags,
          summary: 'Get the pending QR code',
          description: 'JSON with a PNG data URL and the raw value; with `Accept: image/png` the PNG itself. 409 CONFLICT when no QR is pending.',
          responses: { 200: { description: 'The QR: JSON by default, the PNG with `Accept: image/png`', content: { 'image/png': { schema: { type: 'string', format: 'binary' } } } } },
        },
      },
    )
    .post('/:phoneNumber/pairing-code', ({ phoneNumber }) => service.pairingCode(phoneNumber), {
      requireSingleAccountProtected: true,
      params: PhoneParams,
      response: { 200: PairingCodeResult, 409: ErrorEnvelope, 501: ErrorEnvelope, ...guardedErrors },
      detail: {
        tags,
        summary: 'Request a pairing code',
        description: 'Link by phone number instead of QR: while the session waits for a scan, returns an 8-character code to enter on the phone. 409 CONFLICT (naming the status) when no link is pending, e.g. the session is WORKING already or stopped.',
      },
    })
    .get('/:phoneNumber/state', ({ phoneNumber }) => service.state(phoneNumber), {
      requireSingleAccountProtected: true,
      params: PhoneParams,
      response: { 200: StateResult, ...guardedErrors },
      detail: { tags, summary: 'Get the session state', description: 'State, detailed status, the linked account and the running engine\'s capabilities.' },
    })
}
