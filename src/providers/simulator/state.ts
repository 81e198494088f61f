/**
 * The simulated network's state as durable rows, so the simulator keeps what a phone
 * keeps across a server restart: chats with their messages (to quote, react to, edit),
 * contacts, block lists, profiles, groups, and packets still waiting for an offline
 * number. Per account a head row (`account:<phone>`: chats without their messages, block
 * list, inbox) and one row per message (`message:<phone>:<id>`, with its chat and arrival
 * order), so a busy phone's save writes what changed rather than its whole history;
 * plus one row for what is shared (`world`). A head row of the earlier layout (chats with
 * their messages inside) still loads, and is split into rows at the next save.
 *
 * The engine knows no database: the server hands it a store (EngineHost.stateStore,
 * kept in SQLite or Postgres by src/storage). Maps, Sets and bytes are tagged in the JSON so they come
 * back as what they were.
 */
import type { EngineStateStore } from '../engine'
import { Account, type CallRecord, type ChatState, type SavedName, type StoredMessage } from './account'
import type { ChannelState } from './channels'
import type { StoredLabel } from './labels'
import type { GroupState } from './groups'
import type { AccountProfile } from './network'
import type { Packet } from './wire'

/** Where the simulator keeps its rows: the server's EngineHost.stateStore (src/storage). */
export type SimulatorStateStore = EngineStateStore
export type StateRow = Awaited<ReturnType<EngineStateStore['load']>>[number]

export const WORLD_KEY = 'world'
export const accountKey = (phone: string) => `account:${phone}`
const MESSAGE_PREFIX = 'message:'
export const messageKey = (phone: string, messageId: string) => `${MESSAGE_PREFIX}${phone}:${messageId}`
export const isMessageKey = (key: string) => key.startsWith(MESSAGE_PREFIX)

export interface WorldState {
  profiles: Map<string, AccountProfile>
  outside: Set<string>
  groups: GroupState[]
  /** Absent in rows written before channels existed. */
  channels?: ChannelState[]
}

interface AccountState {
  phone: string
  /** Without their messages (those are rows of their own); with them in rows of the earlier layout. */
  chats: Array<Omit<ChatState, 'messages'> & { messages?: StoredMessage[] }>
  blocked: Set<string>
  inbox: Packet[]
  /** Absent in rows written before labels and calls existed: the starter labels, no calls. */
  labels?: Map<string, StoredLabel>
  calls?: Map<string, CallRecord>
  /** Absent in rows written before contacts could be saved. */
  savedNames?: Map<string, SavedName>
}

interface MessageState {
  phone: string
  chatId: string
  order: number
  message: StoredMessage
}

function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  // `this[key]` is the value before toJSON (a Buffer would already be {type, data}).
  const raw = this[key]
  if (raw instanceof Map) return { $map: [...raw.entries()] }
  if (raw instanceof Set) return { $set: [...raw] }
  if (raw instanceof Uint8Array) return { $bytes: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') }
  return value
}

function reviver(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const tagged = value as Record<string, unknown>
    if (Array.isArray(tagged.$map)) return new Map(tagged.$map as Array<[unknown, unknown]>)
    if (Array.isArray(tagged.$set)) return new Set(tagged.$set)
    if (typeof tagged.$bytes === 'string') return new Uint8Array(Buffer.from(tagged.$bytes, 'base64'))
  }
  return value
}

export function encode(value: unknown): string {
  return JSON.stringify(value, replacer)
}

export function decode<T>(text: string): T {
  return JSON.parse(text, reviver) as T
}

/** The account's head row: everything but the messages. */
export function encodeAccount(account: Account): string {
  const chats = [...account.chats.values()].map(({ messages: _messages, ...chat }) => chat)
  return encode({ phone: account.phone, chats, blocked: account.blocked, inbox: account.inbox, savedNames: account.savedNames, labels: account.labels, calls: account.calls } satisfies AccountState)
}

/** What a save of this account writes and deletes: its head, the messages added or changed, the ids of those gone. */
export function accountChanges(account: Account, headChanged: boolean): { rows: StateRow[]; removedKeys: string[] } {
  const rows: StateRow[] = []
  if (headChanged) rows.push({ key: accountKey(account.phone), state: encodeAccount(account) })
  for (const message of account.unsaved) {
    rows.push({ key: messageKey(account.phone, message.dto.id), state: encode({ phone: account.phone, chatId: message.dto.chatId, order: account.orderOf(message), message } satisfies MessageState) })
  }
  const removedKeys = [...account.removed].map((id) => messageKey(account.phone, id))
  account.unsaved.clear()
  account.removed.clear()
  return { rows, removedKeys }
}

export function decodeAccount(text: string): Account {
  const state = decode<AccountState>(text)
  const account = new Account(state.phone)
  let order = 0
  for (const { messages, ...chat } of state.chats) {
    account.chats.set(chat.id, { ...chat, messages: [] })
    // The earlier layout: the messages are in the head; they get rows of their own at the next save.
    for (const message of messages ?? []) {
      account.restore(chat.id, message, order++)
      account.touch(message)
    }
  }
  for (const blocked of state.blocked) account.blocked.add(blocked)
  account.inbox.push(...state.inbox)
  if (state.labels) account.labels = state.labels
  for (const [id, call] of state.calls ?? []) account.calls.set(id, call)
  for (const [id, name] of state.savedNames ?? []) account.savedNames.set(id, name)
  return account
}

/** A message row: the account it belongs to, and the message to put back in its chat, in order. */
export function decodeMessage(text: string): MessageState {
  return decode<MessageState>(text)
}

export function encodeWorld(world: WorldState): string {
  return encode(world)
}

export function decodeWorld(text: string): WorldState {
  return decode<WorldState>(text)
}
