/**
 * WhatsApp channels (newsletters, §12) in the words of the API. Posting is not here: the
 * ordinary send routes take a `…@newsletter` chat id.
 */
import { normalizeChannelId } from '../../lib/chat-id'
import type { ChannelDTO } from '../../providers/engine'
import type { SessionManager } from '../../sessions/manager'
import type { ChannelAction } from './model'

export class ChannelsService {
  constructor(private readonly sessions: SessionManager) {}

  async list(phone: string): Promise<ChannelDTO[]> {
    const engine = await this.sessions.requireConnected(phone, 'channels.list')
    return engine.listChannels()
  }

  async get(phone: string, rawChannelId: string): Promise<ChannelDTO> {
    const channelId = normalizeChannelId(rawChannelId)
    const engine = await this.sessions.requireConnected(phone, 'channels.get')
    return engine.getChannel(channelId)
  }

  async create(phone: string, name: string, description: string | undefined): Promise<{ id: string; channel: ChannelDTO }> {
    const engine = await this.sessions.requireConnected(phone, 'channels.create')
    const channel = await engine.createChannel(name, description)
    return { id: channel.id, channel }
  }

  async remove(phone: string, rawChannelId: string): Promise<{ success: boolean }> {
    const channelId = normalizeChannelId(rawChannelId)
    const engine = await this.sessions.requireConnected(phone, 'channels.delete')
    await engine.deleteChannel(channelId)
    return { success: true }
  }

  async act(phone: string, rawChannelId: string, action: ChannelAction): Promise<{ success: boolean }> {
    const channelId = normalizeChannelId(rawChannelId)
    const following = action === 'follow' || action === 'unfollow'
    const engine = await this.sessions.requireConnected(phone, following ? 'channels.follow' : 'channels.mute')
    if (following) await engine.followChannel(channelId, action === 'follow')
    else await engine.muteChannel(channelId, action === 'mute')
    return { success: true }
  }
}
