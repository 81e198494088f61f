/**
 * The simulator's durable rows: one head row per account and one row per message, so a
 * save writes what changed; rows of the earlier layout (every message inside the account's
 * row) still load, in order, and are split into message rows at the next save.
 */
import { expect, test } from 'bun:test'
import { SimulatorNetwork } from '../../../src/providers/simulator/network'
import { encode, type StateRow } from '../../../src/providers/simulator/state'
import type { StoredMessage } from '../../../src/providers/simulator/account'

const PHONE = '966500000001'
const CHAT = '966500000002@c.us'

/** A store keeping rows in memory, recording what each save wrote and deleted. */
function memoryStore(initial: StateRow[] = []) {
  const rows = new Map(initial.map((row) => [row.key, row.state]))
  const saves: Array<{ keys: string[]; removedKeys: string[] }> = []
  return {
    rows,
    saves,
    async load() {
      return [...rows].sort(([a], [b]) => a.localeCompare(b)).map(([key, state]) => ({ key, state }))
    },
    async save(written: StateRow[], removedKeys: string[] = []) {
      for (const key of removedKeys) rows.delete(key)
      for (const row of written) rows.set(row.key, row.state)
      saves.push({ keys: written.map((row) => row.key), removedKeys })
    },
  }
}

function message(id: string, body: string): StoredMessage {
  return {
    key: id,
    dto: { id, timestamp: 1767225600, chatId: CHAT, from: CHAT, to: `${PHONE}@c.us`, fromMe: false, type: 'text', body, hasMedia: false, ack: 2 },
  } as StoredMessage
}

test('an account row of the earlier layout loads in order and is split into message rows at the next save', async () => {
  // Ids in reverse alphabetical order: the rows come back sorted by key, the chat must not.
  const messages = [message('z-first', 'one'), message('m-second', 'two'), message('a-third', 'three')]
  const earlier = encode({
    phone: PHONE,
    chats: [{ id: CHAT, unreadCount: 3, archived: false, pinned: false, markedUnread: false, labels: [], messages, createdAt: 1767225600 }],
    blocked: new Set(),
    inbox: [],
  })
  const store = memoryStore([{ key: `account:${PHONE}`, state: earlier }])
  const network = new SimulatorNetwork(store)
  await network.restore()
  expect(network.account(PHONE).chats.get(CHAT)!.messages.map((m) => m.dto.body)).toEqual(['one', 'two', 'three'])

  await network.flush()
  expect(store.saves).toHaveLength(1)
  // The head is rewritten without its messages in the same save, so they are never loaded twice.
  expect(store.saves[0]!.keys.sort()).toEqual([`account:${PHONE}`, `message:${PHONE}:a-third`, `message:${PHONE}:m-second`, `message:${PHONE}:z-first`].sort())
  expect(store.rows.get(`account:${PHONE}`)).not.toContain('"body"')
  // Nothing changed since: nothing more to write.
  await network.flush()
  expect(store.saves).toHaveLength(1)

  // The account changes: its head is written (without the messages), and only the new message.
  const account = network.account(PHONE)
  account.add(CHAT, message('b-fourth', 'four'))
  network.changed(PHONE)
  account.remove('m-second')
  await network.flush()
  expect(store.saves[1]!.keys.sort()).toEqual([`account:${PHONE}`, `message:${PHONE}:b-fourth`, 'world'].sort())
  expect(store.saves[1]!.removedKeys).toEqual([`message:${PHONE}:m-second`])

  const again = new SimulatorNetwork(memoryStore([...store.rows].map(([key, state]) => ({ key, state }))))
  await again.restore()
  const chat = again.account(PHONE).chats.get(CHAT)!
  expect(chat.messages.map((m) => m.dto.body)).toEqual(['one', 'three', 'four'])
  expect(chat.unreadCount).toBe(3)
  expect(again.account(PHONE).findByKey(CHAT, 'b-fourth')?.dto.body).toBe('four')
})
