/** Contacts in the words of the API: the address book, profile pictures, number checks, blocking. */
import { normalizeContactId, normalizePhone, normalizePictureOwnerId } from '../../lib/chat-id'
import type { SessionManager } from '../../sessions/manager'

export class ContactsService {
  constructor(private readonly sessions: SessionManager) {}

  async list(phone: string) {
    const engine = await this.sessions.requireConnected(phone, 'contacts.list')
    return { contacts: await engine.listContacts() }
  }

  async get(phone: string, rawId: string) {
    const contactId = normalizeContactId(rawId)
    const engine = await this.sessions.requireConnected(phone, 'contacts.get')
    return engine.getContact(contactId)
  }

  async profilePicture(phone: string, rawId: string) {
    const id = normalizePictureOwnerId(rawId)
    const engine = await this.sessions.requireConnected(phone, 'contacts.profilePicture')
    return { url: await engine.getProfilePictureUrl(id) }
  }

  async exists(phone: string, rawNumber: string) {
    const number = normalizePhone(rawNumber)
    const engine = await this.sessions.requireConnected(phone, 'contacts.exists')
    return engine.checkNumber(number)
  }

  async setBlocked(phone: string, rawId: string, blocked: boolean) {
    const contactId = normalizeContactId(rawId)
    const engine = await this.sessions.requireConnected(phone, 'contacts.block')
    await engine.setBlocked(contactId, blocked)
    return { success: true, contactId, isBlocked: blocked }
  }
}
