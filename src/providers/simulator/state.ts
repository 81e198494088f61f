/**
 * The simulated network's state as durable rows, so the simulator keeps what a phone
 * keeps across a server restart: chats with their messages (to quote, react to, edit),
 * contacts, block lists, profiles, groups, and packets still waiting for an offline
 * number. One row per account (`account:<phone>`) plus one for what is shared (`world`).
 *
 * The engine knows no database: the server hands it a store (EngineHost.stateStore,
 * kept in SQLite or Postgres by src/storage). Maps, Sets and bytes are tagged in the JSON so they come
 * back as what they were.
 */
import type { EngineStateStore } from '../engine'
import { Account, type ChatState, type SavedName } from './account'
import type { GroupState } from './groups'
import type { AccountProfile } from './network'
import type { Packet } from './wire'

/** Where the simulator keeps its rows: the server's EngineHost.stateStore (src/storage). */
export type SimulatorStateStore = EngineStateStore
export type StateRow = Awaited<ReturnType<EngineStateStore['load']>>[number]

export const WORLD_KEY = 'world'
export const accountKey = (phone: string) => `account:${phone}`

export interface WorldState {
  profiles: Map<string, AccountProfile>
  outside: Set<string>
  groups: GroupState[]
}

interface AccountState {
  phone: string
  chats: ChatState[]
  blocked: Set<string>
  inbox: Packet[]
  /** Absent in rows written before contacts could be saved. */
  savedNames?: Map<string, SavedName>
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

export function encodeAccount(account: Account): string {
  return encode({ phone: account.phone, chats: [...account.chats.values()], blocked: account.blocked, inbox: account.inbox, savedNames: account.savedNames } satisfies AccountState)
}

export function decodeAccount(text: string): Account {
  const state = decode<AccountState>(text)
  const account = new Account(state.phone)
  for (const chat of state.chats) {
    account.chats.set(chat.id, chat)
    for (const message of chat.messages) account.byId.set(message.dto.id, message)
  }
  for (const blocked of state.blocked) account.blocked.add(blocked)
  account.inbox.push(...state.inbox)
  for (const [id, name] of state.savedNames ?? []) account.savedNames.set(id, name)
  return account
}

export function encodeWorld(world: WorldState): string {
  return encode(world)
}

export function decodeWorld(text: string): WorldState {
  return decode<WorldState>(text)
}
