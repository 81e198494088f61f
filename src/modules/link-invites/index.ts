/**
 * Link invites (API.md §11): the number's owner makes a shareable, expiring link; whoever
 * opens it sees only that number's QR, pairing-code option and status, with no credential.
 * The guarded routes manage invites; the `/link/:token/…` routes are public and answer
 * 404 for any token that does not open an invite right now (unknown, expired, revoked, used).
 */
import { Elysia } from 'elysia'
import { authGuards, type GuardDeps } from '../../auth/guards'
import { ErrorEnvelope, guardedErrors, PhoneParams } from '../common/model'
import { LINK_STREAM_EXAMPLE } from '../linking'
import { CreatedLinkInvite, CreateLinkInviteBody, LinkInviteList, LinkInviteParams, LinkPageState, PairingCode, RevokedLinkInvite, TokenParams } from './model'
import type { LinkInvitesService } from './service'

const tags = ['Link invites']
const publicErrors = { 404: ErrorEnvelope, 409: ErrorEnvelope, 500: ErrorEnvelope } as const

export function linkInvitesModule(guards: GuardDeps, service: LinkInvitesService) {
  return new Elysia({ name: 'link-invites', seed: guards })
    .use(authGuards(guards))
    .post(
      '/:phoneNumber/link-invites',
      async ({ phoneNumber, principal, body, set }) => {
        set.status = 201
        return service.create(principal, phoneNumber, body)
      },
      {
        requireSingleAccountProtected: true,
        params: PhoneParams,
        body: CreateLinkInviteBody,
        response: { 201: CreatedLinkInvite, 409: ErrorEnvelope, ...guardedErrors },
        detail: {
          tags,
          summary: 'Create a link invite',
          description:
            "A shareable page for linking this number without a credential: whoever opens `url` sees only this number's live QR, the pairing-code option and the status, and opening it starts the session if it is stopped. " +
            'It stops working when it expires, when it is revoked, or once the number is linked. The URL holds a random token shown only in this response (only a hash is kept). ' +
            'The admin or the account that owns the number may create one; the session must exist (404) and not be linked already (409).',
        },
      },
    )
    .get('/:phoneNumber/link-invites', ({ phoneNumber }) => service.list(phoneNumber), {
      requireSingleAccountProtected: true,
      params: PhoneParams,
      response: { 200: LinkInviteList, ...guardedErrors },
      detail: { tags, summary: 'List link invites', description: "The number's invites, newest first, with whether each still works. Never the token." },
    })
    .delete('/:phoneNumber/link-invites/:id', ({ phoneNumber, params }) => service.revoke(phoneNumber, params.id), {
      requireSingleAccountProtected: true,
      params: LinkInviteParams,
      response: { 200: RevokedLinkInvite, ...guardedErrors },
      detail: { tags, summary: 'Revoke a link invite', description: 'The link stops working at once (its page says so). 404 for an unknown or already revoked invite.' },
    })
    .get('/link/:token/state', ({ params }) => service.state(params.token), {
      params: TokenParams,
      response: { 200: LinkPageState, ...publicErrors },
      detail: {
        tags,
        summary: "An invite's number and status (public)",
        description: 'For the link page: the number, its status and when the link expires. No credential: the token is the credential. 404 when the link is unknown, expired, revoked or used (the message says which).',
        security: [],
      },
    })
    .get('/link/:token/events', ({ params }) => service.stream(params.token), {
      params: TokenParams,
      response: publicErrors,
      detail: {
        tags,
        summary: "An invite's live QR and status (public SSE)",
        description:
          'The link page\'s stream, as `GET /{phoneNumber}/qr/events`: `event: status` and `event: qr` (`{qrCode, value}`, on every rotation), ending after `WORKING`. Opening it starts the session when it is stopped. 404 when the link does not work.',
        security: [],
        responses: { 200: { description: 'The linking stream', content: { 'text/event-stream': { schema: { type: 'string' as const }, example: LINK_STREAM_EXAMPLE } } } },
      },
    })
    .post('/link/:token/pairing-code', ({ params }) => service.pairingCode(params.token), {
      params: TokenParams,
      response: { 200: PairingCode, 501: ErrorEnvelope, ...publicErrors },
      detail: {
        tags,
        summary: "Request a pairing code through an invite (public)",
        description: 'Link by phone number instead of scanning: an 8-character code to enter on the phone. 409 when no link is pending, 501 when the engine has no pairing codes, 404 when the link does not work.',
        security: [],
      },
    })
}
