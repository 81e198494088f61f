/** Helpers for the messaging tests: two linked numbers, history reads, sample media. */
import { waitFor, type TestServer } from './app'

export const A = '966500000001'
export const B = '966500000002'
export const C = '966500000003'
export const jid = (phone: string) => `${phone}@c.us`

/** A real 1×1 PNG. */
export const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=='
export const PNG = new Uint8Array(Buffer.from(PNG_BASE64, 'base64'))
export const PDF = new TextEncoder().encode('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n')

export interface Msg {
  id: string
  type: string
  body: string
  fromMe: boolean
  ack: number
  ackName: string
  timestamp: number
  chatId: string
  from: string
  participant?: string
  hasMedia: boolean
  media?: { url: string; mimetype: string; filename?: string; size?: number }
  replyTo?: { id: string }
  location?: { latitude: number; longitude: number; name?: string; address?: string }
  vcards?: string[]
  poll?: { name: string; options: string[]; multipleAnswers: boolean }
  mentions?: string[]
  isForwarded?: boolean
  edited?: boolean
  reactions?: Array<{ emoji: string; from: string }>
}

export async function history(server: TestServer, phone: string, chatId: string, query = ''): Promise<{ messages: Msg[]; hasMore: boolean }> {
  const response = await server.call<{ messages: Msg[]; hasMore: boolean }>('GET', `/${phone}/messages/${chatId}${query}`)
  if (response.status !== 200) throw new Error(`history ${phone} ${chatId}: ${response.status} ${JSON.stringify(response.body)}`)
  return response.body
}

/** Waits until the history of `phone` in `chatId` satisfies the condition, and returns it. */
export async function historyWhen(server: TestServer, phone: string, chatId: string, condition: (messages: Msg[]) => boolean): Promise<Msg[]> {
  let last: Msg[] = []
  try {
    await waitFor(async () => {
      last = (await history(server, phone, chatId, '?limit=200')).messages
      return condition(last)
    }, 3000)
  } catch {
    throw new Error(`history of ${phone} in ${chatId} never matched; last: ${JSON.stringify(last.map((m) => [m.type, m.body, m.ack]))}`)
  }
  return last
}

export async function sendText(server: TestServer, from: string, chatId: string, text: string, extra: Record<string, unknown> = {}): Promise<string> {
  const sent = await server.call<{ messageId: string }>('POST', `/${from}/send-text`, { body: { chatId, text, ...extra } })
  if (sent.status !== 200) throw new Error(`send-text: ${sent.status} ${JSON.stringify(sent.body)}`)
  return sent.body.messageId
}
