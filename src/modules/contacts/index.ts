/** §6 contact routes. */
import { Elysia } from 'elysia'
import { authGuards, type GuardDeps } from '../../auth/guards'
import { PhoneParams } from '../common/model'
import { connectedErrors, PhoneContactParams } from '../common/whatsapp-model'
import { About, BlockBody, BlockResult, CheckNumbersBody, Contact, ContactList, MAX_NUMBERS_PER_CHECK, NumberCheck, NumberCheckList, ProfilePicture, SavedContact, SaveContactBody } from './model'
import type { ContactsService } from './service'

const tags = ['Contacts']
const NOTES = ' Needs a CONNECTED session (409 otherwise) whose engine can do it (501 NOT_SUPPORTED otherwise, see `capabilities` in `GET /:phoneNumber/state`).'

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
    .get('/:phoneNumber/contact/:contactId/about', ({ phoneNumber, params }) => service.about(phoneNumber, params.contactId), {
      requireSingleAccountProtected: true,
      params: PhoneContactParams,
      response: { 200: About, ...connectedErrors },
      detail: { tags, summary: "Get a contact's about text", description: 'The "about" line the person set; `null` when there is none or their privacy hides it. 404 for a contact the number does not know.' + NOTES },
    })
    .put('/:phoneNumber/contact/:contactId', ({ phoneNumber, params, body }) => service.save(phoneNumber, params.contactId, body), {
      requireSingleAccountProtected: true,
      params: PhoneContactParams,
      body: SaveContactBody,
      response: { 200: SavedContact, ...connectedErrors },
      detail: {
        tags,
        summary: 'Save a contact',
        description: "Saves the number in the phone's address book under this name, or renames it there: `GET /contacts` then shows it with that `name` and `isMyContact: true`. 400 for a group or this number itself." + NOTES,
      },
    })
    .post('/:phoneNumber/contacts/check', ({ phoneNumber, body }) => service.checkMany(phoneNumber, body.numbers), {
      requireSingleAccountProtected: true,
      params: PhoneParams,
      body: CheckNumbersBody,
      response: { 200: NumberCheckList, ...connectedErrors },
      detail: {
        tags,
        summary: 'Check many numbers',
        description: `Whether each of up to ${MAX_NUMBERS_PER_CHECK} phone numbers is on WhatsApp, and the chat id to use, in the order given (400 naming the first that is not a phone number, or for more than ${MAX_NUMBERS_PER_CHECK}).` + NOTES,
      },
    })
}
