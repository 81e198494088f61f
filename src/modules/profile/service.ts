/** The number's own profile: name, about text, picture. */
import type { MessagingDeps } from '../../messaging'
import type { OwnPresence } from '../../providers/engine'
import type { SessionManager } from '../../sessions/manager'

export class ProfileService {
  constructor(
    private readonly sessions: SessionManager,
    private readonly deps: MessagingDeps,
  ) {}

  async get(phone: string) {
    const engine = await this.sessions.requireConnected(phone, 'profile.get')
    return engine.getProfile()
  }

  async setName(phone: string, name: string) {
    const engine = await this.sessions.requireConnected(phone, 'profile.name')
    await engine.setProfileName(name)
    return { success: true }
  }

  async setStatus(phone: string, status: string) {
    const engine = await this.sessions.requireConnected(phone, 'profile.status')
    await engine.setProfileStatus(status)
    return { success: true }
  }

  async setPicture(phone: string, body: { imageUrl: string; mimeType?: string }) {
    const engine = await this.sessions.requireConnected(phone, 'profile.picture')
    const picture = await this.deps.media.resolve('image', { value: body.imageUrl, field: 'imageUrl', ...(body.mimeType !== undefined && { mimeType: body.mimeType }) })
    await engine.setProfilePicture(picture)
    return { success: true }
  }

  async deletePicture(phone: string) {
    const engine = await this.sessions.requireConnected(phone, 'profile.pictureDelete')
    await engine.deleteProfilePicture()
    return { success: true }
  }

  async setPresence(phone: string, state: OwnPresence) {
    const engine = await this.sessions.requireConnected(phone, 'presence.set')
    await engine.setOwnPresence(state)
    return { success: true }
  }
}
