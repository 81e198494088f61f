/**
 * Issue 13 part B on whatsapp-web.js: WhatsApp Business labels, calls and channels.
 * Pure mappings onto the typed Client, each turning whatsapp-web.js's refusals ("false",
 * an error string, `[LT01] Only Whatsapp business`) into the typed errors the routes
 * expect; the session wires them into `op`.
 */
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, UpstreamError } from '../../errors'
import { labelColorIndex } from '../../lib/label-colors'
import { CHANNEL_ROLES, type ChannelDTO, type ChannelRole, type EngineEvent, type LabelDTO } from '../engine'
import type { WCall, WChannel, WebjsClient, WLabel } from './client'

/** How long a call rings before WhatsApp gives up on it. */
export const CALL_RING_MS = 60_000

export function toLabelDTO(label: WLabel): LabelDTO {
  const colorHex = String(label.hexColor ?? '').toLowerCase()
  return { id: String(label.id), name: label.name, color: labelColorIndex(colorHex), colorHex }
}

/** whatsapp-web.js throws this string from the page on an account that is not WhatsApp Business. */
function businessOnly(error: unknown): never {
  if (String(error).includes('LT01')) throw new ForbiddenError('Labels are a WhatsApp Business feature; this number uses WhatsApp Messenger')
  throw error
}

export async function labels(client: WebjsClient): Promise<LabelDTO[]> {
  return (await client.getLabels().catch(businessOnly)).map(toLabelDTO)
}

export async function requireLabel(client: WebjsClient, labelId: string): Promise<LabelDTO> {
  const label = (await labels(client)).find((candidate) => candidate.id === labelId)
  if (!label) throw new NotFoundError(`Label ${labelId} not found`)
  return label
}

/**
 * Replaces a chat's labels (whatsapp-web.js's addOrRemoveLabels removes those not given)
 * and returns the events for what changed, as the phone would show them.
 */
export async function setChatLabels(client: WebjsClient, chatId: string, labelIds: string[]): Promise<EngineEvent[]> {
  const all = await labels(client)
  const unknown = labelIds.filter((id) => !all.some((label) => label.id === id))
  if (unknown.length > 0) throw new BadRequestError(`Unknown label ids: ${unknown.join(', ')} (GET /:phoneNumber/labels lists them)`, { field: 'labelIds', unknown })
  const before = (await client.getChatLabels(chatId).catch(businessOnly)).map((label) => String(label.id))
  await client.addOrRemoveLabels(labelIds, [chatId]).catch(businessOnly)
  const labelOf = (id: string) => all.find((label) => label.id === id) ?? null
  return [
    ...before.filter((id) => !labelIds.includes(id)).map((labelId): EngineEvent => ({ type: 'label.chat.deleted', labelId, chatId, label: labelOf(labelId) })),
    ...labelIds.filter((id) => !before.includes(id)).map((labelId): EngineEvent => ({ type: 'label.chat.added', labelId, chatId, label: labelOf(labelId) })),
  ]
}

/** Calls ringing on this number, kept from the `call` event until they are rejected or stop ringing. */
export class RingingCalls {
  private readonly calls = new Map<string, { call: WCall; at: number; rejected: boolean }>()

  constructor(private readonly now: () => number = Date.now) {}

  ringing(call: WCall): void {
    for (const [id, entry] of this.calls) if (this.now() - entry.at > CALL_RING_MS) this.calls.delete(id)
    this.calls.set(String(call.id), { call, at: this.now(), rejected: false })
  }

  async reject(callId: string): Promise<void> {
    const entry = this.calls.get(callId)
    if (!entry || this.now() - entry.at > CALL_RING_MS) throw new NotFoundError(`No call ${callId} is ringing`)
    if (entry.rejected) throw new ConflictError(`Call ${callId} was rejected already`)
    await entry.call.reject()
    entry.rejected = true
  }
}

function roleOf(channel: WChannel): ChannelRole {
  const role = String(channel.channelMetadata?.membershipType ?? 'guest').toUpperCase()
  return (CHANNEL_ROLES as readonly string[]).includes(role) ? (role as ChannelRole) : 'GUEST'
}

export function isChannel(chat: unknown): chat is WChannel {
  return typeof chat === 'object' && chat !== null && (chat as Partial<WChannel>).isChannel === true && typeof (chat as Partial<WChannel>).mute === 'function'
}

export function toChannelDTO(channel: WChannel): ChannelDTO {
  const metadata = channel.channelMetadata
  return {
    id: channel.id._serialized,
    name: channel.name ?? '',
    description: channel.description ?? '',
    role: roleOf(channel),
    ...(typeof metadata?.subscribersCount === 'number' && { subscribers: metadata.subscribersCount }),
    ...(channel.isMuted !== undefined && { muted: channel.isMuted === true }),
    ...(metadata?.inviteCode && { invite: `https://whatsapp.com/channel/${metadata.inviteCode}` }),
  }
}

/** The channel as WhatsApp Web has it (getChatById answers channels too); 404 when it is not one. */
export async function channel(client: WebjsClient, channelId: string): Promise<WChannel> {
  const found: unknown = await client.getChatById(channelId).catch(() => undefined)
  if (!isChannel(found)) throw new NotFoundError(`Channel ${channelId} not found`)
  return found
}

export async function listChannels(client: WebjsClient): Promise<ChannelDTO[]> {
  // getChannels also holds channels only looked at (GUEST): the list is those followed or run.
  return (await client.getChannels()).map(toChannelDTO).filter((dto) => dto.role !== 'GUEST')
}

export async function createChannel(client: WebjsClient, name: string, description?: string): Promise<ChannelDTO> {
  const result = await client.createChannel(name, description === undefined ? {} : { description })
  // whatsapp-web.js answers a sentence instead of a result when WhatsApp refuses.
  if (typeof result === 'string') throw new UpstreamError(`WhatsApp Web could not create the channel: ${result}`)
  const id = result.nid._serialized
  const code = result.inviteLink?.split('/').pop()
  return { id, name: result.title ?? name, description: description ?? '', role: 'OWNER', subscribers: 0, muted: false, ...(code && { invite: `https://whatsapp.com/channel/${code}` }) }
}

export async function deleteChannel(client: WebjsClient, channelId: string): Promise<void> {
  const found = await channel(client, channelId)
  if (roleOf(found) !== 'OWNER') throw new ForbiddenError('Only the owner of a channel can delete it')
  if (!(await client.deleteChannel(channelId))) throw new UpstreamError('WhatsApp Web did not delete the channel')
}

export async function followChannel(client: WebjsClient, channelId: string, follow: boolean): Promise<void> {
  const found = await channel(client, channelId)
  if (roleOf(found) === 'OWNER') throw new BadRequestError(`You own channel ${channelId}: its owner neither follows nor unfollows it`)
  const done = follow ? await client.subscribeToChannel(channelId) : await client.unsubscribeFromChannel(channelId)
  if (!done) throw new UpstreamError(`WhatsApp Web did not ${follow ? 'follow' : 'unfollow'} the channel`)
}

export async function muteChannel(client: WebjsClient, channelId: string, muted: boolean): Promise<void> {
  const found = await channel(client, channelId)
  if (roleOf(found) === 'GUEST') throw new BadRequestError(`Follow channel ${channelId} before muting or unmuting it`)
  const done = muted ? await found.mute() : await found.unmute()
  if (!done) throw new UpstreamError(`WhatsApp Web did not ${muted ? 'mute' : 'unmute'} the channel`)
}
