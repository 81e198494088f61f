/**
 * The simulated phones keep their state across a server restart, as real phones do:
 * chats, contacts and groups are listed again, and a message from before the restart can
 * be quoted and reacted to. On SQLite and on a throwaway Postgres.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { createTestServer, tempDir, waitFor, type TestServer } from '../../helpers/app'
import { startPostgres, type PostgresCluster } from '../../helpers/postgres'
import { A, B, historyWhen, jid, sendText } from '../../helpers/whatsapp'

let cluster: PostgresCluster | undefined

afterAll(async () => {
  await cluster?.stop()
})

/** Starts the number again: its pairing is kept, so it connects without a QR. */
async function working(server: TestServer, phone: string): Promise<void> {
  expect((await server.call('POST', `/${phone}/start`)).status).toBe(200)
  await waitFor(async () => (await server.call<{ status: string }>('GET', `/${phone}/state`)).body.status === 'WORKING', 10_000)
}

async function scenario(env: Record<string, string>): Promise<void> {
  const dataDir = tempDir()
  let server = await createTestServer(env, {}, dataDir)
  try {
    await server.link(A)
    await server.link(B)
    const hello = await sendText(server, A, B, 'Hello from before the restart')
    const group = await server.call<{ id: string }>('POST', `/${B}/group/create`, { body: { name: 'Durable', participants: [A] } })
    expect(group.status).toBe(200)
    await sendText(server, B, group.body.id, 'Group hello')
    const received = (await historyWhen(server, B, jid(A), (messages) => messages.length === 1))[0]!
    expect((await server.call('POST', `/${A}/chat/${jid(B)}/archive`)).status).toBeLessThan(300)
    // Issue 13 part A: a saved name, an invite code, approval mode with a waiting request.
    expect((await server.call('PUT', `/${A}/contact/966500000077`, { body: { firstName: 'Courier' } })).status).toBe(200)
    expect((await server.call('POST', `/${B}/sandbox/incoming`, { body: { from: '966500000055', text: 'hi' } })).status).toBe(200)
    const guarded = await server.call<{ id: string }>('POST', `/${B}/group/create`, { body: { name: 'Guarded', participants: ['966500000055'] } })
    expect((await server.call('PUT', `/${B}/group/${guarded.body.id}`, { body: { membershipApproval: true } })).status).toBe(200)
    const link = (await server.call<{ inviteLink: string }>('GET', `/${B}/group/${guarded.body.id}/invite-link`)).body.inviteLink
    expect((await server.call('POST', `/${A}/group/join`, { body: { invite: link } })).body).toMatchObject({ pending: true })
    await server.deps.ingest.idle()
    await server.close({ keepData: true })

    server = await createTestServer(env, {}, dataDir)
    await working(server, A)
    await working(server, B)

    const chats = await server.call<{ chats: Array<{ id: string; archived: boolean }> }>('GET', `/${A}/chats`)
    expect(chats.status).toBe(200)
    expect(chats.body.chats.map((chat) => chat.id).sort()).toEqual([group.body.id, jid(B)].sort())
    expect(chats.body.chats.find((chat) => chat.id === jid(B))?.archived).toBe(true)
    const contacts = await server.call<{ contacts: Array<{ id: string }> }>('GET', `/${A}/contacts`)
    expect(contacts.body.contacts.map((contact) => contact.id)).toContain(jid(B))
    expect((await server.call('GET', `/${A}/contact/966500000077`)).body).toMatchObject({ name: 'Courier', isMyContact: true })
    expect((await server.call('GET', `/${A}/group/invite/${link.split('/').pop()}`)).body).toMatchObject({ groupId: guarded.body.id, membershipApproval: true })
    expect((await server.call<Array<{ id: string }>>('GET', `/${B}/group/${guarded.body.id}/requests`)).body.map((r) => r.id)).toEqual([jid(A)])
    expect((await server.call('POST', `/${B}/group/${guarded.body.id}/requests/approve`, { body: { participants: [A] } })).status).toBe(200)
    const groups = await server.call<{ groups: Array<{ id: string; subject: string }> }>('GET', `/${A}/groups`)
    expect(groups.body.groups.map((g) => g.id).sort()).toEqual([group.body.id, guarded.body.id].sort())
    expect(groups.body.groups.find((g) => g.id === group.body.id)).toMatchObject({ subject: 'Durable' })

    // B quotes and reacts to the message A sent before the restart; A sees both.
    const reply = await sendText(server, B, A, 'Got it, after the restart', { quotedMsgId: received.id })
    expect((await server.call('POST', `/${B}/messages/${received.id}/react`, { body: { emoji: '👍' } })).status).toBe(200)
    const atA = await historyWhen(server, A, jid(B), (messages) => messages.length === 2 && (messages[1]?.reactions?.length ?? 0) === 1)
    expect(atA[0]).toMatchObject({ body: 'Got it, after the restart', replyTo: { id: hello } })
    expect(atA[1]!.reactions).toEqual([expect.objectContaining({ emoji: '👍', from: jid(B) })])
    expect(reply).toStartWith('true_')
  } finally {
    await server.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

/** Changes made to messages after their send (votes, deletes) are written too, not only new messages. */
async function messageChanges(env: Record<string, string>): Promise<void> {
  const dataDir = tempDir()
  let server = await createTestServer(env, {}, dataDir)
  try {
    await server.link(A)
    await server.link(B)
    const poll = await server.call<{ messageId: string }>('POST', `/${A}/send-poll`, { body: { chatId: jid(B), name: 'Lunch?', options: ['Yes', 'No'] } })
    expect(poll.status).toBe(200)
    const atB = await historyWhen(server, B, jid(A), (messages) => messages.length === 1)
    expect((await server.call('POST', `/${B}/messages/${atB[0]!.id}/vote`, { body: { options: ['No'] } })).status).toBeLessThan(300)
    const votes = `/${A}/messages/${poll.body.messageId}/votes`
    await waitFor(async () => JSON.stringify((await server.call('GET', votes)).body).includes(jid(B)), 5_000)
    const gone = await sendText(server, A, jid(B), 'Deleted for me before the restart')
    expect((await server.call('POST', `/${A}/messages/${gone}/delete`, { body: { forEveryone: false } })).status).toBe(200)
    await server.deps.ingest.idle()
    await server.close({ keepData: true })

    server = await createTestServer(env, {}, dataDir)
    await working(server, A)
    await working(server, B)
    const after = await server.call<{ options: Array<{ name: string; voters: string[] }> }>('GET', votes)
    expect(after.status).toBe(200)
    expect(after.body.options.find((option) => option.name === 'No')?.voters).toEqual([jid(B)])
    // Deleted for me: the phone no longer has it, so it cannot be reacted to.
    expect((await server.call('POST', `/${A}/messages/${gone}/react`, { body: { emoji: '👍' } })).status).toBe(404)
  } finally {
    await server.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

describe('simulator state survives a restart', () => {
  test('message changes after the send, on SQLite', async () => {
    await messageChanges({})
  }, 60_000)

  test('on SQLite', async () => {
    await scenario({})
  }, 60_000)

  test('on Postgres', async () => {
    cluster = await startPostgres()
    await scenario({ DATABASE_URL: await cluster.createDatabase() })
  }, 120_000)
})
