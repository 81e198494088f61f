import { BadRequestError } from './errors'

/** `:phoneNumber` as the contract allows it: 7–15 digits, an optional leading `+`. */
export const PHONE_NUMBER_PATTERN = '^\\+?[0-9]{7,15}$'
const PHONE_NUMBER = new RegExp(PHONE_NUMBER_PATTERN)

/**
 * Validates a session's phone number at the edge, before it names a directory or a row.
 * Returns the digits only.
 */
export function parsePhoneNumber(raw: string): string {
  if (!PHONE_NUMBER.test(raw)) {
    throw new BadRequestError('phoneNumber must be 7 to 15 digits, optionally with a leading +', { phoneNumber: raw })
  }
  return raw.replace(/^\+/, '')
}

export function jidOf(phoneNumber: string): string {
  return `${phoneNumber}@c.us`
}
