/** Contacts in the words of the API: the address book, profile pictures, number checks, blocking. */
import { BadRequestError } from '../../errors'
import { normalizeContactId, normalizePhone, normalizePictureOwnerId } from '../../lib/chat-id'
import type { NumberCheck } from '../../providers/engine'
import type { SessionManager } from '../../sessions/manager'

/** Checks of one batch in flight at once: WhatsApp answers each number separately and rate-limits bursts. */
const CHECK_CONCURRENCY = 4

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

  // ─── §12 ─────────────────────────────────────────────────────────────────

  async about(phone: string, rawId: string) {
    const contactId = normalizeContactId(rawId)
    const engine = await this.sessions.requireConnected(phone, 'contacts.about')
    return { about: await engine.getContactAbout(contactId) }
  }

  async save(phone: string, rawId: string, body: { firstName: string; lastName?: string }) {
    const contactId = normalizeContactId(rawId)
    const firstName = body.firstName.trim()
    const lastName = body.lastName?.trim()
    if (firstName === '') throw new BadRequestError('firstName must not be blank', { field: 'firstName' })
    const engine = await this.sessions.requireConnected(phone, 'contacts.save')
    await engine.saveContact(contactId, { firstName, ...(lastName && { lastName }) })
    return { success: true, contactId, name: [firstName, lastName].filter(Boolean).join(' ') }
  }

  /** In the order given; a number given twice is checked once and answered twice. */
  async checkMany(phone: string, rawNumbers: string[]) {
    const numbers = rawNumbers.map((raw, index) => normalizePhone(raw, `numbers[${index}]`))
    const engine = await this.sessions.requireConnected(phone, 'contacts.exists')
    const unique = [...new Set(numbers)]
    const results = new Map<string, NumberCheck>()
    let next = 0
    const worker = async () => {
      while (next < unique.length) {
        const number = unique[next++]!
        results.set(number, await engine.checkNumber(number))
      }
    }
    await Promise.all(Array.from({ length: Math.min(CHECK_CONCURRENCY, unique.length) }, worker))
    return numbers.map((number) => results.get(number)!)
  }
}
