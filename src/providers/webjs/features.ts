/**
 * Issue 13 (API.md §12) on whatsapp-web.js: chat actions, message star and pins, polls.
 * Pure mappings onto the typed Client objects, each turning whatsapp-web.js's "false"
 * answers into the typed errors the routes expect; the session wires them into `op`.
 */
import { BadRequestError, UpstreamError } from '../../errors'
import type { EngineEvent, PinDuration, Poll, PollVotes } from '../engine'
import type { WChat, WMessage, WPollVote } from './client'
import { pollOf } from './mappers'

export async function archiveChat(chat: WChat, archived: boolean): Promise<void> {
  if (archived) await chat.archive()
  else await chat.unarchive()
}

export async function pinChat(chat: WChat, pinned: boolean): Promise<void> {
  if (pinned) {
    // whatsapp-web.js answers the new pin state: false when WhatsApp's three pins are taken.
    if (!(await chat.pin())) throw new BadRequestError('At most 3 chats can be pinned; unpin one first')
  } else await chat.unpin()
}

export async function muteChat(chat: WChat, until?: number): Promise<void> {
  const result = await chat.mute(until === undefined ? undefined : new Date(until * 1000))
  if (!result.isMuted) throw new UpstreamError('WhatsApp Web did not mute the chat')
}

export async function unmuteChat(chat: WChat): Promise<void> {
  await chat.unmute()
}

export async function clearChat(chat: WChat): Promise<void> {
  if (!(await chat.clearMessages())) throw new UpstreamError('WhatsApp Web did not clear the chat')
}

export async function deleteChat(chat: WChat): Promise<void> {
  if (!(await chat.delete())) throw new UpstreamError('WhatsApp Web did not delete the chat')
}

export async function starMessage(message: WMessage, starred: boolean): Promise<void> {
  if (starred) await message.star()
  else await message.unstar()
}

export async function pinMessage(message: WMessage, duration: PinDuration): Promise<void> {
  if (!(await message.pin(duration))) {
    throw new BadRequestError('WhatsApp refused to pin the message (in a group where only admins edit the info, only admins can pin)')
  }
}

export async function unpinMessage(message: WMessage): Promise<void> {
  if (!(await message.unpin())) throw new BadRequestError('WhatsApp refused to unpin the message: it is not pinned, or only admins may unpin it')
}

function requirePoll(message: WMessage): Poll {
  const poll = pollOf(message)
  if (!poll) throw new BadRequestError(`Message ${message.id._serialized} is not a poll`)
  return poll
}

/** Checked here: whatsapp-web.js silently drops names that are not options. */
export async function votePoll(message: WMessage, options: string[]): Promise<void> {
  const poll = requirePoll(message)
  const choice = [...new Set(options)]
  const unknown = choice.filter((option) => !poll.options.includes(option))
  if (unknown.length > 0) throw new BadRequestError(`Not an option of this poll: ${unknown.join(', ')}`, { options: poll.options })
  if (choice.length > 1 && !poll.multipleAnswers) throw new BadRequestError('This poll takes one answer only')
  await message.vote(choice)
}

export async function pollVotes(message: WMessage): Promise<PollVotes> {
  const poll = requirePoll(message)
  const votes = await message.getPollVotes()
  return {
    options: poll.options.map((name) => {
      const voters = votes.filter((vote) => vote.selectedOptions.some((option) => option.name === name)).map((vote) => vote.voter).sort()
      return { name, votes: voters.length, voters }
    }),
  }
}

/** `vote_update` → `poll.vote`. */
export function toPollVoteEvent(vote: WPollVote, meId: string | undefined): EngineEvent {
  const poll = vote.parentMessage
  return {
    type: 'poll.vote',
    chatId: poll.id.remote,
    pollMessageId: poll.id._serialized,
    voter: vote.voter,
    fromMe: meId !== undefined && vote.voter === meId,
    selectedOptions: vote.selectedOptions.map((option) => option.name),
    timestamp: Math.floor((vote.interractedAtTs > 1e12 ? vote.interractedAtTs / 1000 : vote.interractedAtTs) || Date.now() / 1000),
  }
}
