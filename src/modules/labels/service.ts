/**
 * WhatsApp Business labels (§12) in the words of the API: each checks the engine's
 * capability (501 otherwise) before touching it.
 */
import { BadRequestError, NotFoundError } from '../../errors'
import { labelColorIndex } from '../../lib/label-colors'
import { normalizeChatId } from '../../lib/chat-id'
import type { LabelDTO } from '../../providers/engine'
import type { SessionManager } from '../../sessions/manager'
import { chatView } from '../chats/service'

export interface LabelColorInput {
  color?: number
  colorHex?: string
}

function colorOf(input: LabelColorInput): number | undefined {
  if (input.color !== undefined) return input.color
  if (input.colorHex !== undefined) return labelColorIndex(input.colorHex)
  return undefined
}

export class LabelsService {
  constructor(private readonly sessions: SessionManager) {}

  async list(phone: string): Promise<LabelDTO[]> {
    const engine = await this.sessions.requireConnected(phone, 'labels.list')
    return engine.getLabels()
  }

  async create(phone: string, body: { name: string } & LabelColorInput): Promise<LabelDTO> {
    const engine = await this.sessions.requireConnected(phone, 'labels.manage')
    return engine.saveLabel({ name: body.name, color: colorOf(body) ?? 0 })
  }

  async update(phone: string, labelId: string, body: { name?: string } & LabelColorInput): Promise<LabelDTO> {
    if (body.name === undefined && colorOf(body) === undefined) throw new BadRequestError('Give name, color or colorHex to change')
    const engine = await this.sessions.requireConnected(phone, 'labels.manage')
    const current = (await engine.getLabels()).find((label) => label.id === labelId)
    if (!current) throw new NotFoundError(`Label ${labelId} not found`)
    return engine.saveLabel({ id: labelId, name: body.name ?? current.name, color: colorOf(body) ?? current.color })
  }

  async remove(phone: string, labelId: string): Promise<{ success: boolean }> {
    const engine = await this.sessions.requireConnected(phone, 'labels.manage')
    await engine.deleteLabel(labelId)
    return { success: true }
  }

  async chats(phone: string, labelId: string) {
    const engine = await this.sessions.requireConnected(phone, 'labels.chats')
    return (await engine.getLabelChats(labelId)).map(chatView)
  }

  /** The labels on one chat (WAHA's GET /labels/chats/{chatId}); engines whose chats do not carry them are asked label by label. */
  async chatLabels(phone: string, rawChatId: string): Promise<LabelDTO[]> {
    const chatId = normalizeChatId(rawChatId)
    const engine = await this.sessions.requireConnected(phone, 'labels.list')
    const all = await engine.getLabels()
    const chat = engine.capabilities.has('chats.get') ? await engine.getChat(chatId) : undefined
    if (chat?.labels !== undefined) return all.filter((label) => chat.labels!.includes(label.id))
    if (!engine.capabilities.has('labels.chats')) return []
    const carrying = await Promise.all(all.map(async (label) => ((await engine.getLabelChats(label.id)).some((c) => c.id === chatId) ? label : undefined)))
    return carrying.filter((label): label is LabelDTO => label !== undefined)
  }

  async setChatLabels(phone: string, rawChatId: string, labelIds: string[]): Promise<{ labels: LabelDTO[] }> {
    const chatId = normalizeChatId(rawChatId)
    const engine = await this.sessions.requireConnected(phone, 'labels.assign')
    await engine.setChatLabels(chatId, [...new Set(labelIds)])
    // The labels as the engine now has them on the chat.
    const chat = await engine.getChat(chatId).catch(() => undefined)
    const ids = new Set(chat?.labels ?? labelIds)
    const all = engine.capabilities.has('labels.list') ? await engine.getLabels() : []
    return { labels: all.filter((label) => ids.has(label.id)) }
  }
}
