/**
 * WhatsApp channels (newsletters) of the simulated network: one shared record per
 * channel, so every number sees the same name, description and follower count, with
 * WhatsApp's rules:
 * - the creator owns it: only the owner posts (through the ordinary send routes to
 *   `…@newsletter`), and only the owner deletes it;
 * - anyone may look a channel up; following makes its posts arrive as messages in the
 *   chat `…@newsletter`; the owner cannot follow (or unfollow) their own channel;
 * - muting is a follower's own notification setting.
 */
import { randomBytes } from 'node:crypto'
import { BadRequestError, ForbiddenError, NotFoundError } from '../../errors'
import type { ChannelDTO, ChannelRole } from '../engine'

export interface ChannelState {
  id: string
  name: string
  description: string
  /** Phone number of the creator. */
  owner: string
  /** Phone numbers following it, each with whether they muted it. */
  followers: Map<string, { muted: boolean }>
  inviteCode: string
  createdAt: number
}

function channelId(): string {
  // Channel ids look like new-style group ids, on the newsletter server.
  const digits = Array.from(randomBytes(12), (b) => String(b % 10)).join('')
  return `120363${digits}@newsletter`
}

function inviteCode(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
  return Array.from(randomBytes(22), (b) => alphabet[b % alphabet.length]).join('')
}

export class ChannelRegistry {
  private readonly channels = new Map<string, ChannelState>()

  /** Every channel, for the durable state. */
  all(): ChannelState[] {
    return [...this.channels.values()]
  }

  restore(channels: readonly ChannelState[]): void {
    for (const channel of channels) this.channels.set(channel.id, channel)
  }

  get(channelId: string): ChannelState | undefined {
    return this.channels.get(channelId)
  }

  require(channelId: string): ChannelState {
    const channel = this.channels.get(channelId)
    if (!channel) throw new NotFoundError(`Channel ${channelId} not found`)
    return channel
  }

  roleOf(channel: ChannelState, phone: string): ChannelRole {
    if (channel.owner === phone) return 'OWNER'
    return channel.followers.has(phone) ? 'SUBSCRIBER' : 'GUEST'
  }

  dto(channel: ChannelState, phone: string): ChannelDTO {
    const follower = channel.followers.get(phone)
    return {
      id: channel.id,
      name: channel.name,
      description: channel.description,
      role: this.roleOf(channel, phone),
      subscribers: channel.followers.size,
      muted: follower?.muted ?? false,
      invite: `https://whatsapp.com/channel/${channel.inviteCode}`,
    }
  }

  /** Channels a number owns or follows, newest first. */
  forNumber(phone: string): ChannelState[] {
    return this.all()
      .filter((channel) => channel.owner === phone || channel.followers.has(phone))
      .sort((a, b) => b.createdAt - a.createdAt)
  }

  create(owner: string, name: string, description: string, createdAt: number): ChannelState {
    const channel: ChannelState = { id: channelId(), name, description, owner, followers: new Map(), inviteCode: inviteCode(), createdAt }
    this.channels.set(channel.id, channel)
    return channel
  }

  /** Deletes a channel; returns who followed it. */
  delete(phone: string, channelId: string): string[] {
    const channel = this.require(channelId)
    if (channel.owner !== phone) throw new ForbiddenError('Only the owner of a channel can delete it')
    this.channels.delete(channelId)
    return [...channel.followers.keys()]
  }

  follow(phone: string, channelId: string, follow: boolean): void {
    const channel = this.require(channelId)
    if (channel.owner === phone) throw new BadRequestError(`You own channel ${channelId}: its owner neither follows nor unfollows it`)
    if (follow) {
      if (!channel.followers.has(phone)) channel.followers.set(phone, { muted: false })
    } else channel.followers.delete(phone)
  }

  mute(phone: string, channelId: string, muted: boolean): void {
    const channel = this.require(channelId)
    const follower = channel.followers.get(phone)
    if (!follower) throw new BadRequestError(`Follow channel ${channelId} before muting or unmuting it`)
    follower.muted = muted
  }

  /** Who a post reaches; 403 for anyone but the owner. */
  postTargets(phone: string, channelId: string): string[] {
    const channel = this.require(channelId)
    if (channel.owner !== phone) throw new ForbiddenError('Only the owner of a channel can post to it')
    return [...channel.followers.keys()]
  }
}
