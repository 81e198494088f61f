/** §6 contact routes. */
import { Elysia } from 'elysia'
import { authGuards, type GuardDeps } from '../../auth/guards'
import { PhoneParams } from '../common/model'
import { connectedErrors, PhoneContactParams } from '../common/whatsapp-model'
import { BlockBody, BlockResult, Contact, ContactList, NumberCheck, ProfilePicture } from './model'
import type { ContactsService } from './service'

const tags = ['Contacts']

export function contactsModule(deps: GuardDeps, service: ContactsService) {
  return new Elysia({ name: 'contacts', seed: deps })
    .use(authGuards(deps))
    .get('/:phoneNumber/contacts', ({ phoneNumber }) => service.list(phoneNumber), {
      requireSingleAccountProtected: true,
      params: PhoneParams,
      response: { 200: ContactList, ...connectedErrors },
      detail: { tags, summary: 'List contacts', description: 'The people the number knows: its address book and the people it has chatted with, with their block state. Answers `{contacts: [...]}` (an object like the other lists, so fields can be added later; WAHA answers a bare array).' },
    })
    .post('/:phoneNumber/contact/block', ({ phoneNumber, body }) => service.setBlocked(phoneNumber, body.contactId, true), {
      requireSingleAccountProtected: true,
      params: PhoneParams,
      body: BlockBody,
      response: { 200: BlockResult, ...connectedErrors },
      detail: { tags, summary: 'Block a contact', description: 'The contact can no longer message or call this number, and does not see its presence.' },
    })
    .post('/:phoneNumber/contact/unblock', ({ phoneNumber, body }) => service.setBlocked(phoneNumber, body.contactId, false), {
      requireSingleAccountProtected: true,
      params: PhoneParams,
      body: BlockBody,
      response: { 200: BlockResult, ...connectedErrors },
      detail: { tags, summary: 'Unblock a contact', description: 'Undoes a block.' },
    })
    .get('/:phoneNumber/contact/:contactId', ({ phoneNumber, params }) => service.get(phoneNumber, params.contactId), {
      requireSingleAccountProtected: true,
      params: PhoneContactParams,
      response: { 200: Contact, ...connectedErrors },
      detail: { tags, summary: 'Get a contact', description: 'One contact. 404 for a contact the number does not know.' },
    })
    .get('/:phoneNumber/contact/:contactId/profile-picture', ({ phoneNumber, params }) => service.profilePicture(phoneNumber, params.contactId), {
      requireSingleAccountProtected: true,
      params: PhoneContactParams,
      response: { 200: ProfilePicture, ...connectedErrors },
      detail: {
        tags,
        summary: 'Get a profile picture',
        description: "The profile picture URL of a contact, or of a group (pass its `…@g.us` id); `null` when there is none. WhatsApp's picture URLs expire after a while: fetch them soon.",
      },
    })
    .get('/:phoneNumber/contact/:contactId/exists', ({ phoneNumber, params }) => service.exists(phoneNumber, params.contactId), {
      requireSingleAccountProtected: true,
      params: PhoneContactParams,
      response: { 200: NumberCheck, ...connectedErrors },
      detail: { tags, summary: 'Check a number', description: 'Whether a phone number (`:contactId` = the number, with or without +) is on WhatsApp, and the chat id to use for it.' },
    })
}
