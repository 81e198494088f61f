/** §6 profile routes. */
import { Elysia } from 'elysia'
import { authGuards, type GuardDeps } from '../../auth/guards'
import { PhoneParams } from '../common/model'
import { connectedErrors, mediaErrors, SuccessResult } from '../common/whatsapp-model'
import { AboutBody, NameBody, OwnPresenceBody, PictureBody, Profile } from './model'
import type { ProfileService } from './service'

const tags = ['Profile']
const NOTES = ' Needs a CONNECTED session (409 otherwise) whose engine can do it (501 NOT_SUPPORTED otherwise, see `capabilities` in `GET /:phoneNumber/state`).'

export function profileModule(deps: GuardDeps, service: ProfileService) {
  return new Elysia({ name: 'profile', seed: deps })
    .use(authGuards(deps))
    .get('/:phoneNumber/profile', ({ phoneNumber }) => service.get(phoneNumber), {
      requireSingleAccountProtected: true,
      params: PhoneParams,
      response: { 200: Profile, ...connectedErrors },
      detail: { tags, summary: 'Get the profile', description: "The number's own WhatsApp profile: name, about text, picture." },
    })
    .put('/:phoneNumber/profile/name', ({ phoneNumber, body }) => service.setName(phoneNumber, body.name), {
      requireSingleAccountProtected: true,
      params: PhoneParams,
      body: NameBody,
      response: { 200: SuccessResult, ...connectedErrors },
      detail: { tags, summary: 'Set the profile name', description: 'The name others see (push name).' },
    })
    .put('/:phoneNumber/profile/status', ({ phoneNumber, body }) => service.setStatus(phoneNumber, body.status), {
      requireSingleAccountProtected: true,
      params: PhoneParams,
      body: AboutBody,
      response: { 200: SuccessResult, ...connectedErrors },
      detail: { tags, summary: 'Set the about text', description: 'The profile\'s "about" line (not a Status post: for that, POST /:phoneNumber/status).' },
    })
    .put('/:phoneNumber/profile/picture', ({ phoneNumber, body }) => service.setPicture(phoneNumber, body), {
      requireSingleAccountProtected: true,
      params: PhoneParams,
      body: PictureBody,
      response: { 200: SuccessResult, ...mediaErrors },
      detail: { tags, summary: 'Set the profile picture', description: 'From an image URL, data URL or base64 with mimeType; contacts see it through the profile-picture route.' },
    })
    .delete('/:phoneNumber/profile/picture', ({ phoneNumber }) => service.deletePicture(phoneNumber), {
      requireSingleAccountProtected: true,
      params: PhoneParams,
      response: { 200: SuccessResult, ...connectedErrors },
      detail: { tags, summary: 'Remove the profile picture', description: 'Removes the profile picture (a number without one stays without: still a success).' + NOTES },
    })
    .post('/:phoneNumber/presence', ({ phoneNumber, body }) => service.setPresence(phoneNumber, body.state), {
      requireSingleAccountProtected: true,
      params: PhoneParams,
      body: OwnPresenceBody,
      response: { 200: SuccessResult, ...connectedErrors },
      detail: {
        tags,
        summary: 'Go online or offline',
        description:
          'Sets the number\'s own presence for everyone: contacts receive `presence.update` with `online` or `offline` (a contact it blocked does not). For typing/recording in one chat, use `POST /:phoneNumber/chat/:chatId/presence`.' +
          NOTES,
      },
    })
}
