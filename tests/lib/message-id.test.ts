/** One message-id rule: the schema pattern, the parser and the builders agree, for every engine's ids. */
import { describe, expect, test } from 'bun:test'
import { isMessageId, MESSAGE_ID_PATTERN, ownMessageId, parseMessageId, receivedMessageId } from '../../src/lib/message-id'
import { buildVcard } from '../../src/lib/vcard'

const GOOD = [
  'true_966500000002@c.us_3EB0C431D5A2B1F0E4A7', // sent, 1:1 (all engines)
  'false_966500000002@c.us_3EB0C431D5A2B1F0E4A7', // received, 1:1
  'false_120363025555555555@g.us_3EB0AB_966500000003@c.us', // received in a group, with its author (whatsapp-web.js)
  'false_966500000001-1500000000@g.us_ABCDEF_966500000003@c.us', // an old-style group id
  'false_status@broadcast_3EB0AB_966500000003@c.us', // a Status post
  'false_12345678901234@lid_AAAAAAAAAAAAAAAAAAAA', // a privacy id (NOWEB, GOWS)
]
const BAD = ['3EB0AB', 'maybe_966500000002@c.us_A', 'true_966500000002@c.us', 'true_nojid_A', 'true_966500000002@c.us_A B', 'true_9665/00@c.us_A', '', `true_966500000002@c.us_${'A'.repeat(400)}`]

describe('message ids', () => {
  test('the schema pattern and the parser accept and refuse the same ids', () => {
    const pattern = new RegExp(MESSAGE_ID_PATTERN)
    for (const id of GOOD) {
      expect(isMessageId(id), id).toBe(true)
      expect(pattern.test(id), id).toBe(true)
    }
    for (const id of BAD) expect(isMessageId(id), id).toBe(false)
    for (const id of BAD.slice(0, -1)) expect(pattern.test(id), id).toBe(false)
  })

  test('parsing gives the parts; the builders produce what parses back', () => {
    expect(parseMessageId(GOOD[2]!)).toEqual({ fromMe: false, chatId: '120363025555555555@g.us', key: '3EB0AB', participant: '966500000003@c.us' })
    expect(parseMessageId(ownMessageId('966500000002@c.us', '3EB0AA'))).toEqual({ fromMe: true, chatId: '966500000002@c.us', key: '3EB0AA' })
    expect(receivedMessageId('120363025555555555@g.us', '3EB0AB', '966500000003@c.us')).toBe(GOOD[2]!)
  })
})

describe('vCards', () => {
  test('one builder: escaped text, WhatsApp’s ORG and the waid that opens a chat', () => {
    expect(buildVcard({ fullName: 'Doe, Jane', phoneNumber: '+966 500-000-003', organization: 'ACME; Ltd' })).toBe(
      'BEGIN:VCARD\nVERSION:3.0\nFN:Doe\\, Jane\nORG:ACME\\; Ltd;\nTEL;type=CELL;type=VOICE;waid=966500000003:+966500000003\nEND:VCARD',
    )
    expect(buildVcard({ fullName: 'Sara', phoneNumber: '966500000009' })).not.toContain('ORG:')
  })
})
