import { describe, expect, test } from 'bun:test'

import { wahaEnvelopeToEngineEvents, type WahaEnvelope } from '../../../src/providers/waha/events'
import { payloadOf, publishedEnvelope } from '../../helpers/waha-envelopes'
import { loadWahaOpenApi } from '../../helpers/waha-openapi'

const openapi = loadWahaOpenApi()
const CHAT = '966500000002@c.us'
const ME = '966500000001@c.us'
const GROUP = '120363000000000001@g.us'

/** An incoming 1:1 text: what WAHA posts as `message` and again as `message.any`. */
function incoming(event: 'message' | 'message.any') {
  return publishedEnvelope(event, (envelope) => {
    Object.assign(payloadOf(envelope), {
      id: `false_${CHAT}_3EB0AAA`,
      from: CHAT,
      to: ME,
      fromMe: false,
      body: 'Hello',
      hasMedia: false,
      media: undefined,
      location: undefined,
      vCards: [],
    })
    delete payloadOf(envelope).media
    delete payloadOf(envelope).location
  })
}

describe('wahaEnvelopeToEngineEvents', () => {
  test('one incoming WhatsApp message is one `message` event: `message.any` adds nothing for it', () => {
    const viaMessage = wahaEnvelopeToEngineEvents(incoming('message'))
    const viaAny = wahaEnvelopeToEngineEvents(incoming('message.any'))
    expect(viaMessage).toHaveLength(1)
    expect(viaAny).toEqual([])
    expect(viaMessage[0]).toMatchObject({ type: 'message', message: { id: `false_${CHAT}_3EB0AAA`, chatId: CHAT, fromMe: false, body: 'Hello', type: 'text' } })
  })

  test('our own message (sent from the phone or the API) arrives only as `message.any`, and is kept', () => {
    const own = publishedEnvelope('message.any', (envelope) => {
      Object.assign(payloadOf(envelope), { id: `true_${CHAT}_3EB0BBB`, from: ME, to: CHAT, fromMe: true, source: 'app', hasMedia: false })
      delete payloadOf(envelope).media
    })
    const events = wahaEnvelopeToEngineEvents(own)
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ type: 'message', message: { id: `true_${CHAT}_3EB0BBB`, chatId: CHAT, fromMe: true } })
  })

  test("a media message carries WAHA's file URL for the session to fetch", () => {
    const events = wahaEnvelopeToEngineEvents(publishedEnvelope('message'))
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({
      type: 'message',
      wahaMediaUrl: 'http://localhost:3000/api/files/false_11111111111@c.us_AAAAAAAAAAAAAAAAAAAA.oga',
      message: { hasMedia: true, media: { mimetype: 'audio/jpeg', filename: 'example.pdf' } },
    })
    // Only `mediaUrl` (deprecated) is used when `media.url` is missing; nothing without media.
    const legacy = publishedEnvelope('message', (envelope) => {
      delete payloadOf(envelope).media
    })
    expect(wahaEnvelopeToEngineEvents(legacy)[0]).toMatchObject({ wahaMediaUrl: 'http://localhost:3000/api/files/false_11111111111@c.us_AAAAAAAAAAAAAAAAAAAA.oga' })
    const textOnly = publishedEnvelope('message', (envelope) => {
      payloadOf(envelope).hasMedia = false
    })
    expect(wahaEnvelopeToEngineEvents(textOnly)[0]).not.toHaveProperty('wahaMediaUrl')
  })

  test('acks, reactions, edits', () => {
    const ack = publishedEnvelope('message.ack', (envelope) => {
      Object.assign(payloadOf(envelope), { id: `true_${CHAT}_X`, from: ME, to: CHAT, fromMe: true, ack: 3, ackName: 'READ' })
    })
    expect(wahaEnvelopeToEngineEvents(ack)).toEqual([{ type: 'message.ack', id: `true_${CHAT}_X`, chatId: CHAT, from: ME, to: CHAT, fromMe: true, ack: 3 }])

    const reaction = publishedEnvelope('message.reaction', (envelope) => {
      Object.assign(payloadOf(envelope), { id: `false_${CHAT}_R`, from: CHAT, to: ME, fromMe: false })
      payloadOf(envelope).reaction = { text: '👍', messageId: `true_${CHAT}_X` }
    })
    expect(wahaEnvelopeToEngineEvents(reaction)).toEqual([
      { type: 'message.reaction', id: `false_${CHAT}_R`, chatId: CHAT, from: CHAT, fromMe: false, timestamp: 1666943582, reaction: { text: '👍', messageId: `true_${CHAT}_X` } },
    ])

    const edited = publishedEnvelope('message.edited', (envelope) => {
      Object.assign(payloadOf(envelope), { id: `false_${CHAT}_E2`, from: CHAT, to: ME, fromMe: false, body: 'fixed', editedMessageId: `false_${CHAT}_E1` })
    })
    expect(wahaEnvelopeToEngineEvents(edited)).toEqual([
      { type: 'message.edited', chatId: CHAT, editedMessageId: `false_${CHAT}_E1`, body: 'fixed', from: CHAT, fromMe: false, timestamp: 1666943582 },
    ])
  })

  test("revokes: WAHA's bare key becomes our full message id", () => {
    const sample = publishedEnvelope('message.revoked', (envelope) => {
      const payload = payloadOf(envelope)
      delete payload.before
      Object.assign(payload.after as Record<string, unknown>, { id: `false_${CHAT}_REVOKE`, from: CHAT, to: ME, fromMe: false, timestamp: 1767225600 })
    })
    expect(wahaEnvelopeToEngineEvents(sample)).toEqual([
      { type: 'message.revoked', chatId: CHAT, revokedMessageId: `false_${CHAT}_A06CA7BB5DD8C8F705628CDB7E3A33C9`, from: CHAT, fromMe: false, timestamp: 1767225600 },
    ])
    // With `before` (the original message) its id is used as is.
    const withBefore = publishedEnvelope('message.revoked', (envelope) => {
      const payload = payloadOf(envelope)
      Object.assign(payload.before as Record<string, unknown>, { id: `true_${CHAT}_ORIG`, from: ME, to: CHAT, fromMe: true })
      delete payload.after
    })
    expect(wahaEnvelopeToEngineEvents(withBefore)[0]).toMatchObject({ revokedMessageId: `true_${CHAT}_ORIG`, chatId: CHAT, fromMe: true })
    // Nothing to say which chat it was in: no event rather than a made-up one.
    const bare = publishedEnvelope('message.revoked', (envelope) => {
      const payload = payloadOf(envelope)
      delete payload.before
      delete payload.after
    })
    expect(wahaEnvelopeToEngineEvents(bare)).toEqual([])
  })

  test('group events', () => {
    expect(wahaEnvelopeToEngineEvents(publishedEnvelope('group.v2.join'))).toEqual([
      { type: 'group.v2.join', group: { id: '123456789@g.us', subject: 'Group Name' }, timestamp: 1666943582 },
    ])
    const leave = publishedEnvelope('group.v2.leave', (envelope) => {
      payloadOf(envelope).group = { id: GROUP }
    })
    expect(wahaEnvelopeToEngineEvents(leave)).toEqual([{ type: 'group.v2.leave', group: { id: GROUP }, timestamp: 1666943582 }])
    const actions: Record<string, string> = { join: 'add', leave: 'remove', promote: 'promote', demote: 'demote' }
    for (const [wahaType, action] of Object.entries(actions)) {
      const participants = publishedEnvelope('group.v2.participants', (envelope) => {
        payloadOf(envelope).type = wahaType
      })
      expect(wahaEnvelopeToEngineEvents(participants)).toEqual([
        // The @lid participant is reported by its phone JID.
        { type: 'group.v2.participants', group: { id: '123456789@g.us' }, action: action as 'add', participants: ['123456789@c.us'], timestamp: 1666943582 },
      ])
    }
    const update = publishedEnvelope('group.v2.update', (envelope) => {
      payloadOf(envelope).group = { id: GROUP, subject: 'Renamed' }
    })
    expect(wahaEnvelopeToEngineEvents(update)).toEqual([{ type: 'group.v2.update', group: { id: GROUP, subject: 'Renamed' }, timestamp: 1666943582 }])
    // The published sample's `group` is empty: no id, no event.
    expect(wahaEnvelopeToEngineEvents(publishedEnvelope('group.v2.update'))).toEqual([])
  })

  test('presence (one event per participant), calls, session status, state.change', () => {
    const presence = publishedEnvelope('presence.update', (envelope) => {
      payloadOf(envelope).id = GROUP
      payloadOf(envelope).presences = [
        { participant: CHAT, lastKnownPresence: 'typing' },
        { participant: '966500000003@c.us', lastKnownPresence: 'online', lastSeen: 1767225000 },
      ]
    })
    expect(wahaEnvelopeToEngineEvents(presence)).toEqual([
      { type: 'presence.update', chatId: GROUP, participant: CHAT, state: 'typing', timestamp: 1634567890 },
      { type: 'presence.update', chatId: GROUP, participant: '966500000003@c.us', state: 'online', timestamp: 1634567890 },
    ])

    expect(wahaEnvelopeToEngineEvents(publishedEnvelope('call.received'))).toEqual([
      { type: 'call.received', id: 'ABCDEFGABCDEFGABCDEFGABCDEFG', from: '11111111111@c.us', isVideo: true, isGroup: true, timestamp: 1 },
    ])

    const vote = publishedEnvelope('poll.vote', (envelope) => {
      const payload = payloadOf(envelope)
      payload.poll = { id: 'true_11111111111@c.us_POLL', to: '11111111111@c.us', from: ME, fromMe: true }
      payload.vote = { id: 'false_11111111111@c.us_VOTE', selectedOptions: ['Yes'], timestamp: 1692861369, to: ME, from: '11111111111@c.us', fromMe: false }
    })
    expect(wahaEnvelopeToEngineEvents(vote)).toEqual([
      { type: 'poll.vote', chatId: '11111111111@c.us', pollMessageId: 'true_11111111111@c.us_POLL', voter: '11111111111@c.us', fromMe: false, selectedOptions: ['Yes'], timestamp: 1692861369 },
    ])

    const working = publishedEnvelope('session.status', (envelope) => {
      payloadOf(envelope).status = 'WORKING'
      envelope.me = { id: ME, pushName: 'Support desk' }
    })
    expect(wahaEnvelopeToEngineEvents(working)).toEqual([{ type: 'session.status', status: 'WORKING', me: { id: ME, pushName: 'Support desk' } }])
    const passkey = publishedEnvelope('session.status', (envelope) => {
      payloadOf(envelope).status = 'PASSKEY_REQUIRED'
      delete envelope.me
    })
    expect(wahaEnvelopeToEngineEvents(passkey)).toEqual([{ type: 'session.status', status: 'STARTING', reason: expect.stringContaining('passkey') }])

    expect(wahaEnvelopeToEngineEvents(publishedEnvelope('state.change'))).toEqual([])

    // poll.vote: the poll's chat from its id, the voter, the options by name.
    const groupVote = publishedEnvelope('poll.vote', (envelope) => {
      const payload = payloadOf(envelope) as { vote: Record<string, unknown>; poll: Record<string, unknown> }
      Object.assign(payload.poll, { id: `true_${GROUP}_3EB0POLL`, fromMe: true, from: ME, to: GROUP })
      Object.assign(payload.vote, { id: `false_${GROUP}_3EB0VOTE_966500000003@c.us`, from: GROUP, participant: '966500000003@c.us', fromMe: false, selectedOptions: ['Tue'], timestamp: 1767225600 })
    })
    expect(wahaEnvelopeToEngineEvents(groupVote)).toEqual([
      { type: 'poll.vote', chatId: GROUP, pollMessageId: `true_${GROUP}_3EB0POLL`, voter: '966500000003@c.us', fromMe: false, selectedOptions: ['Tue'], timestamp: 1767225600 },
    ])
  })

  test('every event we subscribe WAHA to maps from its published sample without throwing', () => {
    const events = [
      'message',
      'message.any',
      'message.ack',
      'message.reaction',
      'message.revoked',
      'message.edited',
      'group.v2.join',
      'group.v2.leave',
      'group.v2.participants',
      'group.v2.update',
      'presence.update',
      'call.received',
      'poll.vote',
      'session.status',
    ]
    for (const event of events) {
      for (const requiredOnly of [false, true]) {
        const schema = openapi.document.webhooks?.[event]?.post?.requestBody?.content['application/json']?.schema
        const envelope = openapi.sample(schema!, { requiredOnly }) as WahaEnvelope
        const mapped = wahaEnvelopeToEngineEvents(envelope)
        expect(Array.isArray(mapped)).toBe(true)
        for (const providerEvent of mapped) expect(providerEvent.type).toBe(event === 'message.any' ? 'message' : (event as 'message'))
      }
    }
  })
})
