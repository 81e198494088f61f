import { describe, expect, test } from 'bun:test'
import { BadRequestError } from '../../src/errors'
import { normalizeChatId, normalizeContactId, normalizeContactIds, normalizeGroupId, normalizePhone, normalizePictureOwnerId, parseChatId } from '../../src/lib/chat-id'

describe('parseChatId', () => {
  const accepted: Array<[string, string, string]> = [
    ['+966500000002', '966500000002@c.us', 'user'],
    ['966500000002', '966500000002@c.us', 'user'],
    ['1234567', '1234567@c.us', 'user'],
    ['123456789012345', '123456789012345@c.us', 'user'],
    ['966500000002@c.us', '966500000002@c.us', 'user'],
    ['120363025555555555@g.us', '120363025555555555@g.us', 'group'],
    ['966500000001-1599999999@g.us', '966500000001-1599999999@g.us', 'group'],
    ['123456789012345@lid', '123456789012345@lid', 'lid'],
    ['status@broadcast', 'status@broadcast', 'status'],
  ]
  for (const [input, jid, kind] of accepted) {
    test(`${JSON.stringify(input)} → ${jid} (${kind})`, () => {
      expect(parseChatId(input)).toEqual({ jid, kind: kind as 'user' })
    })
  }

  const refused = [
    '',
    ' ',
    '966500000002 ',
    ' 966500000002',
    '+ 966500000002',
    '++966500000002',
    '123456',
    '1234567890123456',
    '966-500-000-002',
    '96650000000a',
    '966500000002@s.whatsapp.net',
    '966500000002@C.US',
    '@c.us',
    '+966500000002@c.us',
    '123@c.us',
    'abc@g.us',
    '@g.us',
    'abc@lid',
    'status',
    'broadcast@status',
    '966500000002@c.us/../x',
    '966500000002@c.us\n',
    '١٢٣٤٥٦٧٨',
  ]
  for (const input of refused) {
    test(`${JSON.stringify(input)} is a 400 naming the field`, () => {
      let error: unknown
      try {
        parseChatId(input, 'chatId')
      } catch (caught) {
        error = caught
      }
      expect(error).toBeInstanceOf(BadRequestError)
      expect((error as Error).message).toStartWith('chatId must be')
    })
  }

  test('a long value is shortened in the message', () => {
    expect(() => normalizeChatId('x'.repeat(500))).toThrow(/…/)
  })
})

describe('narrower ids', () => {
  test('contacts are people only', () => {
    expect(normalizeContactId('+966500000002')).toBe('966500000002@c.us')
    expect(normalizeContactId('1234567890@lid')).toBe('1234567890@lid')
    expect(() => normalizeContactId('120363025555555555@g.us')).toThrow(BadRequestError)
    expect(() => normalizeContactId('status@broadcast')).toThrow(BadRequestError)
  })

  test('groups are groups only', () => {
    expect(normalizeGroupId('120363025555555555@g.us')).toBe('120363025555555555@g.us')
    expect(() => normalizeGroupId('966500000002')).toThrow('groupId must be a group id')
  })

  test('a picture belongs to a person or a group', () => {
    expect(normalizePictureOwnerId('120363025555555555@g.us')).toBe('120363025555555555@g.us')
    expect(normalizePictureOwnerId('966500000002')).toBe('966500000002@c.us')
    expect(() => normalizePictureOwnerId('status@broadcast')).toThrow(BadRequestError)
  })

  test('lists name the bad entry and drop duplicates', () => {
    expect(normalizeContactIds(['966500000002', '+966500000002', '966500000002@c.us', '966500000003'], 'participants')).toEqual(['966500000002@c.us', '966500000003@c.us'])
    expect(() => normalizeContactIds(['966500000002', 'bob'], 'participants')).toThrow('participants[1] must be')
  })

  test('phone numbers for exists', () => {
    expect(normalizePhone('+966500000002')).toBe('966500000002')
    expect(normalizePhone('966500000002@c.us')).toBe('966500000002')
    expect(() => normalizePhone('966500000002@g.us')).toThrow(BadRequestError)
    expect(() => normalizePhone('12')).toThrow('number must be')
  })
})
